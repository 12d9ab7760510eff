"""Alembic's environment: online migrations on the connection `Database.upgrade` passes in, or on
the configured URL (`python -m store revision --autogenerate`)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from store.models import Base

config = context.config


def run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=True)  # SQLite alters tables by copying them
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as own:
        run(own)
    engine.dispose()
