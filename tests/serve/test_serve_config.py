"""cluster/serve-config.yaml passes Ray Serve's schema and its import path builds the app."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT


def test_serve_config_is_valid_loopback_and_builds_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ray.serve.deployment import Application
    from ray.serve.schema import ServeDeploySchema

    from ai_video.serve import deployment

    raw = yaml.safe_load((ROOT / "cluster" / "serve-config.yaml").read_text())
    config = ServeDeploySchema.model_validate(raw)
    assert config.http_options.host == "127.0.0.1"
    (application,) = config.applications
    assert application.import_path == "ai_video.serve.deployment:app"
    assert application.route_prefix == "/"
    env_vars = application.runtime_env["env_vars"]
    assert env_vars["RAY_USAGE_STATS_ENABLED"] == "0"

    monkeypatch.setenv("AI_VIDEO_SERVE__DATA_DIR", str(tmp_path / "serve"))
    monkeypatch.setenv("AI_VIDEO_CACHE__DIR", str(tmp_path / "cache"))
    built = deployment.app(application.args)
    assert isinstance(built, Application)
    assert (tmp_path / "serve" / "jobs.sqlite3").is_file()  # the store opened before deploying
