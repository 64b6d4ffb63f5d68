"""cluster/: every manifest parses, passes Ray's own schema, and names real commands and apps."""

from __future__ import annotations

import importlib
import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from ai_video.cli import app as cli_app
from ai_video.config import Settings

ROOT = Path(__file__).resolve().parents[1]
CLUSTER = ROOT / "cluster"
SERVE_IMPORT_PATH = "ai_video.serve.deployment:app"
SHARED_MOUNT = "/mnt/ai-video"
CAPABILITIES = {"gpu", "nvdec", "nvenc"}
NO_NVENC_INSTANCES = ("p4d.", "p4de.", "p5.", "p5e.", "p5en.")
"""AWS families with A100/H100/H200 GPUs, which have no NVENC engine."""

COMMAND = re.compile(r"(?<![\w/.-])ai-video\s+([a-z][a-z0-9-]*)")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _yaml_docs(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((CLUSTER / name).read_text()) if d is not None]


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
        if "\n" in node:  # embedded YAML (serveConfigV2, runtimeEnvYAML) is searched as well
            yield from _strings(yaml.safe_load(node))
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _worker_groups() -> dict[str, list[dict[str, Any]]]:
    job = _yaml_docs("kuberay-rayjob.yaml")[0]["spec"]["rayClusterSpec"]
    service = _yaml_docs("kuberay-rayservice.yaml")[0]["spec"]["rayClusterConfig"]
    return {"rayjob": job["workerGroupSpecs"], "rayservice": service["workerGroupSpecs"]}


def _group_resources(group: dict[str, Any]) -> dict[str, float]:
    raw = group["rayStartParams"].get("resources")
    return dict(json.loads(json.loads(raw))) if raw else {}


def _registered_subcommands() -> set[str]:
    group = typer.main.get_command(cli_app)
    return set(group.commands)  # type: ignore[attr-defined]


def test_every_yaml_parses() -> None:
    files = sorted(CLUSTER.glob("*.yaml"))
    names = {p.name for p in files}
    expected = {
        "cluster.yaml",
        "runtime_env.yaml",
        "kuberay-rayjob.yaml",
        "kuberay-rayservice.yaml",
    }
    assert expected <= names
    for path in files:
        assert _yaml_docs(path.name), f"{path.name} is empty"


def test_launcher_config_passes_ray_schema_and_has_capability_types() -> None:
    from ray.autoscaler._private.util import prepare_config, validate_config

    config = _yaml_docs("cluster.yaml")[0]
    validate_config(config)
    validate_config(prepare_config(config))
    types = config["available_node_types"]
    head = types[config["head_node_type"]]
    assert not CAPABILITIES & head["resources"].keys()
    workers = {name: t for name, t in types.items() if name != config["head_node_type"]}
    nvenc = [t for t in workers.values() if t["resources"].get("nvenc")]
    assert nvenc, "no worker type advertises nvenc"
    for t in nvenc:
        assert {k: t["resources"][k] for k in CAPABILITIES} == {"gpu": 1, "nvdec": 1, "nvenc": 2}
        checks = " ".join(t["worker_setup_commands"])
        assert "ai-video node-resources" in checks and "'nvenc'" in checks
    no_nvenc = [
        t
        for t in workers.values()
        if t["node_config"]["InstanceType"].startswith(NO_NVENC_INSTANCES)
    ]
    assert no_nvenc, "no H100/H200/A100 worker type"
    for t in no_nvenc:
        assert t["resources"].get("gpu") == 1 and t["resources"].get("nvdec") == 1
        assert "nvenc" not in t["resources"]


def test_launcher_start_commands_detect_resources_with_auth_and_no_usage_stats() -> None:
    config = _yaml_docs("cluster.yaml")[0]
    head = " ".join(config["head_start_ray_commands"])
    worker = " ".join(config["worker_start_ray_commands"])
    assert "ray start --head" in head and "--dashboard-host=127.0.0.1" in head
    assert "ray start --address=$RAY_HEAD_IP:6379" in worker
    for start in (head, worker):
        assert '--resources="$(ai-video node-resources)"' in start
        assert "RAY_AUTH_MODE=token" in start and "RAY_USAGE_STATS_ENABLED=0" in start
    run_options = " ".join(config["docker"]["run_options"])
    assert "NVIDIA_DRIVER_CAPABILITIES=compute,utility,video" in run_options
    assert f"AI_VIDEO_CACHE__DIR={SHARED_MOUNT}/cache" in run_options
    assert config["file_mounts"]["~/.ray/auth_token"] == "~/.ray/auth_token"


def test_named_commands_are_real_subcommands_of_the_console_script() -> None:
    assert PYPROJECT["project"]["scripts"]["ai-video"] == "ai_video.cli:main"
    subcommands = _registered_subcommands()
    named: set[str] = set()
    for path in sorted(CLUSTER.glob("*.yaml")):
        for text in _strings(_yaml_docs(path.name)):
            named |= set(COMMAND.findall(text))
    for path in (CLUSTER / "README.md", CLUSTER / "Dockerfile"):
        named |= set(COMMAND.findall(path.read_text()))
    assert {"batch", "node-resources", "doctor", "report"} <= named
    missing = sorted(named - subcommands)
    assert not missing, f"cluster/ names ai-video subcommands that do not exist: {missing}"


