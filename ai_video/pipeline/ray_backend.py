"""The Ray implementation of :class:`~ai_video.pipeline.backend.Backend`.

Plain stages become Ray tasks (retried when a worker dies); stages that borrow a heavy model
(ASR; the text embedder and the voice encoder, which share one torch process) call a model
actor. Model actors are named (group, configuration, pool index) and detached in namespace
``ai_video``: the first job of a Ray session creates them,
every later job, batch or API replica of that session finds the same warm actor by name, so
a model loads once per session, not once per job (a local Ray takes them down with it). The
ASR actors form a small pool; the face detector is light and is built inside the task.
Render tasks ask for the ``nvenc`` custom resource when the encoder is NVENC, so the
scheduler places them only on nodes whose NVENC passed a test encode.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import ray

from ai_video.config import Settings
from ai_video.pipeline.backend import JobScope
from ai_video.pipeline.capabilities import detect_node_resources
from ai_video.pipeline.local_ray import LOCAL_RAY_ENV, prepare_local_ray_env, wants_local_ray
from ai_video.pipeline.model_kinds import MODEL_KINDS, actor_group, group_kinds
from ai_video.pipeline.source import SourceRef
from ai_video.pipeline.stage import Stage, execute_stage, ray_task_options
from ai_video.pipeline.stage_metrics import StageContext

log = logging.getLogger(__name__)

MODEL_NAMESPACE = "ai_video"
"""Ray namespace of the shared model actors (the TTS actor lives there too)."""


@contextmanager
def ray_session(settings: Settings) -> Iterator[None]:
    """Use the connected Ray, connect to ``ray.address``/RAY_ADDRESS, or start a local one.

    A local Ray is bound to loopback and advertises this node's capability resources; it is
    shut down when the block ends. An existing connection is left as it was.
    """
    if ray.is_initialized():
        yield
        return
    cfg = settings.ray
    if not wants_local_ray(cfg):
        address = cfg.address or os.environ["RAY_ADDRESS"]
        ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
    else:
        prepare_local_ray_env(cfg)
        ray.init(
            address="local",
            _node_ip_address="127.0.0.1",
            num_cpus=cfg.num_cpus,
            resources=detect_node_resources(settings.render, settings.media),
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


@ray.remote
class ModelActor:
    """Holds the models of one actor group for the life of the actor (each built on its
    first use) and runs stages with them."""

    def __init__(self, group: str, settings: Settings) -> None:
        self._settings = settings
        self._models: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _model(self, kind: str) -> Any:
        with self._lock:
            if kind not in self._models:
                self._models[kind] = MODEL_KINDS[kind].build(self._settings)
            return self._models[kind]

    def describe(self) -> dict[str, int]:
        """Its process id and how many models it has built (reuse keeps ``builds`` still)."""
        builds = sum(int(getattr(m, "builds", 1)) for m in self._models.values())
        return {"pid": os.getpid(), "builds": builds}

    def execute(
        self,
        kind: str,
        stage: Stage[Any],
        ctx: StageContext,
        src: SourceRef,
        settings: Settings,
        *inputs: Any,
    ) -> Any:
        """Run one stage with the held model of ``kind``."""
        return execute_stage(stage, ctx, src, settings, self._model(kind), *inputs)


def model_actor_name(group: str, index: int, settings: Settings) -> str:
    """The session-wide name of model actor ``index`` of ``group`` for these settings."""
    config = "".join(kind.config(settings) for kind in group_kinds(group))
    suffix = f"_{hashlib.sha256(config.encode()).hexdigest()[:12]}" if config else ""
    return f"ai_video_model_{group}{suffix}_{index}"


def model_actor(group: str, index: int, settings: Settings) -> Any:
    """Model actor ``index`` of ``group``: the running one of this name, or a new one."""
    ray_cfg = settings.ray
    options = {
        "name": model_actor_name(group, index, settings),
        "namespace": MODEL_NAMESPACE,
        "get_if_exists": True,
        "lifetime": "detached",
        "num_cpus": _actor_cpus(ray_cfg.actor_cpus),
        "max_restarts": ray_cfg.actor_restarts,
        "max_task_retries": ray_cfg.actor_task_retries,
    }
    return ModelActor.options(**options).remote(group, settings)  # type: ignore[attr-defined]


def _actor_cpus(configured: float) -> float:
    """CPUs a model actor reserves: ``configured`` on a cluster of several nodes (it spreads
    the actors); none on a single node, where spreading is moot and a reservation only
    idles a core between the actor's calls: on 2 CPUs two actors at 0.5 left stage tasks one
    CPU, so the visual pass, diarization and renders queued behind each other (issue 15)."""
    alive = [node for node in ray.nodes() if node.get("Alive")]  # type: ignore[no-untyped-call]
    return configured if len(alive) > 1 else 0.0


def stop_model_actors() -> int:
    """Kill this session's model actors (they otherwise live as long as the Ray session)."""
    stopped = 0
    for entry in ray.util.list_named_actors(all_namespaces=True):
        if entry["namespace"] == MODEL_NAMESPACE and entry["name"].startswith("ai_video_model_"):
            ray.kill(ray.get_actor(entry["name"], namespace=MODEL_NAMESPACE))
            stopped += 1
    return stopped


def _execute_with_built_model(
    kind: str,
    stage: Stage[Any],
    ctx: StageContext,
    src: SourceRef,
    settings: Settings,
    *inputs: Any,
) -> Any:
    return execute_stage(stage, ctx, src, settings, MODEL_KINDS[kind].build(settings), *inputs)


class RayBackend:
    """Runs stages as Ray tasks and model-actor calls."""

    name = "ray"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._pools: dict[str, list[Any]] = {}
        self._cycles: dict[str, Iterator[Any]] = {}
        self._lock = threading.Lock()

    def model_actor(self, kind: str) -> Any:
        """The next actor of the pool holding ``kind`` (the session's, found by name)."""
        group = actor_group(kind)
        with self._lock:
            if group not in self._pools:
                size = max(k.pool_size(self._settings) for k in group_kinds(group))
                self._pools[group] = [model_actor(group, i, self._settings) for i in range(size)]
                self._cycles[group] = itertools.cycle(self._pools[group])
            return next(self._cycles[group])

    def submit(self, stage: Stage[Any], job: JobScope, *inputs: Any) -> Any:
        """Schedule one stage execution on the cluster and return its ObjectRef."""
        kind = stage.wants_model(job.settings)
        args = (stage, job.ctx, job.src, job.settings, *inputs)
        if kind is not None and MODEL_KINDS[kind].actor:
            return self.model_actor(kind).execute.remote(kind, *args)
        options = ray_task_options(stage, job.settings, inputs)
        if kind is not None:
            return ray.remote(_execute_with_built_model).options(**options).remote(kind, *args)
        return (
            ray.remote(execute_stage)
            .options(**options)
            .remote(stage, job.ctx, job.src, job.settings, None, *inputs)
        )

    def call(
        self,
        fn: Callable[..., Any],
        *args: Any,
        cpus: float = 1.0,
        resources: dict[str, float] | None = None,
    ) -> Any:
        """Run a plain function as a Ray task (retried if its worker dies)."""
        options: dict[str, Any] = {
            "name": getattr(fn, "__name__", "call"),
            "num_cpus": cpus,
            "max_retries": self._settings.ray.task_retries,
        }
        if resources:
            options["resources"] = resources
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
        """Forget this backend's actor handles; the actors stay warm for the session's next job."""
        self._pools.clear()
        self._cycles.clear()
