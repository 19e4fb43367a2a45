"""The audit trail: who changed what, when and why (SPEC 2.1), and which utilities it concerns.

Tenancy of the trail (see README "Audit"): every entry records the utilities it concerns, and
an auditor reads the entries that concern one of their utilities; an auditor of every utility
reads them all, including the entries that concern none (e.g. a failed login with an unknown
user name, an anonymous request). Callers name the utilities (an override's utility, the
utilities through which a subject was seen, the actor's memberships for a refused access).

The trail knows nothing of users, so it sits below ``access``: an entry that concerns its
actor's memberships is written through ``access/audit_trail.py`` (``record``), which reads them,
and the trail as an auditor may read it is ``access/audit_trail.py``'s ``audit_log``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, false, func, insert, or_, select

from utilcredit.audit.tables import AuditEntryRow
from utilcredit.customers.model import Utility
from utilcredit.paging import Page, page_of


def encode_utilities(utilities: Iterable[Utility | str]) -> str:
    """``{"water", "power"}`` → ``",power,water,"``; nothing → ``""``."""
    values = sorted({str(Utility(u)) for u in utilities})
    return "," + ",".join(values) + "," if values else ""


def decode_utilities(stored: str | None) -> tuple[str, ...]:
    return tuple(value for value in (stored or "").split(",") if value)


def concerns_any(utilities: Iterable[Utility]) -> ColumnElement[bool]:
    """Entries that concern at least one of ``utilities`` (none: no entry)."""
    conditions = [AuditEntryRow.utilities.like(f"%,{u.value},%") for u in sorted(set(utilities))]
    return or_(*conditions) if conditions else false()


def record(
    connection: Connection,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_key: str | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
    utilities: Iterable[Utility | str],
) -> None:
    """Append an audit entry in the caller's transaction (it lands or vanishes with the change).

    ``utilities``: what the entry concerns; an empty collection means none.
    """
    connection.execute(
        insert(AuditEntryRow).values(
            actor=actor,
            action=action,
            entity=entity,
            entity_key=entity_key,
            reason=reason,
            detail=detail,
            utilities=encode_utilities(utilities),
        )
    )


def record_many(connection: Connection, entries: Sequence[Mapping[str, Any]]) -> None:
    """Append many audit entries at once (a derivation proposing thousands of records); each
    entry has :func:`record`'s keyword arguments, ``utilities`` given."""
    if entries:
        connection.execute(
            insert(AuditEntryRow),
            [
                {**entry, "utilities": encode_utilities(entry["utilities"])}
                | {"reason": entry.get("reason"), "detail": entry.get("detail")}
                for entry in entries
            ],
        )


# ---- reading the trail -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditLine:
    id: int
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_key: str | None
    reason: str | None
    detail: dict[str, Any] | None
    utilities: tuple[str, ...] = ()


_LINES = select(
    AuditEntryRow.id,
    AuditEntryRow.at,
    AuditEntryRow.actor,
    AuditEntryRow.action,
    AuditEntryRow.entity,
    AuditEntryRow.entity_key,
    AuditEntryRow.reason,
    AuditEntryRow.detail,
    AuditEntryRow.utilities,
)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What a reader narrows the trail to; ``None`` (or empty) leaves a part open. ``since``
    and ``until`` are aware moments (stored times are UTC), ``until`` excluded."""

    actor: str | None = None
    action: str | None = None
    entity_key: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def _filtered(
    statement: Select[Any], wanted: AuditFilter, utilities: Collection[Utility] | None
) -> Select[Any]:
    if utilities is not None:
        statement = statement.where(concerns_any(utilities))
    if wanted.actor:
        statement = statement.where(AuditEntryRow.actor == wanted.actor)
    if wanted.action:
        statement = statement.where(AuditEntryRow.action == wanted.action)
    if wanted.entity_key:
        statement = statement.where(AuditEntryRow.entity_key == wanted.entity_key)
    if wanted.since is not None:
        statement = statement.where(AuditEntryRow.at >= wanted.since.astimezone(dt.UTC))
    if wanted.until is not None:
        statement = statement.where(AuditEntryRow.at < wanted.until.astimezone(dt.UTC))
    return statement


def audit_entries(
    connection: Connection,
    *,
    actor: str | None,
    action: str | None,
    entity_key: str | None,
    offset: int,
    limit: int,
    utilities: Collection[Utility] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> Page[AuditLine]:
    """Newest first; with ``utilities``, only the entries that concern one of them; with
    ``since`` / ``until`` (aware), only those written from ``since`` and before ``until``."""
    wanted = AuditFilter(actor, action, entity_key, since, until)
    statement = _filtered(_LINES, wanted, utilities)
    rows = connection.execute(
        statement.order_by(AuditEntryRow.id.desc()).offset(offset).limit(limit + 1)
    )
    return page_of([_audit_line(row) for row in rows], offset, limit)


def audit_batches(
    connection: Connection,
    wanted: AuditFilter,
    *,
    utilities: Collection[Utility] | None = None,
    batch: int = 1000,
) -> Iterator[list[AuditLine]]:
    """Every entry ``wanted`` selects, newest first, ``batch`` at a time: an export of the
    whole trail holds one batch in memory. Keyset paging (``id <`` the last one seen), so a
    late batch costs what the first did, unlike an ever larger offset."""
    statement = _filtered(_LINES, wanted, utilities).order_by(AuditEntryRow.id.desc())
    last: int | None = None
    while True:
        page = statement if last is None else statement.where(AuditEntryRow.id < last)
        lines = [_audit_line(row) for row in connection.execute(page.limit(batch))]
        if not lines:
            return
        yield lines
        if len(lines) < batch:
            return
        last = lines[-1].id


def last_logins(connection: Connection, actors: Iterable[str]) -> dict[str, dt.datetime]:
    """The latest successful login of each of these user names (as the trail records it,
    aware UTC); names that never logged in are missing."""
    names = sorted({name for name in actors if name})
    if not names:
        return {}
    rows = connection.execute(
        select(AuditEntryRow.actor, func.max(AuditEntryRow.at))
        .where(AuditEntryRow.action == "login", AuditEntryRow.actor.in_(names))
        .group_by(AuditEntryRow.actor)
    )
    return {actor: _utc(at) for actor, at in rows if at is not None}


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _audit_line(row: Any) -> AuditLine:
    values = dict(row._mapping)
    values["utilities"] = decode_utilities(values["utilities"])
    values["at"] = _utc(values["at"])
    return AuditLine(**values)


def actions(connection: Connection, utilities: Collection[Utility] | None = None) -> list[str]:
    """The actions the trail holds (of the entries that concern ``utilities``), sorted: what
    a reader may filter by."""
    statement = select(AuditEntryRow.action).distinct()
    if utilities is not None:
        statement = statement.where(concerns_any(utilities))
    return sorted(connection.execute(statement).scalars())
