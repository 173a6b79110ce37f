"""Alembic environment: the URL comes from Doorpost's settings, never from an ini file."""

from __future__ import annotations

from alembic import context

from doorpost.store.engine import make_engine
from doorpost.store.tables import metadata

config = context.config


def run_migrations() -> None:
    url = str(config.attributes.get("doorpost_url") or config.get_main_option("sqlalchemy.url"))
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: object) -> None:
    context.configure(connection=connection, target_metadata=metadata,  # type: ignore[arg-type]
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
