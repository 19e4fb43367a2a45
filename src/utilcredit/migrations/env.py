"""Alembic environment: runs on the connection handed in by :mod:`utilcredit.schema`, or on
the URL from settings when invoked as ``alembic`` on the command line."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from utilcredit.config import get_settings
from utilcredit.db import ScaledDecimal, import_all_tables, make_engine

target_metadata = import_all_tables()


def render_storage_type(
    type_: str, obj: Any, autogen_context: AutogenContext
) -> str | Literal[False]:
    """Migrations spell out the stored type, so they never import application types."""
    if type_ == "type" and isinstance(obj, ScaledDecimal):
        return "sa.BigInteger()"
    return False


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        compare_type=True,
        render_item=render_storage_type,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    engine = make_engine(
        context.config.get_main_option("sqlalchemy.url") or get_settings().resolved_database_url
    )
    with engine.connect() as fresh:
        run_on(fresh)


main()
