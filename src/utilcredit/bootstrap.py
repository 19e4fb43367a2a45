"""Wiring done once per process: settings → engine → migrated schema."""

from __future__ import annotations

from sqlalchemy import Engine

from utilcredit import schema
from utilcredit.config import Settings, get_settings
from utilcredit.db import make_engine


def open_store(settings: Settings | None = None, *, migrate: bool = True) -> Engine:
    """The configured store, upgraded to the current schema (cheap when already current)."""
    settings = settings or get_settings()
    engine = make_engine(settings.resolved_database_url)
    if migrate:
        schema.upgrade(engine)
    return engine
