"""`kustomize build`, offline, for what the rendered kustomizations use (no kustomize binary here).

Supports `resources` (files and directories), `namespace` and `images`, as kustomize applies
them; any other key is an error, so a kustomization that outgrows this cannot pass unchecked.
"""

from pathlib import Path
from typing import Any

import yaml

SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "images"}
# Objects that live outside namespaces (kustomize leaves them alone, but renames a Namespace).
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume"}


def build(directory: Path) -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unsupported = set(kustomization) - SUPPORTED
    if unsupported:
        raise NotImplementedError(f"{directory}: {sorted(unsupported)}")
    objects: list[dict[str, Any]] = []
    for resource in kustomization.get("resources", []):
        path = (directory / resource).resolve()
        if path.is_dir():
            objects.extend(build(path))
        else:
            objects.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    namespace = kustomization.get("namespace")
    if namespace:
        for document in objects:
            if document["kind"] == "Namespace":
                document["metadata"]["name"] = namespace
            elif document["kind"] not in CLUSTER_SCOPED:
                document["metadata"]["namespace"] = namespace
    for image in kustomization.get("images", []):
        for container in containers(objects):
            set_image(container, image)
    return objects


def containers(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for document in objects:
        spec = document.get("spec", {})
        if document["kind"] == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        pod = spec.get("template", {}).get("spec", {})
        found += pod.get("containers", []) + pod.get("initContainers", [])
    return found


def split_image(reference: str) -> tuple[str, str]:
    """`name` and what follows it (`:tag`, `@digest` or nothing)."""
    name, at, digest = reference.partition("@")
    if at:
        return name, at + digest
    head, colon, tag = name.rpartition(":")
    if colon and "/" not in tag:
        return head, colon + tag
    return name, ""


def set_image(container: dict[str, Any], image: dict[str, str]) -> None:
    name, suffix = split_image(container["image"])
    if name != image["name"]:
        return
    new_name = image.get("newName", name)
    if "digest" in image:
        suffix = "@" + image["digest"]
    elif "newTag" in image:
        suffix = ":" + image["newTag"]
    container["image"] = new_name + suffix
