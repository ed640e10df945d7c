"""Shipping files of rendered projects: Dockerfile, compose.yaml, deploy/k8s, CI, pre-commit, docs.

Each file goes through a real validator that runs offline (hadolint; the compose-spec, GitHub
workflow and Dependabot schemas that check-jsonschema ships; kubernetes-validate) and through the
rules of our design that no schema knows: non-root, locked installs, pinned actions, selectors
that match, probes on the routes the app serves.
"""

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from cookiecutter.main import cookiecutter

from .conftest import TEMPLATE_ROOT

BIN = Path(sys.executable).parent
# Kubernetes API versions the manifests are validated against: 1.37 is the newest schema that
# kubernetes-validate ships; 1.29 is old enough for long-term-support clusters.
KUBERNETES_VERSIONS = ("1.29", "1.33", "1.37")
NEWEST_PYTHON = "3.14"
SHA_PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$")

RENDERS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "no-s3": {"with_s3": False},
    "cli-only": {"with_server": False},
    "cli-only-no-s3": {"with_server": False, "with_s3": False},
    "python-3.14": {"python_version": "3.14", "version": "2!1.0rc1"},
}
WITH_SERVER = [name for name, answers in RENDERS.items() if answers.get("with_server", True)]


@pytest.fixture(scope="module")
def projects(
    tmp_path_factory: pytest.TempPathFactory, cookiecutter_config: Path
) -> dict[str, Path]:
    """Each combination rendered once for the whole module (the checks only read files)."""
    rendered = {}
    for name, answers in RENDERS.items():
        output = tmp_path_factory.mktemp(f"ship-{name}")
        rendered[name] = Path(
            cookiecutter(
                str(TEMPLATE_ROOT),
                no_input=True,
                extra_context=answers,
                output_dir=str(output),
                config_file=str(cookiecutter_config),
            )
        )
    return rendered


def answers_of(name: str) -> dict[str, Any]:
    defaults = {"with_server": True, "with_s3": True, "python_version": "3.11", "version": "0.1.0"}
    return {**defaults, **RENDERS[name]}


