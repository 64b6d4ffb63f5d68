"""The job store's tables, and the small in-place upgrade of stores made by older versions."""

from __future__ import annotations

import sqlalchemy as sa

_meta = sa.MetaData()

keys_table = sa.Table(
    "api_keys",
    _meta,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float),
    sa.Column("revoked_at", sa.Float),
    sa.Column("admin", sa.Boolean, nullable=False, server_default=sa.false()),  # issues 15/16
)

jobs_table = sa.Table(
    "jobs",
    _meta,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("owner_key_id", sa.String(32), sa.ForeignKey("api_keys.id"), nullable=False),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("source_name", sa.Text, nullable=False),
    sa.Column("options", sa.JSON, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("started_at", sa.Float),
    sa.Column("finished_at", sa.Float),
    sa.Column("error", sa.Text),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("stages", sa.JSON, nullable=False),
    sa.Column("clip_count", sa.Integer, nullable=False),
    sa.Column("cache_hits", sa.Integer, nullable=False),
    sa.Column("cache_misses", sa.Integer, nullable=False),
    sa.Column("deleted_at", sa.Float),
    sa.Column("heartbeat_at", sa.Float),
    sa.Column("priority", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error_kind", sa.String(64)),
    sa.Index("ix_jobs_owner_created", "owner_key_id", "created_at"),
)

stage_runs_table = sa.Table(
    "stage_runs",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job_id", sa.String(32), nullable=False),
    sa.Column("stage", sa.String(64), nullable=False, index=True),
    sa.Column("wall_s", sa.Float, nullable=False),
)

_ADDED_COLUMNS = {
    "api_keys": (("expires_at", "FLOAT"), ("revoked_at", "FLOAT")),
    "jobs": (
        ("heartbeat_at", "FLOAT"),
        ("priority", "INTEGER NOT NULL DEFAULT 0"),
        ("error_kind", "VARCHAR(64)"),
    ),
}
"""Columns added after the first release, with their SQL type: created on older stores at
startup (issue 16: ``priority``, 0 for existing jobs, as if submitted without one;
``error_kind``, NULL for failures recorded before it existed)."""


_ADDED_FLAGS = {"api_keys": ("admin",)}
"""Flags added later (issues 15/16: admin keys): BOOLEAN NOT NULL DEFAULT FALSE on older stores."""


def create_schema(engine: sa.Engine) -> None:
    """Create missing tables, and add columns that older stores lack."""
    _meta.create_all(engine)
    inspector = sa.inspect(engine)
    for table, flags in _ADDED_FLAGS.items():
        present = {c["name"] for c in inspector.get_columns(table)}
        with engine.begin() as conn:
            for flag in (f for f in flags if f not in present):
                conn.execute(
                    sa.text(f"ALTER TABLE {table} ADD COLUMN {flag} BOOLEAN NOT NULL DEFAULT FALSE")
                )
    for table, columns in _ADDED_COLUMNS.items():
        present = {c["name"] for c in inspector.get_columns(table)}
        with engine.begin() as conn:
            for column, sql_type in columns:
                if column not in present:
                    conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}"))
