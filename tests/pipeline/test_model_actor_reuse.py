"""Model actors are shared by every job of a Ray session: one actor, one model load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ai_video.config import Settings
from ai_video.pipeline.backend import JobScope
from ai_video.pipeline.source import open_source
from ai_video.pipeline.stage_metrics import new_stage_context
from ai_video.pipeline.stages import AUDIO, LANGUAGE, SPEECH, TRANSCRIBE
from ai_video.types import Transcript
from tests.conftest import RayTestCluster

pytestmark = [pytest.mark.ray, pytest.mark.media, pytest.mark.slow]


def _transcribe_job(
    source: Path, settings: Settings, work: Path
) -> tuple[Transcript, dict[str, int]]:
    """One job on its own RayBackend (as the CLI, batch and API build one per job)."""
    import ray

    from ai_video.pipeline.ray_backend import RayBackend

    work.mkdir(parents=True)
    backend = RayBackend(settings)
    try:
        src = open_source(str(source), work, settings, needs_video=False)
        job = JobScope(new_stage_context(settings.cache, work.name, work, work), src, settings)
        wav = backend.submit(AUDIO, job)
        speech = backend.submit(SPEECH, job, wav)
        language = backend.submit(LANGUAGE, job, wav, speech)
        transcript: Transcript = backend.get(backend.submit(TRANSCRIBE, job, wav, language))
        described: dict[str, int] = ray.get(backend.model_actor("asr").describe.remote())
        return transcript, described
    finally:
        backend.close()
        shutil.rmtree(work, ignore_errors=True)


def test_two_jobs_on_one_ray_session_share_the_warm_asr_actor(
    ray_cluster: RayTestCluster, media: Path, tmp_path: Path
) -> None:
    import ray

    from ai_video.pipeline.ray_backend import MODEL_NAMESPACE, model_actor_name

    settings = Settings().with_overrides({"cache.enabled": False})
    source = media / "speech" / "LDC93S1.wav"
    first, first_actor = _transcribe_job(source, settings, tmp_path / "one")
    second, second_actor = _transcribe_job(source, settings, tmp_path / "two")
    assert first_actor["pid"] == second_actor["pid"], "the second job got a new ASR actor"
    # the first job built its models (language id and English ASR); the second built none
    assert first_actor["builds"] >= 1
    assert second_actor["builds"] == first_actor["builds"], "the second job loaded a model again"
    assert [w.text for w in second.words] == [w.text for w in first.words] and first.words
    # found by name from anywhere in the session: the API and a later CLI driver see it too
    name = model_actor_name("asr", 0, settings)
    pid = ray.get(ray.get_actor(name, namespace=MODEL_NAMESPACE).describe.remote())["pid"]
    assert pid == first_actor["pid"]


def test_the_voice_encoder_shares_the_text_embedders_torch_process(
    ray_cluster: RayTestCluster,
) -> None:
    from ai_video.pipeline.ray_backend import RayBackend

    backend = RayBackend(Settings())
    try:
        voice, text = backend.model_actor("voice"), backend.model_actor("text")
        assert voice._actor_id == text._actor_id  # one torch runtime, not one per worker
        assert backend.model_actor("asr")._actor_id != text._actor_id
    finally:
        backend.close()
