"""cluster/compose.yaml: valid against the Compose Specification schema (and `docker compose
config` where installed), with what a single-node deployment needs, wired consistently to
the Prometheus and Grafana files next to it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from ai_video.config import Settings

CLUSTER = Path(__file__).resolve().parents[2] / "cluster"
COMPOSE = CLUSTER / "compose.yaml"
TEST_ENV = {"POSTGRES_PASSWORD": "pg-secret", "GRAFANA_ADMIN_PASSWORD": "gf-secret"}
VARIABLE = re.compile(r"\$\{(\w+)(?::?[-?]([^}]*))?\}")


def interpolated(text: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error} substitution ($$ is a literal $)."""

    def value(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2) or ""
        if name in env:
            return env[name]
        if ":?" in match.group(0):
            raise KeyError(f"{name} must be set: {default}")
        return default

    return VARIABLE.sub(value, text.replace("$$", "\0")).replace("\0", "$")


def compose(env: dict[str, str] | None = None) -> dict[str, Any]:
    text = COMPOSE.read_text()
    data: dict[str, Any] = yaml.safe_load(text if env is None else interpolated(text, env))
    return data


def test_compose_file_passes_the_compose_specification_schema() -> None:
    import jsonschema

    schema_file = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(schema_file.read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    for document in (compose(), compose(TEST_ENV)):
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
        assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    # the schema is strict where it matters: a misspelt key is refused
    broken = compose()
    broken["services"]["postgres"]["helthcheck"] = broken["services"]["postgres"]["healthcheck"]
    assert list(validator.iter_errors(broken))


@pytest.mark.skipif(
    not (shutil.which("docker-compose") or shutil.which("docker")), reason="no docker client"
)
def test_docker_compose_config_accepts_it_where_installed() -> None:
    tool = ["docker-compose"] if shutil.which("docker-compose") else ["docker", "compose"]
    probe = subprocess.run([*tool, "version"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"{' '.join(tool)} is not installed (the schema test validates instead)")
    done = subprocess.run(
        [*tool, "-f", str(COMPOSE), "config", "-q"],
        capture_output=True, text=True, check=False, env={**os.environ, **TEST_ENV},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_passwords_must_be_given() -> None:
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):
        compose({"GRAFANA_ADMIN_PASSWORD": "x"})


def test_services_volumes_health_checks_and_loopback_ports() -> None:
    spec = compose(TEST_ENV)
    services = spec["services"]
    assert set(services) == {"ray-head", "postgres", "prometheus", "grafana"}
    for name, service in services.items():
        assert service["healthcheck"]["test"], f"{name} has no health check"
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
    head = services["ray-head"]
    assert head["build"]["dockerfile"] == "cluster/Dockerfile"
    assert (CLUSTER.parent / head["build"]["context"].replace("..", ".")).is_dir()
    assert head["depends_on"]["postgres"]["condition"] == "service_healthy"
    mounts = {v.split(":")[1]: v.split(":")[0] for v in head["volumes"]}
    env = head["environment"]
    assert mounts[env["AI_VIDEO_SERVE__DATA_DIR"]] in spec["volumes"]
    assert mounts[env["AI_VIDEO_CACHE__DIR"]] in spec["volumes"]
    assert "ray-tmp" in spec["volumes"] and mounts["/tmp/ray"] == "ray-tmp"
    assert "ai-video serve --host 0.0.0.0 --port 8000" in " ".join(head["command"])
    assert "--metrics-export-port=8080" in " ".join(head["command"])
    dockerfile = (CLUSTER / "Dockerfile").read_text()
    assert "psycopg" in dockerfile and "/mnt/ai-video/serve" in dockerfile


def test_the_heads_environment_reaches_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    env = compose(TEST_ENV)["services"]["ray-head"]["environment"]
    for name, value in env.items():
        if name.startswith("AI_VIDEO_"):
            monkeypatch.setenv(name, str(value))
    settings = Settings()
    assert str(settings.serve.data_dir) == env["AI_VIDEO_SERVE__DATA_DIR"]
    assert settings.serve.db_url == (
        "postgresql+psycopg://ai_video:pg-secret@postgres:5432/ai_video"
    )
    assert settings.serve.max_running_jobs == 2 and settings.admission.enabled
    assert settings.api_options.public_metrics and settings.ray.address == "auto"
    postgres = compose(TEST_ENV)["services"]["postgres"]["environment"]
    assert postgres["POSTGRES_USER"] in settings.serve.db_url
    assert postgres["POSTGRES_DB"] in settings.serve.db_url


def test_prometheus_and_grafana_files_are_mounted_and_agree() -> None:
    services = compose(TEST_ENV)["services"]
    for name in ("prometheus", "grafana"):
        for volume in services[name]["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (CLUSTER / source).exists(), f"{name} mounts missing {source}"
        assert "ray-tmp:/tmp/ray:ro" in services[name]["volumes"]
    prometheus = yaml.safe_load((CLUSTER / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in prometheus["scrape_configs"]}
    assert jobs["ai_video"]["static_configs"][0]["targets"] == ["ray-head:8000"]
    assert jobs["ai_video"]["metrics_path"] == "/metrics"
    (discovery,) = jobs["ray"]["file_sd_configs"][0]["files"]
    assert discovery == "/tmp/ray/session_latest/prom_metrics_service_discovery.json"
    providers = yaml.safe_load(
        (CLUSTER / "grafana/provisioning/dashboards/dashboards.yaml").read_text()
    )["providers"]
    paths = {p["name"]: p["options"]["path"] for p in providers}
    assert "./grafana/dashboards:" + paths["ai_video"] + ":ro" in services["grafana"]["volumes"]
    assert paths["ray"] == "/tmp/ray/session_latest/metrics/grafana/dashboards"
    home = services["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == paths["ai_video"] + "/ai_video.json"
