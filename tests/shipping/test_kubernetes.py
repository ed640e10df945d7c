"""deploy/k8s: kubernetes-validate (strict) and probes, limits, selectors, secrets."""

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from . import kustomize
from .common import WITH_SERVER, answers_of, load_yaml

# Kubernetes API versions the manifests are validated against: 1.37 is the newest schema that
# kubernetes-validate ships; 1.29 is old enough for long-term-support clusters.
KUBERNETES_VERSIONS = ("1.29", "1.33", "1.37")


def manifests(project: Path, pattern: str = "*.yaml") -> dict[str, dict[str, Any]]:
    """The service's Kubernetes objects by kind (the kustomization is not one).

    The workers' objects (worker-*.yaml) share the kinds: `worker_manifests` has them.
    """
    found = {}
    for path in sorted((project / "deploy" / "k8s").glob(pattern)):
        if path.name != "kustomization.yaml" and (
            pattern != "*.yaml" or not path.name.startswith("worker-")
        ):
            document = load_yaml(path)
            found[document["kind"]] = document
    return found


def worker_manifests(project: Path) -> dict[str, dict[str, Any]]:
    return manifests(project, "worker-*.yaml")


def test_cli_only_renders_have_no_manifests(projects: dict[str, Path]) -> None:
    assert not (projects["cli-only"] / "deploy").exists()


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("name", WITH_SERVER)
def test_manifests_validate_strictly(projects: dict[str, Path], name: str, version: str) -> None:
    objects = manifests(projects[name])
    assert set(objects) == {
        "ConfigMap",
        "Deployment",
        "HorizontalPodAutoscaler",
        "Namespace",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "Secret",
        "Service",
        *(["Job"] if answers_of(name)["with_database"] else []),
    }
    workers = worker_manifests(projects[name])
    expected = {"Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget"}
    assert set(workers) == (expected if answers_of(name)["with_jobs"] else set())
    for document in [*objects.values(), *workers.values()]:
        kubernetes_validate.validate(document, version, strict=True)


def test_kubernetes_validation_can_fail(projects: dict[str, Path]) -> None:
    deployment = manifests(projects["defaults"])["Deployment"]
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError, match="livenesProbe"):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)


