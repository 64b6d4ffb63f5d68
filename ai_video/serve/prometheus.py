"""Prometheus text for GET /metrics, read from the job store at scrape time.

Nothing is counted in memory: jobs by state, queue depth and stage-duration histograms all
come from the store, so every replica reports the same numbers and a restart loses none.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from ai_video.serve.jobs import JobState, JobStore

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


def metrics_text(store: JobStore, buckets_s: Sequence[float]) -> bytes:
    """The Prometheus exposition text for the store's current state."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(JobStoreCollector(store, buckets_s))
    return generate_latest(registry)


def _le(bound: float) -> str:
    return repr(float(bound))
