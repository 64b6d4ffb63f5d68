"""This process's children: found and stopped when a command is interrupted.

A local Ray is a tree of processes (GCS and raylet started by the driver, agents and workers
started by the raylet). If a signal interrupts ``ray.init`` before Ray has recorded its node,
``ray.shutdown()`` cannot stop them, and agents whose raylet died keep running as orphans.
Taking the whole tree while the driver is still alive and stopping what survives closes that
gap.
"""

from __future__ import annotations

import logging

import psutil

log = logging.getLogger(__name__)


def child_processes() -> list[psutil.Process]:
    """Every live descendant of this process (children, their children, ...)."""
    try:
        return list(psutil.Process().children(recursive=True))
    except psutil.Error:
        return []


def stop_processes(processes: list[psutil.Process], grace_s: float = 5.0) -> int:
    """SIGTERM ``processes``, SIGKILL those still alive after ``grace_s``; returns the count."""
    alive = []
    for proc in processes:
        try:
            proc.terminate()
            alive.append(proc)
        except psutil.Error:
            continue
    _, survivors = psutil.wait_procs(alive, timeout=grace_s)
    for proc in survivors:
        try:
            proc.kill()
        except psutil.Error:
            continue
    if alive:
        log.info("stopped %d leftover child processes", len(alive))
    return len(alive)
