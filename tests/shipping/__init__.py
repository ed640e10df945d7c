"""Shipping files of rendered projects, one test module per artifact.

Each file goes through a real validator that runs offline (hadolint; the compose-spec, GitHub
workflow and Dependabot schemas that check-jsonschema ships; kubernetes-validate) and through the
rules of our design that no schema knows: non-root, locked installs, pinned actions, selectors
that match, probes on the routes the app serves.
"""
