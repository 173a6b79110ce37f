"""Alembic, driven from code: `doorpost db upgrade|check|revision` and the test fixtures."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from alembic.runtime.migration import MigrationContext
from alembic.autogenerate import compare_metadata

from doorpost.store.engine import make_engine, normalize_url
from doorpost.store.tables import metadata

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    cfg.attributes["doorpost_url"] = normalize_url(url)
    return cfg


def behind_head(engine: Engine) -> str | None:
    """None when the database's schema is at the newest migration; else what it is at."""
    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return None if current == head else f"schema at {current or 'nothing'}, code needs {head}"


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def revision(url: str, message: str) -> None:
    command.revision(alembic_config(url), message=message, autogenerate=True)


def drift(url: str) -> list[object]:
    """Differences between the migrated database and `tables.py` (empty: no drift)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(ctx, metadata))
    finally:
        engine.dispose()