def test_kuberay_groups_advertise_capabilities_honestly() -> None:
    for manifest, groups in _worker_groups().items():
        by_name = {g["groupName"]: g for g in groups}
        assert _group_resources(by_name["gpu-nvenc"]) == {"gpu": 1, "nvdec": 1, "nvenc": 2}
        assert _group_resources(by_name["h100"]) == {"gpu": 1, "nvdec": 1}, manifest
        assert _group_resources(by_name["cpu"]) == {}
        init = by_name["gpu-nvenc"]["template"]["spec"]["initContainers"][0]
        assert "ai-video node-resources" in init["command"][-1]
        for group in groups:
            instance = group["template"]["spec"]["nodeSelector"]["node.kubernetes.io/instance-type"]
            if instance.startswith(NO_NVENC_INSTANCES):
                assert "nvenc" not in _group_resources(group), (
                    f"{manifest}: {instance} has no NVENC"
                )


def test_kuberay_manifests_match_image_ray_version_and_volume() -> None:
    ray_pin = next(d for d in PYPROJECT["project"]["dependencies"] if d.startswith("ray["))
    ray_version = ray_pin.split("==")[1]
    image = f"ai-video:{PYPROJECT['project']['version']}"
    dockerfile = (CLUSTER / "Dockerfile").read_text()
    assert f"FROM rayproject/ray:{ray_version}-py311" in dockerfile
    assert f"-t {image} ." in dockerfile
    claim = _yaml_docs("kuberay-storage.yaml")[0]
    assert claim["kind"] == "PersistentVolumeClaim"
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    job = _yaml_docs("kuberay-rayjob.yaml")[0]["spec"]["rayClusterSpec"]
    service = _yaml_docs("kuberay-rayservice.yaml")[0]["spec"]["rayClusterConfig"]
    for spec in (job, service):
        assert spec["rayVersion"] == ray_version
        assert spec["authOptions"]["mode"] == "token"
        pods = [spec["headGroupSpec"], *spec["workerGroupSpecs"]]
        for pod in (p["template"]["spec"] for p in pods):
            assert {c["image"] for c in pod["containers"]} == {image}
            assert (
                pod["volumes"][0]["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
            )
            assert pod["containers"][0]["volumeMounts"][0]["mountPath"] == SHARED_MOUNT


def test_runtime_envs_are_valid_and_agree() -> None:
    from ray.runtime_env import RuntimeEnv

    runtime_env = _yaml_docs("runtime_env.yaml")[0]
    RuntimeEnv(**runtime_env)
    assert runtime_env["working_dir"] == "."
    env_vars = runtime_env["env_vars"]
    assert env_vars["RAY_USAGE_STATS_ENABLED"] == "0"
    job = _yaml_docs("kuberay-rayjob.yaml")[0]["spec"]
    assert job["entrypoint"].startswith("ai-video batch ")
    assert f"--out {SHARED_MOUNT}/runs/" in job["entrypoint"]
    job_env = yaml.safe_load(job["runtimeEnvYAML"])
    RuntimeEnv(**job_env)
    assert job_env["env_vars"] == env_vars


def test_env_var_names_reach_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    env_vars = _yaml_docs("runtime_env.yaml")[0]["env_vars"]
    for name, value in env_vars.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.cache.dir == Path(env_vars["AI_VIDEO_CACHE__DIR"])
    assert settings.serve.data_dir == Path(env_vars["AI_VIDEO_SERVE__DATA_DIR"])
    assert str(settings.cache.dir).startswith(SHARED_MOUNT)


def test_rayservice_serve_config_is_valid_and_its_app_resolves() -> None:
    from ray.serve.deployment import Application
    from ray.serve.schema import ServeDeploySchema

    service = _yaml_docs("kuberay-rayservice.yaml")[0]
    assert service["kind"] == "RayService"
    serve_config = ServeDeploySchema.model_validate(
        yaml.safe_load(service["spec"]["serveConfigV2"])
    )
    assert [a.import_path for a in serve_config.applications] == [SERVE_IMPORT_PATH]
    module_name, attr = SERVE_IMPORT_PATH.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        pytest.skip(f"{module_name} is not written yet")
    assert hasattr(module, attr), f"{module_name} has no attribute {attr!r}"
    target = getattr(module, attr)
    assert isinstance(target, Application) or callable(target)


def test_readme_describes_every_file_that_exists() -> None:
    readme = (CLUSTER / "README.md").read_text()
    for path in CLUSTER.iterdir():
        if path.name != "README.md":
            assert f"`{path.name}`" in readme, f"README does not describe {path.name}"
    for name in re.findall(r"^\| `([\w-]+\.[\w.-]+)` \|", readme, flags=re.MULTILINE):
        assert (CLUSTER / name).is_file(), f"README describes {name}, which is not in cluster/"
