"""The Ray implementation of :class:`~ai_video.pipeline.backend.Backend`.

Plain stages become Ray tasks (retried when a worker dies); stages that borrow a heavy model
(ASR, text embedder) call a model actor created once and shared by every job of the driver.
The ASR actors form a small pool; the face detector is light and is built inside the task.
Render tasks ask for the ``nvenc`` custom resource when the encoder is NVENC, so the
scheduler places them only on nodes whose NVENC passed a test encode.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ray

from ai_video.config import RayConfig, Settings
from ai_video.pipeline.capabilities import detect_node_resources
from ai_video.pipeline.local_ray import LOCAL_RAY_ENV, wants_local_ray
from ai_video.pipeline.models import MODEL_FACTORIES
from ai_video.types import EncoderProfile, RenderResult, ScenePlan

log = logging.getLogger(__name__)

ACTOR_CPUS = 0.5
"""CPUs a model actor reserves: enough to spread actors, never all of a small node."""

ACTOR_MODELS = ("asr", "text")
"""Models held by actors; other models are cheap enough to build inside the task."""


@contextmanager
def ray_session(cfg: RayConfig) -> Iterator[None]:
    """Use the connected Ray, connect to ``cfg.address``/RAY_ADDRESS, or start a local one.

    A local Ray is bound to loopback and advertises this node's capability resources; it is
    shut down when the block ends. An existing connection is left as it was.
    """
    if ray.is_initialized():
        yield
        return
    if not wants_local_ray(cfg):
        address = cfg.address or os.environ["RAY_ADDRESS"]
        ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
    else:
        os.environ.update(LOCAL_RAY_ENV)
        ray.init(
            address="local",
            _node_ip_address="127.0.0.1",
            num_cpus=cfg.num_cpus,
            resources=detect_node_resources(),
            include_dashboard=cfg.dashboard,
            dashboard_host="127.0.0.1",
            logging_level=logging.WARNING,
            log_to_driver=False,
            runtime_env={"env_vars": dict(LOCAL_RAY_ENV)},
        )
    try:
        yield
    finally:
        ray.shutdown()


@ray.remote(max_restarts=2, max_task_retries=2)
class ModelActor:
    """Holds one model for the life of the actor and runs stage functions with it."""

    def __init__(self, model: str, settings: Settings) -> None:
        self._model = MODEL_FACTORIES[model](settings)

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(model, *args)``."""
        return fn(self._model, *args)


def _with_built_model(model: str, settings: Settings, fn: Callable[..., Any], *args: Any) -> Any:
    return fn(MODEL_FACTORIES[model](settings), *args)


class RayBackend:
    """Runs stages as Ray tasks and model-actor calls."""

    name = "ray"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._settings_ref = ray.put(settings)
        self._pools: dict[str, list[Any]] = {}
        self._cycles: dict[str, Iterator[Any]] = {}
        self._lock = threading.Lock()

    def _actor(self, model: str) -> Any:
        with self._lock:
            return self._actor_locked(model)

    def _actor_locked(self, model: str) -> Any:
        if model not in self._pools:
            size = self._settings.ray.asr_actors if model == "asr" else 1
            self._pools[model] = [
                ModelActor.options(num_cpus=ACTOR_CPUS).remote(model, self._settings)  # type: ignore[attr-defined]
                for _ in range(size)
            ]
            self._cycles[model] = itertools.cycle(self._pools[model])
        return next(self._cycles[model])

    def submit(
        self,
        stage: str,
        fn: Callable[..., Any],
        *args: Any,
        model: str | None = None,
        resources: dict[str, float] | None = None,
    ) -> Any:
        """Schedule a stage on the cluster and return its ObjectRef."""
        if model in ACTOR_MODELS:
            return self._actor(model).call.remote(fn, *args)
        options: dict[str, Any] = {"name": stage, "max_retries": 3, "retry_exceptions": False}
        if stage == "render":
            resources = {**self._settings.ray.render_resources, **(resources or {})}
        if resources:
            options["resources"] = resources
        options["num_cpus"] = 1
        if model is not None:
            task = ray.remote(_with_built_model).options(**options)
            return task.remote(model, self._settings_ref, fn, *args)
        return ray.remote(fn).options(**options).remote(*args)

    def get(self, handle: Any) -> Any:
        """Wait for an ObjectRef (or a list of them); a stage's own error is re-raised as is."""
        try:
            return ray.get(handle)
        except ray.exceptions.RayTaskError as exc:
            original = getattr(exc, "cause", None)
            if isinstance(original, BaseException):
                raise original from None
            raise

    def close(self) -> None:
        """Stop this backend's model actors."""
        for pool in self._pools.values():
            for actor in pool:
                ray.kill(actor)
        self._pools.clear()
        self._cycles.clear()


def render_scenes_on_ray(
    plans: Sequence[ScenePlan], encoder: EncoderProfile, settings: Settings, work_dir: Path
) -> list[RenderResult]:
    """Render generate's scenes as parallel Ray tasks (same encode parameters for each)."""
    from ai_video.render.scene import render_scene

    resources = dict(settings.ray.render_resources)
    if encoder.hardware:
        resources["nvenc"] = 1.0
    task = ray.remote(render_scene).options(
        name="scene_render", num_cpus=1, max_retries=3, resources=resources or None
    )
    return list(ray.get([task.remote(plan, encoder, settings, work_dir) for plan in plans]))