@pytest.mark.parametrize("name", WITH_SERVER)
def test_kustomization_applies_everything_but_the_secret_example(
    projects: dict[str, Path], name: str
) -> None:
    directory = projects[name] / "deploy" / "k8s"
    kustomization = load_yaml(directory / "kustomization.yaml")
    files = {p.name for p in directory.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files - {"secret.example.yaml"}


@pytest.mark.parametrize("name", WITH_SERVER)
def test_deployment_is_probed_limited_and_locked_down(projects: dict[str, Path], name: str) -> None:
    project = projects[name]
    answers = answers_of(name)
    objects = manifests(project)
    pod = objects["Deployment"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert "replicas" not in objects["Deployment"]["spec"], "the HPA owns the replica count"

    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {"http": 8080}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    assert container["startupProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]

    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001, "the uid of the image's USER"
    assert pod["automountServiceAccountToken"] is False
    # Service-link variables share the settings prefix and are never needed (DNS finds peers).
    assert pod["enableServiceLinks"] is False
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]

    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    assert "emptyDir" in volumes[mounts["/tmp"]], "temp files go to an emptyDir"

    configmap = objects["ConfigMap"]
    config_volume = next(v for v in volumes.values() if "configMap" in v)
    assert config_volume["configMap"]["name"] == configmap["metadata"]["name"]
    config_dir = next(path for path, volume in mounts.items() if volume == config_volume["name"])
    env = {item["name"]: item.get("value") for item in container["env"]}
    prefix = project.name.replace("-", "_").upper() + "_"
    (key,) = configmap["data"]
    assert env[f"{prefix}CONFIG"] == f"{config_dir}/{key}", "the env var names the mounted file"

    image, _, tag = container["image"].rpartition(":")
    assert image == project.name
    assert tag == answers["version"].replace("!", "-"), "a fixed tag, never latest"
    # Secrets as files (checkov CKV_K8S_35), read by the settings from <PREFIX>SECRETS_DIR.
    assert "envFrom" not in container
    secret_volume = volumes[mounts[env[f"{prefix}SECRETS_DIR"]]]
    # Not optional: without the Secret the pods must not start with authentication off.
    assert secret_volume["secret"] == {
        "secretName": objects["Secret"]["metadata"]["name"],
        "defaultMode": 0o440,
    }
    assert "cpu" not in container["resources"]["limits"], "on purpose: see the comment"


@pytest.mark.parametrize("name", WITH_SERVER)
def test_service_hpa_and_pdb_point_at_the_deployment(projects: dict[str, Path], name: str) -> None:
    objects = manifests(projects[name])
    deployment = objects["Deployment"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]

    def selects_the_pods(selector: dict[str, str]) -> bool:
        return bool(selector) and selector.items() <= pod_labels.items()

    assert selects_the_pods(deployment["spec"]["selector"]["matchLabels"])
    assert selects_the_pods(objects["Service"]["spec"]["selector"])
    assert selects_the_pods(objects["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"])
    assert objects["Service"]["spec"]["ports"][0]["targetPort"] == "http"
    hpa = objects["HorizontalPodAutoscaler"]["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": deployment["apiVersion"],
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    assert hpa["minReplicas"] >= 2, "one replica down must not take the service down"
    assert objects["PodDisruptionBudget"]["spec"]["maxUnavailable"] == 1


@pytest.mark.parametrize("name", WITH_SERVER)
def test_secret_example_holds_no_values(projects: dict[str, Path], name: str) -> None:
    secret = manifests(projects[name])["Secret"]
    assert secret["stringData"], "it shows which keys exist"
    assert set(secret["stringData"].values()) == {""}
    assert "data" not in secret
    has_s3_keys = any("_S3__" in key for key in secret["stringData"])
    assert has_s3_keys == answers_of(name)["with_s3"]


@pytest.mark.parametrize("name", WITH_SERVER)
def test_configmap_holds_the_settings_yaml(projects: dict[str, Path], name: str) -> None:
    objects = manifests(projects[name])
    settings = yaml.safe_load(objects["ConfigMap"]["data"]["config.yaml"])
    assert settings["server"]["host"] == "0.0.0.0", "reachable from the kubelet and the Service"
    assert settings["server"]["port"] == 8080
    assert settings["logging"]["format"] == "json"
    answers = answers_of(name)
    if answers["with_otel"]:
        assert settings["telemetry"] == {"endpoint": None, "sample_ratio": 0.1}, "off until set"
    else:
        assert "telemetry" not in settings
    if not (answers["with_example_api"] and answers["with_files"]):
        assert "storage" not in settings, "no objects API, no storage section"
    elif answers["with_s3"]:
        # Replicas are stateless: objects live in the shared bucket, not on a pod's disk.
        assert settings["storage"] == {"backend": "s3"}
    else:
        scratch = objects["Deployment"]["spec"]["template"]["spec"]["volumes"]
        (tmp,) = [volume for volume in scratch if volume["name"] == "tmp"]
        assert tmp["emptyDir"]["sizeLimit"] == "256Mi"
        assert settings["storage"]["root"].startswith("/tmp/")
        assert settings["storage"]["max_object_bytes"] < 256 * 1024**2, "an upload fits"


@pytest.mark.parametrize("name", WITH_SERVER)
def test_the_database_is_migrated_by_a_job_with_the_secrets_url(
    projects: dict[str, Path], name: str
) -> None:
    """`db upgrade` once per release (a Job, not an init container), with the pods' settings."""
    project = projects[name]
    objects = manifests(project)
    prefix = project.name.replace("-", "_").upper() + "_"
    if not answers_of(name)["with_database"]:
        assert "Job" not in objects
        assert f"{prefix}DATABASE__URL" not in objects["Secret"]["stringData"]
        assert "migrate" not in (project / "deploy" / "k8s" / "kustomization.yaml").read_text()
        return
    assert f"{prefix}DATABASE__URL" in objects["Secret"]["stringData"]
    pod = objects["Deployment"]["spec"]["template"]["spec"]
    assert "initContainers" not in pod
    (app,) = pod["containers"]
    job = objects["Job"]["spec"]
    (migrate,) = job["template"]["spec"]["containers"]
    assert migrate["args"] == ["db", "upgrade"]
    assert migrate["image"] == app["image"], "the release's own migrations"
    assert migrate["env"] == app["env"][:2], "the same settings file and secrets directory"
    mounts = {m["name"]: m for m in migrate["volumeMounts"]}
    assert mounts["secrets"] in app["volumeMounts"], "the URL from the same Secret, as a file"
    volumes = {v["name"]: v for v in job["template"]["spec"]["volumes"]}
    assert volumes["secrets"] in pod["volumes"]
    assert migrate["securityContext"] == app["securityContext"]
    assert job["template"]["spec"]["restartPolicy"] == "Never"
    job_labels = job["template"]["metadata"]["labels"]
    policy_selector = objects["NetworkPolicy"]["spec"]["podSelector"]["matchLabels"]
    assert policy_selector.items() <= job_labels.items(), "the NetworkPolicy covers the Job"
    service_selector = objects["Service"]["spec"]["selector"]
    assert not service_selector.items() <= job_labels.items(), "no traffic to the Job's pod"
    assert job["ttlSecondsAfterFinished"] > 0, "deleted after a while: the next release's Job"
    assert "activeDeadlineSeconds" in job, "a stuck migration does not hang the deployment"
    assert app["readinessProbe"]["httpGet"]["path"] == "/ready", "new pods wait for the Job"


@pytest.mark.parametrize("name", WITH_SERVER)
def test_workers_run_the_jobs_with_the_services_image_settings_and_secrets(
    projects: dict[str, Path], name: str
) -> None:
    """Their own Deployment, HPA and PDB; drained on SIGTERM within the grace period."""
    project = projects[name]
    objects, workers = manifests(project), worker_manifests(project)
    prefix = project.name.replace("-", "_").upper() + "_"
    secret_keys = objects["Secret"]["stringData"]
    settings = yaml.safe_load(objects["ConfigMap"]["data"]["config.yaml"])
    if not answers_of(name)["with_jobs"]:
        assert workers == {}
        assert f"{prefix}JOBS__REDIS_URL" not in secret_keys
        assert "jobs" not in settings
        return
    assert f"{prefix}JOBS__REDIS_URL" in secret_keys, "the Redis URL (a password) is a secret"
    assert settings["jobs"]["broker"] == "redis", "replicas share the queue with the workers"

    deployment = workers["Deployment"]
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count"
    pod = deployment["spec"]["template"]["spec"]
    (worker,) = pod["containers"]
    (app,) = objects["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert worker["args"] == ["worker"]
    assert worker["image"] == app["image"]
    assert worker["env"] == app["env"], "the same settings file, secrets directory and S3 bucket"
    assert worker["volumeMounts"] == app["volumeMounts"]
    assert pod["volumes"] == objects["Deployment"]["spec"]["template"]["spec"]["volumes"]
    assert worker["securityContext"] == app["securityContext"], "read-only, no privileges"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["automountServiceAccountToken"] is False
    assert pod["enableServiceLinks"] is False
    assert {"cpu", "memory"} <= set(worker["resources"]["requests"])
    assert "memory" in worker["resources"]["limits"]
    assert "ports" not in worker, "nothing connects to a worker"
    assert pod["terminationGracePeriodSeconds"] > settings["jobs"]["drain_seconds"]

    labels = deployment["spec"]["template"]["metadata"]["labels"]

    def selects_the_workers(selector: dict[str, str]) -> bool:
        return bool(selector) and selector.items() <= labels.items()

    assert selects_the_workers(deployment["spec"]["selector"]["matchLabels"])
    assert selects_the_workers(workers["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"])
    assert selects_the_workers(objects["NetworkPolicy"]["spec"]["podSelector"]["matchLabels"])
    # The service's Service, PDB and Deployment leave the workers alone.
    assert not selects_the_workers(objects["Service"]["spec"]["selector"])
    for kind in ("PodDisruptionBudget", "Deployment"):
        assert not selects_the_workers(objects[kind]["spec"]["selector"]["matchLabels"])
    hpa = workers["HorizontalPodAutoscaler"]["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": deployment["apiVersion"],
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    assert hpa["minReplicas"] >= 2, "one worker down must not stop the jobs"
    assert workers["PodDisruptionBudget"]["spec"]["maxUnavailable"] == 1


@pytest.mark.parametrize("name", WITH_SERVER)
def test_network_policy_admits_the_http_port_and_the_rendered_dependencies(
    projects: dict[str, Path], name: str
) -> None:
    objects = manifests(projects[name])
    answers = answers_of(name)
    policy = objects["NetworkPolicy"]["spec"]
    pod_labels = objects["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert policy["podSelector"]["matchLabels"].items() <= pod_labels.items()
    assert sorted(policy["policyTypes"]) == ["Egress", "Ingress"]
    (ingress,) = policy["ingress"]
    assert ingress["ports"] == [{"protocol": "TCP", "port": 8080}]
    egress = {(p["protocol"], p["port"]) for rule in policy["egress"] for p in rule["ports"]}
    expected = {("UDP", 53), ("TCP", 53)}
    if answers["with_s3"] or answers["with_http_client"] or answers["with_sentry"]:
        expected.add(("TCP", 443))
    if answers["with_otel"]:
        expected.add(("TCP", 4318))
    if answers["with_database"]:
        expected.add(("TCP", 5432))
    if answers["with_jobs"]:
        expected.add(("TCP", 6379))
    assert egress == expected


@pytest.mark.parametrize("name", WITH_SERVER)
def test_kustomize_sets_a_restricted_namespace(projects: dict[str, Path], name: str) -> None:
    project = projects[name]
    kustomization = load_yaml(project / "deploy" / "k8s" / "kustomization.yaml")
    namespace = manifests(project)["Namespace"]
    assert kustomization["namespace"] == namespace["metadata"]["name"] == project.name
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for document in kustomize.build(project / "deploy" / "k8s"):
        if document["kind"] != "Namespace":
            assert document["metadata"]["namespace"] == project.name, document["kind"]


@pytest.mark.parametrize("name", WITH_SERVER)
def test_release_overlay_pins_the_image_by_digest(projects: dict[str, Path], name: str) -> None:
    """The offline `kustomize build` of overlays/release: the base, namespaced, image by digest."""
    project = projects[name]
    base = kustomize.build(project / "deploy" / "k8s")
    overlay_dir = project / "deploy" / "k8s" / "overlays" / "release"
    release = kustomize.build(overlay_dir)
    assert [d["kind"] for d in release] == [d["kind"] for d in base]
    images = {c["image"] for c in kustomize.containers(release)}
    assert images == {f"ghcr.io/owner/{project.name}@sha256:{'0' * 64}"}, "the Job's too"
    # The release step in the overlay's comment rewrites this very entry.
    (entry,) = load_yaml(overlay_dir / "kustomization.yaml")["images"]
    step = f"kustomize edit set image {entry['name']}=ghcr.io/OWNER/{project.name}@sha256:DIGEST"
    assert step in (overlay_dir / "kustomization.yaml").read_text()
    for version in KUBERNETES_VERSIONS:
        for document in release:
            kubernetes_validate.validate(document, version, strict=True)


def test_offline_kustomize_refuses_what_it_does_not_implement(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: []\npatches: []\n")
    with pytest.raises(NotImplementedError, match="patches"):
        kustomize.build(tmp_path)


@pytest.mark.parametrize(
    ("image", "entry", "expected"),
    [
        (
            "app:1.0",
            {"name": "app", "newName": "r.io/o/app", "digest": "sha256:ab"},
            "r.io/o/app@sha256:ab",
        ),
        ("app:1.0", {"name": "app", "newTag": "2.0"}, "app:2.0"),
        ("r.io:5000/app", {"name": "r.io:5000/app", "newTag": "3"}, "r.io:5000/app:3"),
        ("other:1.0", {"name": "app", "newTag": "2.0"}, "other:1.0"),
    ],
)
def test_offline_kustomize_sets_images_as_kustomize_does(
    image: str, entry: dict[str, str], expected: str
) -> None:
    container = {"image": image}
    kustomize.set_image(container, entry)
    assert container["image"] == expected