def run(*command: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


# --- Dockerfile ------------------------------------------------------------------------------


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with continuation lines joined and comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in dockerfile.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        result.append((keyword.upper(), arguments.strip()))
        pending = ""
    return result


def stages(dockerfile: Path) -> tuple[dict[str, str], list[list[tuple[str, str]]]]:
    """Global ARG defaults, and the instructions of each stage (each starts with its FROM)."""
    args: dict[str, str] = {}
    found: list[list[tuple[str, str]]] = []
    for keyword, arguments in instructions(dockerfile):
        if keyword == "FROM":
            found.append([])
        if keyword == "ARG" and not found:
            name, _, default = arguments.partition("=")
            args[name] = default
        if found:
            found[-1].append((keyword, arguments))
    return args, found


def expand(text: str, args: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda match: args[match.group(1)], text)


@pytest.mark.parametrize("name", RENDERS)
def test_hadolint_passes(projects: dict[str, Path], name: str) -> None:
    result = run(BIN / "hadolint", "--no-color", projects[name] / "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_can_fail(tmp_path: Path) -> None:
    """The linter runs for real: an untagged base image and a root user are reported."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN pip install uv\nCMD python\n")
    result = run(BIN / "hadolint", "--no-color", bad)
    assert result.returncode != 0
    assert "DL3006" in result.stdout


@pytest.mark.parametrize("name", RENDERS)
def test_dockerfile_is_a_locked_multi_stage_non_root_build(
    projects: dict[str, Path], name: str
) -> None:
    answers = answers_of(name)
    args, found = stages(projects[name] / "Dockerfile")
    assert len(found) >= 3, "uv image, build stage, runtime stage"
    assert args["PYTHON_VERSION"] == answers["python_version"]
    for stage in found:
        image = expand(stage[0][1].split()[0], args)
        repository, _, tag = image.rpartition(":")
        assert repository, f"{image}: every base image names a tag"
        assert tag != "latest", image

    build = next(stage for stage in found if stage[0][1].endswith(" AS build"))
    runs = [arguments for keyword, arguments in build if keyword == "RUN"]
    lock_check = next(i for i, text in enumerate(runs) if "test -f uv.lock" in text)
    syncs = [i for i, text in enumerate(runs) if "uv sync" in text]
    assert syncs, "dependencies are installed with uv"
    assert all("--locked" in runs[i] and "--no-dev" in runs[i] for i in syncs)
    assert lock_check < min(syncs), "a missing lock is reported before uv runs"

    runtime = found[-1]
    assert runtime[0][1].endswith(" AS runtime")
    body = " ".join(f"{keyword} {arguments}" for keyword, arguments in runtime)
    assert "uv" not in re.findall(r"\b(uv|pip|apt-get|gcc)\b", body), "no build tools at runtime"
    assert "--from=build /app/.venv" in body, "only the virtual environment is copied"
    users = [arguments for keyword, arguments in runtime if keyword == "USER"]
    assert users == ["10001:10001"], "runs as a fixed non-root uid (matches the k8s manifests)"
    # WORKDIR /app belongs to root: without this the local backend cannot create storage.root.
    owned_data_dir = "install --directory --owner=10001 --group=10001 /app/data"
    assert (owned_data_dir in body) == answers["with_server"]
    slug = projects[name].name
    assert ("ENTRYPOINT", f'["{slug}"]') in runtime

    healthchecks = [arguments for keyword, arguments in runtime if keyword == "HEALTHCHECK"]
    if answers["with_server"]:
        assert len(healthchecks) == 1
        assert "/health" in healthchecks[0]
        assert "urllib.request" in healthchecks[0], "curl is not in the slim image"
        assert ("EXPOSE", "8080") in runtime
        assert ("CMD", '["serve"]') in runtime
    else:
        assert healthchecks == [], "a command-line image has nothing to probe"
        assert "EXPOSE" not in dict(runtime)


def healthcheck_command(project: Path) -> list[str]:
    _, found = stages(project / "Dockerfile")
    arguments = next(text for keyword, text in found[-1] if keyword == "HEALTHCHECK")
    command: list[str] = json.loads(arguments[arguments.index("CMD") + 3 :])
    return command


def test_healthcheck_is_valid_python(projects: dict[str, Path]) -> None:
    command = healthcheck_command(projects["defaults"])
    assert command[:2] == ["python", "-c"]
    compile(command[2], "HEALTHCHECK", "exec")


@pytest.mark.parametrize("lock_present", [False, True])
def test_missing_lock_stops_the_image_build_with_a_clear_message(
    projects: dict[str, Path], tmp_path: Path, lock_present: bool
) -> None:
    _, found = stages(projects["defaults"] / "Dockerfile")
    check = next(text for keyword, text in found[1] if "test -f uv.lock" in text)
    if lock_present:
        (tmp_path / "uv.lock").write_text("")
    result = run("sh", "-c", check, cwd=tmp_path)
    if lock_present:
        assert result.returncode == 0
    else:
        assert result.returncode == 1
        assert "uv.lock is missing" in result.stderr
        assert "make install" in result.stderr


def test_dockerignore_admits_only_the_build_inputs(projects: dict[str, Path]) -> None:
    project = projects["defaults"]
    patterns = [
        line
        for line in (project / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert patterns[0] == "*", "everything is excluded unless listed"
    admitted = {line[1:].rstrip("/") for line in patterns if line.startswith("!")}
    _, found = stages(project / "Dockerfile")
    sources = {
        source.rstrip("*")
        for stage in found
        for keyword, arguments in stage
        if keyword == "COPY" and "--from" not in arguments
        for source in arguments.split()[:-1]
    }
    assert sources == {"pyproject.toml", "uv.lock", "README.md", "LICENSE", "src"}
    assert sources <= admitted
    assert not admitted & {".venv", ".git", "tests", ".tools", ".github", "deploy"}


# --- compose.yaml ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", RENDERS)
def test_compose_matches_the_compose_spec(projects: dict[str, Path], name: str) -> None:
    compose = projects[name] / "compose.yaml"
    result = run(BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", compose)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_schema_check_can_fail(projects: dict[str, Path], tmp_path: Path) -> None:
    spec = load_yaml(projects["defaults"] / "compose.yaml")
    spec["services"]["app"]["depends_on"]["minio"]["condition"] = "service_ready"
    bad = tmp_path / "compose.yaml"
    bad.write_text(yaml.safe_dump(spec))
    result = run(BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", bad)
    assert result.returncode != 0


@pytest.mark.parametrize("name", RENDERS)
def test_compose_stack(projects: dict[str, Path], name: str) -> None:
    answers = answers_of(name)
    project = projects[name]
    prefix = project.name.replace("-", "_").upper() + "_"
    services = load_yaml(project / "compose.yaml")["services"]
    app = services["app"]
    assert app["build"] == "."
    assert app["read_only"] is True
    assert app["tmpfs"] == ["/tmp"]
    assert all(key.startswith(prefix) for key in app["environment"]), "settings via env vars"
    for service in services.values():
        if "image" in service and service is not app:
            assert re.search(r":RELEASE\.[0-9TZ-]+$", service["image"]), service["image"]
    if answers["with_server"]:
        assert app["ports"] == ["127.0.0.1:${APP_PORT:-8080}:8080"], "published on loopback only"
        assert "/health" in " ".join(app["healthcheck"]["test"])
        assert app["environment"][f"{prefix}SERVER__HOST"] == "0.0.0.0"
    else:
        assert "ports" not in app
        assert "healthcheck" not in app
    if answers["with_s3"]:
        assert set(services) == {"app", "minio", "minio-bucket"}
        assert app["depends_on"] == {
            "minio": {"condition": "service_healthy"},
            "minio-bucket": {"condition": "service_completed_successfully"},
        }
        assert services["minio"]["healthcheck"]["test"] == ["CMD", "mc", "ready", "local"]
        bucket = services["minio-bucket"]
        assert bucket["depends_on"] == {"minio": {"condition": "service_healthy"}}
        assert bucket["restart"] == "no", "a one-shot job"
        assert "mc mb --ignore-existing" in bucket["command"][0]
        s3_keys = {key for key in app["environment"] if key.startswith(f"{prefix}S3__")}
        assert s3_keys == {
            f"{prefix}S3__{key}"
            for key in (
                "ENABLED",
                "ENDPOINT_URL",
                "ADDRESSING_STYLE",
                "REGION",
                "BUCKET",
                "ACCESS_KEY_ID",
                "SECRET_ACCESS_KEY",
            )
        }
        assert app["environment"][f"{prefix}S3__ENDPOINT_URL"] == "http://minio:9000"
        assert app["environment"][f"{prefix}S3__ADDRESSING_STYLE"] == "path", "MinIO needs it"
    else:
        assert set(services) == {"app"}
        assert "minio" not in (project / "compose.yaml").read_text().lower()


# --- deploy/k8s ------------------------------------------------------------------------------


def manifests(project: Path) -> dict[str, dict[str, Any]]:
    """The Kubernetes objects by kind (the kustomization is not one)."""
    found = {}
    for path in sorted((project / "deploy" / "k8s").glob("*.yaml")):
        if path.name != "kustomization.yaml":
            document = load_yaml(path)
            found[document["kind"]] = document
    return found


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
        "PodDisruptionBudget",
        "Secret",
        "Service",
    }
    for document in objects.values():
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
    secret_refs = [source["secretRef"] for source in container["envFrom"]]
    # Not optional: without the Secret the pods must not start with authentication off.
    assert secret_refs == [{"name": objects["Secret"]["metadata"]["name"]}]


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
    if answers_of(name)["with_s3"]:
        # Replicas are stateless: objects live in the shared bucket, not on a pod's disk.
        assert settings["storage"] == {"backend": "s3"}
    else:
        scratch = objects["Deployment"]["spec"]["template"]["spec"]["volumes"]
        (tmp,) = [volume for volume in scratch if volume["name"] == "tmp"]
        assert tmp["emptyDir"]["sizeLimit"] == "256Mi"
        assert settings["storage"]["root"].startswith("/tmp/")
        assert settings["storage"]["max_object_bytes"] < 256 * 1024**2, "an upload fits"


# --- GitHub workflows, Dependabot, pre-commit -------------------------------------------------


def workflows(project: Path) -> dict[str, Path]:
    return {path.name: path for path in sorted((project / ".github" / "workflows").glob("*"))}


@pytest.mark.parametrize("name", ["defaults", "cli-only", "python-3.14"])
def test_workflows_match_the_github_schema(projects: dict[str, Path], name: str) -> None:
    files = workflows(projects[name])
    assert set(files) == {"ci.yml", "template-update.yml"}
    result = run(
        BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *files.values()
    )
    assert result.returncode == 0, result.stdout + result.stderr
    dependabot = projects[name] / ".github" / "dependabot.yml"
    result = run(BIN / "check-jsonschema", "--builtin-schema", "vendor.dependabot", dependabot)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_schema_check_can_fail(projects: dict[str, Path], tmp_path: Path) -> None:
    workflow = load_yaml(workflows(projects["defaults"])["ci.yml"])
    workflow["jobs"]["checks"]["runs_on"] = workflow["jobs"]["checks"].pop("runs-on")
    bad = tmp_path / "ci.yml"
    bad.write_text(yaml.safe_dump(workflow))
    result = run(BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", bad)
    assert result.returncode != 0


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_actions_are_pinned_by_commit_sha(projects: dict[str, Path]) -> None:
    for path in workflows(projects["defaults"]).values():
        for step in steps(load_yaml(path)):
            if "uses" in step:
                assert SHA_PINNED.match(step["uses"]), step["uses"]
        for line in path.read_text().splitlines():
            if "uses:" in line:
                assert VERSION_COMMENT.search(line), f"{path.name}: tag comment missing: {line}"


def test_workflow_permissions_are_minimal(projects: dict[str, Path]) -> None:
    files = workflows(projects["defaults"])
    ci = load_yaml(files["ci.yml"])
    assert ci["permissions"] == {"contents": "read"}
    assert all("permissions" not in job for job in ci["jobs"].values())
    update = load_yaml(files["template-update.yml"])
    assert update["permissions"] == {}
    (job,) = update["jobs"].values()
    assert job["permissions"] == {"contents": "write", "pull-requests": "write"}


@pytest.mark.parametrize(
    ("name", "pythons"),
    [("defaults", ["3.11", NEWEST_PYTHON]), ("python-3.14", [NEWEST_PYTHON])],
)
def test_ci_lints_types_and_tests_on_the_oldest_and_newest_python(
    projects: dict[str, Path], name: str, pythons: list[str]
) -> None:
    ci = load_yaml(workflows(projects[name])["ci.yml"])
    (job,) = ci["jobs"].values()
    assert job["strategy"]["matrix"]["python"] == pythons
    commands = "\n".join(step.get("run", "") for step in job["steps"])
    for command in ("uv sync --locked", "ruff check", "ruff format --check", "mypy", "pytest"):
        assert command in commands, command


@pytest.mark.parametrize("lock_present", [False, True])
def test_ci_stops_with_a_clear_message_without_a_lock(
    projects: dict[str, Path], tmp_path: Path, lock_present: bool
) -> None:
    ci = load_yaml(workflows(projects["defaults"])["ci.yml"])
    step = next(step for step in steps(ci) if step.get("name") == "uv.lock is committed")
    if lock_present:
        (tmp_path / "uv.lock").write_text("")
    result = run("bash", "-eo", "pipefail", "-c", step["run"], cwd=tmp_path)
    assert result.returncode == (0 if lock_present else 1)
    if not lock_present:
        assert "::error file=uv.lock::uv.lock is missing" in result.stdout
        assert "make install" in result.stdout
    step_names = [s.get("name", s.get("uses", "")) for s in steps(ci)]
    assert step_names.index("uv.lock is committed") < next(
        i for i, s in enumerate(steps(ci)) if "uv sync" in s.get("run", "")
    )


def test_template_update_runs_weekly_and_opens_a_pull_request(projects: dict[str, Path]) -> None:
    path = workflows(projects["defaults"])["template-update.yml"]
    update = load_yaml(path)
    # PyYAML reads the bare key `on` as the boolean True (YAML 1.1).
    triggers = update[True]
    assert triggers["schedule"][0]["cron"]
    assert "workflow_dispatch" in triggers
    commands = "\n".join(step.get("run", "") for step in steps(update))
    assert "cruft check" in commands
    # The same script as `make update-template`: the previous render seeds the merge base.
    assert "python scripts/update_template.py" in commands
    assert "gh pr create" in commands
    # With the optional token the update PR gets CI (the default token starts no workflows).
    checkouts = [step for step in steps(update) if "checkout@" in step.get("uses", "")]
    tokens = [step["with"]["token"] for step in checkouts]
    assert tokens == ["${{ secrets.TEMPLATE_UPDATE_TOKEN || github.token }}"]


def test_pre_commit_runs_the_locked_tools_through_uv(projects: dict[str, Path]) -> None:
    path = projects["defaults"] / ".pre-commit-config.yaml"
    result = run(BIN / "pre-commit", "validate-config", path)
    assert result.returncode == 0, result.stdout + result.stderr
    config = load_yaml(path)
    (repo,) = config["repos"]
    assert repo["repo"] == "local"
    hooks = {hook["id"]: hook for hook in repo["hooks"]}
    tools = {"ruff-check", "ruff-format", "mypy"}
    guards = {"no-conflict-markers", "no-rejected-hunks"}
    assert set(hooks) == tools | guards
    for name in tools:
        assert hooks[name]["entry"].startswith("uv run "), hooks[name]
        assert hooks[name]["language"] == "system"
    assert hooks["mypy"]["pass_filenames"] is False, "strict checking needs the whole project"
    assert hooks["no-conflict-markers"]["language"] == "pygrep"
    assert hooks["no-rejected-hunks"]["language"] == "fail"


# --- Makefile and docs -----------------------------------------------------------------------


@pytest.mark.parametrize("lock_present", [False, True])
def test_make_install_locks_only_when_the_lock_is_missing(
    projects: dict[str, Path], lock_present: bool
) -> None:
    project = projects["no-s3"]
    lock = project / "uv.lock"
    if lock_present:
        lock.write_text("")
    try:
        result = run("make", "-n", "-C", project, "install", "UV=/bin/true")
    finally:
        lock.unlink(missing_ok=True)
    assert result.returncode == 0, result.stderr
    assert ("/bin/true lock" in result.stdout) is not lock_present
    assert "/bin/true sync" in result.stdout


@pytest.mark.parametrize("name", RENDERS)
def test_makefile_image_target_builds_with_docker(projects: dict[str, Path], name: str) -> None:
    makefile = (projects[name] / "Makefile").read_text()
    assert "\nimage: uv.lock ## " in makefile
    assert "docker build --tag" in makefile


@pytest.mark.parametrize("name", RENDERS)
def test_every_relative_link_in_the_docs_resolves(projects: dict[str, Path], name: str) -> None:
    project = projects[name]
    documents = [project / "README.md", *sorted((project / "docs").rglob("*.md"))]
    assert len(documents) >= 4
    for document in documents:
        for target in re.findall(r"\]\(([^)#:]+)\)", document.read_text()):
            assert (document.parent / target).is_file(), f"{document.name} → {target}"
    readme = (project / "README.md").read_text()
    for guide in sorted((project / "docs").rglob("*.md")):
        assert str(guide.relative_to(project)) in readme, f"README links {guide.name}"


def test_concept_doc_explains_offloading_blocking_work(projects: dict[str, Path]) -> None:
    text = (projects["defaults"] / "docs" / "async-everywhere.md").read_text()
    for needle in ("asyncio.to_thread", "anyio.to_thread", "time.sleep", "ASYNC"):
        assert needle in text, needle
