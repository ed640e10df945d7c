"""Background jobs: typed async handlers run at least once, in-process or by Redis workers.

Write a handler with `@job("kind")` (jobs/registry.py, see jobs/kinds.py and
docs/guides/add-a-job.md), submit it with `resources.get(JOBS).submit("kind", payload)`.
"""
