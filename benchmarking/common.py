"""What every benchmark shares: media and results folders, settings, RSS sampling, reports."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import importlib.util
import json
import os
import platform
import resource
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import polars as pl

from ai_video.config import Settings, load_settings
from benchmarking.datasets import Registry, default_media_root, load_registry

ROOT = Path(__file__).resolve().parents[1]
RESULTS_ROOT = ROOT / "benchmarking" / "results"
SAMPLE_EVERY_S = 0.5
"""How often the RSS sampler sums the memory of the process tree."""


def media_root() -> Path:
    """The shared test media (env AI_VIDEO_TEST_MEDIA, default ../shared/media beside the repo)."""
    return default_media_root()


def suite_parser(name: str, doc: str | None) -> argparse.ArgumentParser:
    """An argument parser with the flags every suite takes: ``--quick --media DIR --out DIR``."""
    parser = argparse.ArgumentParser(
        prog=f"python -m benchmarking {name}",
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick", action="store_true", help="shortest registry media, fewest repeats (CI)"
    )
    parser.add_argument(
        "--media", type=Path, default=None, help="media folder with a MANIFEST.tsv (registry)"
    )
    parser.add_argument("--out", type=Path, default=None, help="results folder of this suite")
    return parser


@dataclass(frozen=True)
class Suite:
    """One suite run: where it writes, which media registry it reads, how thorough it is."""

    name: str
    out: Path
    registry: Registry
    quick: bool


def open_suite(name: str, args: argparse.Namespace) -> Suite:
    """The suite's fresh results folder (``--out``, default ``benchmarking/results/NAME``) and
    the registry of ``--media`` (default AI_VIDEO_TEST_MEDIA or ../shared/media)."""
    out: Path = args.out.resolve() if args.out else RESULTS_ROOT / name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    return Suite(name, out, load_registry(args.media), bool(args.quick))


def results_dir(name: str, fresh: bool = False) -> Path:
    """``benchmarking/results/NAME`` (created; emptied first when ``fresh``) for one benchmark."""
    path = RESULTS_ROOT / name
    if fresh:
        shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    return path


def bench_settings(overrides: dict[str, Any]) -> Settings:
    """The user's settings (defaults, AI_VIDEO_* variables) with the benchmark's overrides."""
    return load_settings().with_overrides(overrides)


@dataclass(frozen=True)
class MachineInfo:
    """Where and when a benchmark ran, and how busy the machine was."""

    date: str
    host: str
    cpu_model: str
    logical_cpus: int
    load_avg_1m: float
    python: str

    def line(self) -> str:
        """One Markdown-ready sentence describing the machine."""
        return (
            f"{self.date}, {self.host}: {self.logical_cpus} CPUs ({self.cpu_model}), no GPU used, "
            f"Python {self.python}, 1-min load average {self.load_avg_1m:.1f} at start"
        )


def machine_info() -> MachineInfo:
    """Date, CPU and load of this machine now."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    return MachineInfo(
        date=dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        host=platform.node(),
        cpu_model=model,
        logical_cpus=os.cpu_count() or 1,
        load_avg_1m=os.getloadavg()[0],
        python=platform.python_version(),
    )


def load_psutil() -> ModuleType:
    """psutil, or the copy Ray vendors in ``ray/thirdparty_files`` when it is not installed."""
    try:
        return importlib.import_module("psutil")
    except ModuleNotFoundError:
        spec = importlib.util.find_spec("ray")
        if spec is None or spec.origin is None:
            raise
        vendored = Path(spec.origin).parent / "thirdparty_files"
        if str(vendored) not in sys.path:
            sys.path.append(str(vendored))
        return importlib.import_module("psutil")


def machine_busy_s() -> float:
    """CPU seconds all processes of this machine have used since boot (every core summed)."""
    times = load_psutil().cpu_times()
    busy = times.user + times.system + getattr(times, "nice", 0.0)
    for extra in ("irq", "softirq"):
        busy += getattr(times, extra, 0.0)
    return float(busy)


