"""Alembic environment: the URL comes from the config the caller built (see suanli.migrate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from suanli.kit.db import Base, make_engine
from suanli.models_registry import load_all_models

load_all_models()
target_metadata = Base.metadata
config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not set"
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()
