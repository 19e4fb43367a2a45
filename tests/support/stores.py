"""Test stores: emptied between tests, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from sqlalchemy import Engine, text

from utilcredit.db import import_all_tables


def empty_tables(engine: Engine) -> None:
    """Every table of the store emptied (ids start again at 1 on PostgreSQL), committed."""
    tables = list(reversed(import_all_tables().sorted_tables))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())
