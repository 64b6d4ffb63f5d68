"""Prometheus text for GET /metrics, read from the job store and the runner at scrape time.

Job counts, queue depth, stage-duration histograms, errors by kind and cache totals come
from the store, so every replica reports the same numbers and a restart loses none. The
adaptive-concurrency figures (issue 16) come from the runner's admission controller, the
one in this process. ``cluster/grafana/dashboards/ai_video.json`` queries these names; a
test checks every name it queries is in a real scrape.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from ai_video.pipeline.admission import MB, REASONS, AdmissionController
from ai_video.serve.jobs import ACTIVE_STATES, JobState, JobStore

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class JobStoreCollector(Collector):
    """Turns the store's job counts and stage timings into Prometheus metric families."""

    def __init__(self, store: JobStore, buckets_s: Sequence[float]) -> None:
        self._store = store
        self._buckets_s = tuple(sorted(buckets_s))

    def collect(self) -> Iterator[Metric]:
        """Yield the metric families for one scrape."""
        counts = self._store.state_counts()
        jobs = GaugeMetricFamily("ai_video_jobs", "Jobs by state.", labels=["state"])
        for state in JobState:
            jobs.add_metric([state.value], counts.get(state, 0))
        yield jobs
        yield GaugeMetricFamily(
            "ai_video_queue_depth",
            "Jobs accepted and waiting to run.",
            value=counts.get(JobState.QUEUED, 0),
        )
        finished = CounterMetricFamily(
            "ai_video_jobs_finished",
            "Jobs that reached an end state (rate() of it is the throughput).",
            labels=["state"],
        )
        for state in JobState:
            if state not in ACTIVE_STATES:
                finished.add_metric([state.value], counts.get(state, 0))
        yield finished
        yield from self._errors_and_cache()
        stages = HistogramMetricFamily(
            "ai_video_stage_duration_seconds",
            "Wall time of pipeline stages in finished jobs.",
            labels=["stage"],
        )
        for hist in self._store.stage_histograms(self._buckets_s):
            buckets = [(_le(bound), float(count)) for bound, count in hist.buckets]
            buckets.append(("+Inf", float(hist.count)))
            stages.add_metric([hist.stage], buckets, hist.sum_s)
        yield stages

    def _errors_and_cache(self) -> Iterator[Metric]:
        errors = CounterMetricFamily(
            "ai_video_job_errors", "Failed jobs by error kind.", labels=["kind"]
        )
        for kind, count in sorted(self._store.error_counts().items()):
            errors.add_metric([kind], count)
        yield errors
        hits, misses = self._store.cache_totals()
        yield CounterMetricFamily(
            "ai_video_cache_hits", "Stage-cache hits summed over finished jobs.", value=hits
        )
        yield CounterMetricFamily(
            "ai_video_cache_misses", "Stage-cache misses summed over finished jobs.", value=misses
        )


class AdmissionCollector(Collector):
    """The runner's adaptive concurrency: current limit, decisions by reason, footprints."""

    def __init__(self, controller: AdmissionController) -> None:
        self._controller = controller

    def collect(self) -> Iterator[Metric]:
        """Yield the admission metric families for one scrape."""
        c = self._controller
        yield _scoped_gauge(
            "ai_video_admission_limit",
            "Current adaptive limit of work in flight (jobs, videos or renders).",
            c.scope,
            c.current,
        )
        decisions = CounterMetricFamily(
            "ai_video_admission_decisions",
            "Admission decisions by reason (memory_over, memory_full, cpu_busy, idle, ...).",
            labels=["scope", "reason"],
        )
        for reason in REASONS:
            decisions.add_metric([c.scope, reason], c.decisions.get(reason, 0))
        yield decisions
        yield _scoped_gauge(
            "ai_video_admission_unit_memory_bytes",
            "Memory one more unit of work is expected to take (configured or measured).",
            c.scope,
            c.unit_mb * MB,
        )
        yield _scoped_gauge(
            "ai_video_admission_peak_memory_bytes",
            "Largest memory use the controller measured (process tree or machine).",
            c.scope,
            c.peak_memory_mb * MB,
        )


def metrics_text(store: JobStore, buckets_s: Sequence[float], runner: object = None) -> bytes:
    """The Prometheus exposition text for the store's state (and the runner's admission)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(JobStoreCollector(store, buckets_s))
    controller = getattr(runner, "admission", None)
    if isinstance(controller, AdmissionController):
        registry.register(AdmissionCollector(controller))
    return generate_latest(registry)


def _scoped_gauge(name: str, doc: str, scope: str, value: float) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, doc, labels=["scope"])
    gauge.add_metric([scope], value)
    return gauge


def _le(bound: float) -> str:
    return repr(float(bound))
