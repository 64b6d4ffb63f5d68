"""``python -m benchmarking all``: every suite writes its files and the summary; a failing
suite is reported, not fatal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from benchmarking.__main__ import available_benchmarks
from benchmarking.runner import chosen
from tests.conftest import ROOT

HEADER = "path\tduration_s\twidth\theight\tfps\thas_audio\tlanguage\tground_truth\n"


def run_all(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """``python -m benchmarking all ARGS`` from the repository root."""
    cmd = [sys.executable, "-m", "benchmarking", "all", *args]
    return subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_suite_choice_keeps_order_and_rejects_unknown_names() -> None:
    names = ["batch", "clip", "faces", "peers"]
    assert chosen(names, "", "") == names
    assert chosen(names, "peers,faces", "") == ["faces", "peers"]
    assert chosen(names, "", "batch,clip") == ["faces", "peers"]
    with pytest.raises(SystemExit):
        chosen(names, "nope", "")


def test_a_failing_suite_is_reported_and_the_others_still_run(tmp_path: Path) -> None:
    media = tmp_path / "media"
    (media / "speech").mkdir(parents=True)
    # a registry without talking heads or readings: faces finds nothing to read and fails
    (media / "MANIFEST.tsv").write_text(HEADER, encoding="utf-8")
    out = tmp_path / "out"
    ran = run_all("--quick", "--only", "faces,quality", "--media", str(media), "--out", str(out),
                  timeout=300)  # fmt: skip
    assert ran.returncode == 1, ran.stdout + ran.stderr
    summary = pl.read_parquet(out / "summary.parquet")
    assert summary["suite"].to_list() == ["faces", "quality"]
    faces = summary.filter(pl.col("suite") == "faces").row(0, named=True)
    assert faces["status"] == "failed" and faces["error"]
    text = (out / "summary.md").read_text(encoding="utf-8")
    assert "faces (failed)" in text and "Machine:" in text
    assert (out / "summary.png").stat().st_size > 0


@pytest.mark.slow
@pytest.mark.media
def test_all_quick_writes_every_suites_files_and_the_summary(media: Path, tmp_path: Path) -> None:
    out = tmp_path / "bench"
    ran = run_all("--quick", "--media", str(media), "--out", str(out), timeout=1500)
    suites = sorted(available_benchmarks())
    summary = pl.read_parquet(out / "summary.parquet")
    assert summary["suite"].to_list() == suites
    for row in summary.iter_rows(named=True):
        assert row["status"] in ("ok", "target missed"), (row, ran.stdout[-3000:])
        folder = out / row["suite"]
        assert any(folder.rglob("*.parquet")), row["suite"]
        assert (folder / "report.md").stat().st_size > 0, row["suite"]
        assert any(p.stat().st_size > 0 for p in folder.rglob("*.png")), row["suite"]
    text = (out / "summary.md").read_text(encoding="utf-8")
    assert all(f"### {name} (" in text for name in suites)
    assert ran.returncode == 0, ran.stdout[-3000:]
