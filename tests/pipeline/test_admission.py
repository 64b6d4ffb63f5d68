"""The admission policy on hand-built numbers, and the controller on scripted readings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ai_video.config import AdmissionConfig
from ai_video.pipeline.admission import (
    AT_MAX,
    CPU_BUSY,
    DISABLED,
    HEADROOM,
    IDLE,
    MEMORY_FULL,
    MEMORY_OVER,
    AdmissionController,
    Bounds,
    Decision,
    LoadSample,
    MemoryReading,
    cgroup_memory,
    decide_limit,
    process_tree_memory_mb,
)
from ai_video.pipeline.job_queue import PriorityLine

BOUNDS = Bounds(1, 4)


def sample(used: float, queued: int = 3, running: int = 1, cpu: float = 0.2) -> LoadSample:
    """A reading against a 10 000 MiB limit."""
    return LoadSample(
        memory_used_mb=used, memory_limit_mb=10_000, cpu_busy_frac=cpu, queued=queued,
        running=running,
    )  # fmt: skip


def decide(s: LoadSample, current: int = 1, unit_mb: float = 1_000, step: int = 1) -> Decision:
    return decide_limit(s, current, BOUNDS, unit_mb, 0.1, 0.9, step)


def test_headroom_grows_the_limit_one_step_at_a_time() -> None:
    # 9000 usable - 2000 used = 7000 MiB: room for 7 more, but one step per decision
    assert decide(sample(2_000, running=1)) == Decision(2, HEADROOM)
    assert decide(sample(2_000, running=1), step=2) == Decision(3, HEADROOM)
    # never more than what waits
    assert decide(sample(2_000, queued=1, running=1), step=3) == Decision(2, HEADROOM)


def test_the_ceiling_caps_growth() -> None:
    assert decide(sample(2_000, running=4), current=4) == Decision(4, AT_MAX)


def test_no_room_for_one_more_unit_holds_at_what_runs() -> None:
    # 9000 - 8500 = 500 MiB of room < 1000 MiB per video
    assert decide(sample(8_500, running=3), current=4) == Decision(3, MEMORY_FULL)


def test_past_the_budget_shrinks_below_what_runs_but_not_below_the_floor() -> None:
    assert decide(sample(9_500, running=3), current=3) == Decision(2, MEMORY_OVER)
    assert decide(sample(9_500, running=1), current=1) == Decision(1, MEMORY_OVER)
    assert decide(sample(9_500, running=0), current=1) == Decision(1, MEMORY_OVER)


def test_busy_cpus_hold_and_an_empty_queue_keeps_the_limit() -> None:
    assert decide(sample(1_000, running=2, cpu=0.95), current=3) == Decision(2, CPU_BUSY)
    assert decide(sample(1_000, queued=0, running=2), current=3) == Decision(3, IDLE)
    # an idle machine starts work even when the cpu reading is high (nothing of ours runs)
    assert decide(sample(1_000, running=0, cpu=0.99)) == Decision(1, HEADROOM)


def test_the_floor_always_lets_one_unit_run() -> None:
    """However short memory is, the floor (>= 1) keeps the queue moving."""
    assert decide(sample(8_900, running=0), unit_mb=5_000) == Decision(1, MEMORY_FULL)


class Script:
    """Memory readings in order (the last repeats) and a clock moved by hand."""

    def __init__(self, used_mb: list[float]) -> None:
        self.used_mb = used_mb
        self.now = 0.0

    def memory(self, budget_mb: float | None) -> MemoryReading:
        used = self.used_mb.pop(0) if len(self.used_mb) > 1 else self.used_mb[0]
        return MemoryReading(used, budget_mb or 0.0)


def controller(script: Script, **cfg: object) -> AdmissionController:
    config = AdmissionConfig.model_validate({"memory_budget_mb": 4_000, **cfg})
    return AdmissionController(
        config, "videos", Bounds(1, 3), 500, cpu_busy=lambda: 0.1, memory=script.memory,
        clock=lambda: script.now,
    )  # fmt: skip


def test_controller_learns_the_measured_footprint_and_backs_off() -> None:
    # idle at 500 MiB; one video brings it to 2000 (1500 per video, more than the 500 guessed)
    script = Script([500, 2_000, 3_400, 3_900])
    ctl = controller(script)
    assert ctl.limit(queued=3, running=0) == 1  # 3100 MiB room, one step
    script.now += 1
    assert ctl.limit(queued=2, running=1) == 2  # room 1600 >= learned 1500
    assert ctl.unit_mb == pytest.approx(1_500)
    script.now += 0.5
    assert ctl.limit(queued=2, running=1) == 2  # within interval_s: not re-decided
    script.now += 1
    assert ctl.limit(queued=1, running=2) == 2  # room 200 < 1500: hold
    assert ctl.decisions[MEMORY_FULL] == 1
    script.now += 1
    assert ctl.limit(queued=1, running=2) == 1  # 3900 > 3600 usable: shrink
    assert [(limit, reason) for _, limit, reason in ctl.history] == [
        (1, HEADROOM),
        (2, HEADROOM),
        (1, MEMORY_OVER),
    ]
    assert ctl.decisions[MEMORY_OVER] == 1 and ctl.peak_memory_mb == 3_900


def test_disabled_controller_runs_at_the_ceiling() -> None:
    ctl = controller(Script([0]), enabled=False)
    assert ctl.limit(queued=5, running=0) == 3
    assert ctl.decisions[DISABLED] == 1


def test_process_tree_memory_counts_children() -> None:
    import subprocess
    import sys

    alone = process_tree_memory_mb()
    child = subprocess.Popen(
        [sys.executable, "-c", "b = bytearray(200 * 1024 * 1024); import time; time.sleep(30)"]
    )
    try:
        import time

        deadline = time.monotonic() + 20
        while process_tree_memory_mb() - alone < 150 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert process_tree_memory_mb() - alone >= 150
        assert process_tree_memory_mb(os.getpid()) >= process_tree_memory_mb(child.pid)
    finally:
        child.kill()
        child.wait()


def test_priority_line_is_highest_first_and_fifo_within_a_priority() -> None:
    line: PriorityLine[str] = PriorityLine()
    for name, priority in [("a", 0), ("b", 5), ("c", 0), ("d", 5), ("e", -1), ("f", 9)]:
        line.push(name, priority)
    assert line.remove(lambda n: n == "c") == 1
    assert [line.pop() for _ in range(len(line))] == ["f", "b", "d", "a", "e"]


def test_a_container_memory_limit_is_read_from_cgroup_v2_files(tmp_path: Path) -> None:
    assert cgroup_memory(tmp_path) is None  # no cgroup files
    (tmp_path / "memory.max").write_text("max\n")
    (tmp_path / "memory.current").write_text("1048576\n")
    assert cgroup_memory(tmp_path) is None  # no limit set
    (tmp_path / "memory.max").write_text(f"{4 * 1024**3}\n")
    assert cgroup_memory(tmp_path) == MemoryReading(1.0, 4096.0)


def test_pages_a_forked_child_shares_are_counted_once() -> None:
    """Summed RSS would count the 300 MiB twice once a child is forked; PSS splits them."""
    import time

    block = bytearray(300 * 1024 * 1024)
    block[::4096] = b"x" * len(block[::4096])  # touch every page
    before = process_tree_memory_mb()
    pid = os.fork()
    if pid == 0:  # the child only sleeps; it shares every page with the parent
        time.sleep(5)
        os._exit(0)
    try:
        time.sleep(0.5)
        assert process_tree_memory_mb() - before < 100
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    del block
