"""A throwaway PostgreSQL cluster on 127.0.0.1 for the test session (Debian's server binaries).

Started with initdb/pg_ctl as the ``postgres`` user when the tests run as root (initdb
refuses root), trust authentication on loopback only, fsync off; every test gets a fresh
database. Skips, with the reason, when the server binaries are not installed.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest


def _binaries() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(versions[-1]).parent if versions else None


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@dataclass
class PostgresCluster:
    """A running cluster: where it listens, how to make databases, how to stop it."""

    bin_dir: Path
    data_dir: Path
    port: int

    def url(self, database: str) -> str:
        """SQLAlchemy URL of ``database`` (psycopg 3 driver)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """Create an empty database; returns its SQLAlchemy URL."""
        import psycopg

        name = "t" + uuid.uuid4().hex[:12]
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        """Stop the server and remove its files."""
        subprocess.run(
            _as_server_user([str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m",
                             "immediate", "-w", "stop"]),
            check=False, capture_output=True,
        )  # fmt: skip
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def start_cluster() -> PostgresCluster:
    """initdb and start a cluster on a free loopback port; pytest.skip when impossible."""
    bin_dir = _binaries()
    if bin_dir is None:
        pytest.skip("PostgreSQL server not installed (scripts/system-deps.sh installs it)")
    pytest.importorskip("psycopg", reason="psycopg (dev dependency) is needed for PostgreSQL")
    root = Path(tempfile.mkdtemp(prefix="aiv-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    initdb = [str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
              "--no-sync", "-E", "UTF8"]  # fmt: skip
    subprocess.run(_as_server_user(initdb), check=True, capture_output=True)
    options = f"-h 127.0.0.1 -p {port} -k {data} -F -c max_connections=200"
    start = [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
             str(root / "server.log"), "-w", "start"]  # fmt: skip
    subprocess.run(_as_server_user(start), check=True, capture_output=True)
    return PostgresCluster(bin_dir=bin_dir, data_dir=data, port=port)
