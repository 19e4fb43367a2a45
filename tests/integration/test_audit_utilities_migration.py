"""Migration 5ec0a1b2c3d6 fills in the utilities of audit entries written before it."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, MetaData, insert, select
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_ADMIN_URL, _admin_dsn
from utilcredit import schema
from utilcredit.db import make_engine

BEFORE = "5ec0a1b2c3d5"
REVISION = "5ec0a1b2c3d6"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A store with no schema at all, on each backend."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'before.db'}")
        yield engine
        engine.dispose()
        return
    name = f"utilcredit_migration_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_admin_dsn(), autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        with psycopg.connect(_admin_dsn(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _insert(engine: Engine, tables: MetaData, name: str, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as connection:
        connection.execute(insert(tables.tables[name]), rows)


def test_existing_entries_get_the_utilities_they_concern(empty_store: Engine) -> None:
    engine = empty_store
    schema.upgrade(engine, BEFORE)
    tables = MetaData()
    tables.reflect(engine)
    hashed = "$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA"
    user = {"display_name": "-", "password_hash": hashed, "is_active": True}
    _insert(
        engine,
        tables,
        "users",
        [{"id": 1, "username": "wang", **user}, {"id": 2, "username": "li", **user}],
    )
    _insert(
        engine,
        tables,
        "user_utilities",
        [{"user_id": 1, "utility": "water"}, {"user_id": 2, "utility": "power"}],
    )
    _insert(
        engine,
        tables,
        "subjects",
        [
            {"id": 1, "code": "913208260000000012", "kind": "legal", "name": "甲"},
            {"id": 2, "code": "32082619800101004X", "kind": "natural", "name": "张三丰"},
        ],
    )
    opened = dt.date(2020, 1, 1)
    _insert(
        engine,
        tables,
        "accounts",
        [
            {"account_no": no, "subject_id": subject, "utility": utility, "opened_on": opened}
            | {"payment_mode": "prepaid"}
            for no, subject, utility in [("W1", 1, "water"), ("W2", 2, "water"), ("P2", 2, "power")]
        ],
    )
    today = dt.date(2026, 11, 30)
    _insert(
        engine,
        tables,
        "level_overrides",
        [
            {
                "id": 7,
                "subject_id": 1,
                "utility": "water",
                "policy_key": "lianshui-water",
                "level": "red",
                "computed_level": "black",
                "reason": "已签订分期还款协议",
                "expires_on": today + dt.timedelta(days=30),
                "state": "requested",
                "requested_by": "li",
                "requested_on": today,
            }
        ],
    )
    entries = {
        # (actor, action, entity, entity_key): the utilities expected afterwards
        ("li", "override_request", "override", "7"): ",water,",  # the override's utility
        ("wang", "view_unmasked", "subject", "32082619800101004X"): ",power,water,",
        ("li", "access_denied", "subject", "913208260000000012"): ",power,",  # the actor's
        ("wang", "login", "user", "wang"): ",water,",
        ("setup", "user_create", "user", "li"): ",power,",  # the user it is about
        ("someone", "login_failed", "user", "someone"): "",  # nobody's: every-utility only
        ("wang", "override_approve", "override", "99"): ",water,",  # gone: the actor's
    }
    _insert(
        engine,
        tables,
        "audit_log",
        [{"actor": a, "action": act, "entity": e, "entity_key": k} for (a, act, e, k) in entries],
    )

    schema.upgrade(engine, REVISION)

    log = MetaData()
    log.reflect(engine, only=["audit_log"])
    audit = log.tables["audit_log"]
    with engine.connect() as connection:
        found = {
            (row.actor, row.action, row.entity, row.entity_key): row.utilities
            for row in connection.execute(select(audit))
        }
    assert found == entries
