"""The schema comes from Alembic migrations, and they match the code's tables on both backends."""

from __future__ import annotations

from doorpost.store.migrate import drift


def test_migrations_match_tables(database_url: str) -> None:
    assert drift(database_url) == []
