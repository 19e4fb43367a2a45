"""What the users and audit log pages ask of the store, on SQLite and PostgreSQL: roles and
utilities changed by an administrator (within its reach, audited), the trail filtered by
local days and read in batches, and each user's last log-in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, insert, select

from utilcredit.access import audit_trail, passwords
from utilcredit.access import service as access
from utilcredit.access.model import AccessDeniedError, Principal, Role
from utilcredit.audit import repository as trail
from utilcredit.audit.repository import AuditFilter
from utilcredit.audit.tables import AuditEntryRow
from utilcredit.customers.model import Utility
from utilcredit.errors import InvalidInputError
from utilcredit.localtime import SHANGHAI

PASSWORD = "correct-horse-9"
UTC = dt.UTC


@pytest.fixture(autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    saved = passwords._hasher
    passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
    passwords.use_hasher(saved)


def _user(engine: Engine, name: str, roles: set[Role], utilities: set[Utility]) -> Principal:
    with engine.begin() as connection:
        access.create_user(
            connection,
            username=name,
            display_name=name,
            password=PASSWORD,
            roles=frozenset(roles),
            utilities=frozenset(utilities),
            actor="setup",
        )
        found = access.authenticate(connection, name, PASSWORD)
    assert found is not None
    return found


def test_an_administrator_changes_roles_and_utilities_within_its_reach(engine: Engine) -> None:
    admin = _user(engine, "admin-water", {Role.ADMIN}, {Utility.WATER})
    _user(engine, "clerk", {Role.OPERATOR}, {Utility.WATER})
    with engine.begin() as connection:
        access.set_grants_as(
            connection,
            admin,
            "clerk",
            roles=frozenset({Role.REVIEWER, Role.AUDITOR}),
            utilities=frozenset({Utility.WATER}),
        )
    with engine.connect() as connection:
        clerk = access.managed_user(connection, "clerk").principal
        entry = connection.execute(
            select(AuditEntryRow.actor, AuditEntryRow.detail, AuditEntryRow.utilities).where(
                AuditEntryRow.action == "user_grants"
            )
        ).one()
    assert clerk.roles == {Role.REVIEWER, Role.AUDITOR} and clerk.utilities == {Utility.WATER}
    assert entry.actor == "admin-water" and entry.utilities == ",water,"
    assert entry.detail["roles_before"] == ["operator"]
    assert entry.detail["roles"] == ["auditor", "reviewer"]


@pytest.mark.parametrize(
    ("username", "roles", "utilities", "error"),
    [
        ("admin-water", {Role.AUDITOR}, {Utility.WATER}, AccessDeniedError),  # itself
        ("clerk", {Role.CREDIT_OFFICE}, {Utility.WATER}, AccessDeniedError),  # every utility
        ("clerk", {Role.OPERATOR}, {Utility.POWER}, AccessDeniedError),  # not its utility
        ("clerk", set(), {Utility.WATER}, InvalidInputError),
        ("clerk", {Role.OPERATOR}, set(), InvalidInputError),
    ],
)
def test_a_grant_beyond_reach_or_empty_is_refused_and_changes_nothing(
    engine: Engine,
    username: str,
    roles: set[Role],
    utilities: set[Utility],
    error: type[Exception],
) -> None:
    admin = _user(engine, "admin-water", {Role.ADMIN}, {Utility.WATER})
    _user(engine, "clerk", {Role.OPERATOR}, {Utility.WATER})
    with pytest.raises(error), engine.begin() as connection:
        access.set_grants_as(
            connection, admin, username, roles=frozenset(roles), utilities=frozenset(utilities)
        )
    with engine.connect() as connection:
        clerk = access.managed_user(connection, "clerk").principal
        assert clerk.roles == {Role.OPERATOR} and clerk.utilities == {Utility.WATER}
        assert access.managed_user(connection, "admin-water").principal.roles == {Role.ADMIN}


def _entry(engine: Engine, at: dt.datetime, actor: str = "op", action: str = "import") -> int:
    with engine.begin() as connection:
        return int(
            connection.execute(
                insert(AuditEntryRow)
                .values(at=at, actor=actor, action=action, entity="import", utilities=",water,")
                .returning(AuditEntryRow.id)
            ).scalar_one()
        )


def _local(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)


def test_the_trail_is_filtered_by_local_days(engine: Engine) -> None:
    # 2026-12-01 in Shanghai runs from 2026-11-30 16:00 UTC to 2026-12-01 16:00 UTC.
    before = _entry(engine, dt.datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC))
    first = _entry(engine, dt.datetime(2026, 11, 30, 16, 0, 1, tzinfo=UTC))
    last = _entry(engine, dt.datetime(2026, 12, 1, 15, 59, 59, tzinfo=UTC))
    after = _entry(engine, dt.datetime(2026, 12, 1, 16, 0, 1, tzinfo=UTC))
    day = dt.date(2026, 12, 1)

    def ids(since: dt.datetime | None, until: dt.datetime | None) -> list[int]:
        with engine.connect() as connection:
            page = trail.audit_entries(
                connection,
                actor=None,
                action=None,
                entity_key=None,
                offset=0,
                limit=50,
                since=since,
                until=until,
            )
        return [line.id for line in page.items]

    assert ids(_local(day), _local(day + dt.timedelta(days=1))) == [last, first]
    assert ids(None, _local(day)) == [before]
    assert ids(_local(day + dt.timedelta(days=1)), None) == [after]
    with engine.connect() as connection:
        (line,) = trail.audit_entries(
            connection, actor=None, action=None, entity_key=None, offset=0, limit=1
        ).items
    assert line.at.utcoffset() == dt.timedelta(0)  # aware UTC on both stores
    assert line.at == dt.datetime(2026, 12, 1, 16, 0, 1, tzinfo=UTC)


def test_batches_read_every_filtered_entry_newest_first(engine: Engine) -> None:
    start = dt.datetime(2026, 11, 1, tzinfo=UTC)
    made = [
        _entry(engine, start + dt.timedelta(minutes=n), actor="a" if n % 3 else "b")
        for n in range(23)
    ]
    wanted = AuditFilter(actor="a")
    with engine.connect() as connection:
        batches = list(trail.audit_batches(connection, wanted, batch=5))
        scoped = list(trail.audit_batches(connection, wanted, utilities={Utility.POWER}))
    expected = [i for n, i in enumerate(made) if n % 3][::-1]
    assert [len(b) for b in batches] == [5, 5, 5]  # 15 of 23, five at a time
    assert [line.id for b in batches for line in b] == expected
    assert scoped == []  # the entries concern water only


def test_last_logins_are_each_users_latest_successful_login(engine: Engine) -> None:
    _entry(engine, dt.datetime(2026, 11, 1, 8, tzinfo=UTC), actor="ann", action="login")
    _entry(engine, dt.datetime(2026, 11, 3, 8, tzinfo=UTC), actor="ann", action="login")
    _entry(engine, dt.datetime(2026, 11, 5, 8, tzinfo=UTC), actor="ann", action="login_failed")
    _entry(engine, dt.datetime(2026, 11, 2, 8, tzinfo=UTC), actor="bob", action="login")
    with engine.connect() as connection:
        found = audit_trail.last_logins(connection, ["ann", "bob", "cid"])
    assert found == {
        "ann": dt.datetime(2026, 11, 3, 8, tzinfo=UTC),
        "bob": dt.datetime(2026, 11, 2, 8, tzinfo=UTC),
    }
