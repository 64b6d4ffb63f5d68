"""This process's children: found and stopped when a command is interrupted.

A local Ray is a tree of processes (GCS and raylet started by the driver, agents and workers
started by the raylet). If a signal interrupts ``ray.init`` before Ray has recorded its node,
``ray.shutdown()`` cannot stop them, and agents whose raylet died keep running as orphans.
Taking the whole tree while the driver is still alive and stopping what survives closes that
gap. An agent whose raylet already died has left the tree (it was re-parented), so a command
also marks its environment with an owner token that every process it starts inherits, and
the processes carrying the token are found wherever they now hang.
"""

from __future__ import annotations

import logging
import os
import uuid

import psutil

log = logging.getLogger(__name__)

OWNER_ENV = "AI_VIDEO_PROCESS_OWNER"
"""Environment variable whose value marks the processes one command started."""


def mark_started_processes() -> str:
    """Give this process an owner token that every process it starts from now on inherits."""
    token = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
    os.environ[OWNER_ENV] = token
    return token


def marked_processes() -> list[psutil.Process]:
    """Live processes (not this one) started with this process's owner token, if it has one."""
    token = os.environ.get(OWNER_ENV)
    if not token:
        return []
    found = []
    for proc in psutil.process_iter():
        if proc.pid == os.getpid():
            continue
        try:
            if proc.environ().get(OWNER_ENV) == token and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def child_processes() -> list[psutil.Process]:
    """Every live descendant of this process (children, their children, ...)."""
    try:
        return list(psutil.Process().children(recursive=True))
    except psutil.Error:
        return []


def stop_processes(processes: list[psutil.Process], grace_s: float = 5.0) -> int:
    """SIGTERM ``processes``, SIGKILL those still alive after ``grace_s``; returns the count."""
    alive = []
    for proc in {p.pid: p for p in processes}.values():
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