@dataclass
class RssSampler:
    """Samples this process and all its descendants on a thread: summed RSS and CPU seconds.

    Peaks are kept for the whole run and per phase (see :meth:`phase`). CPU seconds are the
    largest user+system time seen per process, so a process that lives less than one interval
    is missed: the total is a lower bound.
    """

    interval_s: float = SAMPLE_EVERY_S
    peak_bytes: int = 0
    samples: int = 0
    phase_peaks: dict[str, int] = field(default_factory=dict)
    phase_cpu: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Per phase: CPU seconds of this process tree, and of the whole machine (all processes)."""
    _cpu_by_pid: dict[tuple[int, float], float] = field(default_factory=dict)
    _current: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> int:
        """Sum the RSS of the tree now, update the peaks and CPU seconds; return the sum."""
        psutil = load_psutil()
        me = psutil.Process(os.getpid())
        total = 0
        cpu_now: dict[tuple[int, float], float] = {}
        for proc in [me, *me.children(recursive=True)]:
            try:
                with proc.oneshot():
                    total += int(proc.memory_info().rss)
                    times = proc.cpu_times()
                    cpu_now[(proc.pid, proc.create_time())] = float(times.user + times.system)
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
        with self._lock:
            for key, used in cpu_now.items():
                self._cpu_by_pid[key] = max(self._cpu_by_pid.get(key, 0.0), used)
            self.samples += 1
            self.peak_bytes = max(self.peak_bytes, total)
            if self._current:
                self.phase_peaks[self._current] = max(self.phase_peaks.get(self._current, 0), total)
        return total

    def cpu_s(self) -> float:
        """CPU seconds used by the tree so far (lower bound, see the class docstring)."""
        with self._lock:
            return sum(self._cpu_by_pid.values())

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample()

    @contextmanager
    def running(self) -> Iterator[RssSampler]:
        """Sample in the background while the block runs (and once at each end)."""
        self.sample()
        self._stop.clear()
        thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()
            self.sample()

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Attribute the samples taken while the block runs to phase ``name``."""
        with self._lock:
            outer, self._current = self._current, name
        self.sample()
        tree_before, machine_before = self.cpu_s(), machine_busy_s()
        try:
            yield
        finally:
            self.sample()
            tree, machine = self.cpu_s() - tree_before, machine_busy_s() - machine_before
            with self._lock:
                self._current = outer
                self.phase_cpu[name] = (tree, machine)


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """Yield a one-item list that holds the block's wall seconds once it ends."""
    elapsed = [0.0]
    started = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed[0] = time.perf_counter() - started


def child_cpu_s() -> float:
    """User+system CPU seconds of every finished child process this process waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def markdown_table(frame: pl.DataFrame, decimals: int = 2) -> str:
    """A DataFrame as a GitHub Markdown table (every row and column, floats rounded)."""
    with pl.Config(
        tbl_formatting="MARKDOWN",
        tbl_hide_column_data_types=True,
        tbl_hide_dataframe_shape=True,
        tbl_rows=-1,
        tbl_cols=-1,
        tbl_width_chars=10_000,
        fmt_str_lengths=200,
        float_precision=decimals,
    ):
        return str(frame)


HEADLINE_FILE = "headline.json"
"""A suite's headline figures (name -> value), read by ``python -m benchmarking all``."""


def write_headline(out_dir: Path, figures: dict[str, Any]) -> Path:
    """Write the suite's headline figures (numbers rounded to 4 digits) as JSON."""
    clean = {k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()}
    path = out_dir / HEADLINE_FILE
    path.write_text(json.dumps(clean, indent=1, default=str) + "\n", encoding="utf-8")
    return path


def write_report(
    out_dir: Path, raw: pl.DataFrame, markdown: str, headline: dict[str, Any] | None = None
) -> tuple[Path, Path]:
    """Write ``runs.parquet`` (raw runs), ``report.md`` and, when given, ``headline.json``."""
    if headline is not None:
        write_headline(out_dir, headline)
    parquet, report = out_dir / "runs.parquet", out_dir / "report.md"
    tmp_parquet, tmp_report = out_dir / ".runs.parquet.tmp", out_dir / ".report.md.tmp"
    raw.write_parquet(tmp_parquet)
    tmp_report.write_text(markdown, encoding="utf-8")
    os.replace(tmp_parquet, parquet)
    os.replace(tmp_report, report)
    return parquet, report


def bar_chart(values: dict[str, float], title: str, xlabel: str, out_png: Path) -> Path:
    """A horizontal bar chart of named values, saved as PNG with matplotlib's Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.0, 0.45 * len(values) + 1.4), dpi=100)
    try:
        labels = list(values)
        ax.barh(labels, [values[k] for k in labels], color="#4C72B0")
        ax.invert_yaxis()
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        for y, label in enumerate(labels):
            ax.text(values[label], y, f" {values[label]:.1f}", va="center", fontsize=8)
        fig.tight_layout()
        tmp = out_png.with_name(f".{out_png.stem}.tmp.png")
        fig.savefig(tmp)
        os.replace(tmp, out_png)
    finally:
        plt.close(fig)
    return out_png


def mib(n_bytes: float) -> float:
    """Bytes in MiB."""
    return n_bytes / 1024**2
