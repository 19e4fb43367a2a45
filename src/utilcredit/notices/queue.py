"""The outbox as a queue (SQLite and PostgreSQL alike): planned notices written once by their
key, due ones claimed by a worker, every change of status written with a compare-and-set and
kept as an attempt, sent demands kept as reminders of the credit file. Nothing here commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from utilcredit.customers.tables import ReminderRow
from utilcredit.notices.model import NoticeStatus
from utilcredit.notices.repository import chunks
from utilcredit.notices.tables import NoticeAttemptRow, NoticeRow

_N = NoticeRow


# ---- writing the outbox --------------------------------------------------------------------


def existing_keys(connection: Connection, keys: Collection[str]) -> set[str]:
    """The keys among ``keys`` already in the outbox: what a preview counts as planned before."""
    found: set[str] = set()
    for batch in chunks(keys):
        found.update(connection.scalars(select(_N.key).where(_N.key.in_(batch))))
    return found


def insert_notices(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> set[str]:
    """Write the notices whose key is new; returns those keys. A key already there (planned
    before, or by another transaction meanwhile) is left alone: the unique key is the one
    thing that decides, so a notice is made once however often its event is planned."""
    written: set[str] = set()
    if not rows:
        return written
    insert_new = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = insert_new(_N).on_conflict_do_nothing(index_elements=["key"]).returning(_N.key)
    for batch in chunks(rows):
        written.update(connection.scalars(statement, batch))
    return written


def insert_attempts(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        connection.execute(insert(NoticeAttemptRow), list(rows))


# ---- the dispatcher's queries --------------------------------------------------------------


def stale_claims(connection: Connection, now: dt.datetime) -> list[tuple[int, str, str | None]]:
    """(id, channel, claim) of notices a worker claimed and never finished (it died): their
    claim ran out."""
    rows = connection.execute(
        select(_N.id, _N.channel, _N.claim).where(
            _N.status == NoticeStatus.SENDING.value, _N.claimed_until < now
        )
    )
    return [(i, channel, claim) for i, channel, claim in rows]


def due(
    connection: Connection, now: dt.datetime, channels: Collection[str], limit: int
) -> list[tuple[int, int]]:
    """(id, subject id) of the queued notices due on ``channels``, oldest first."""
    rows = connection.execute(
        select(_N.id, _N.subject_id)
        .where(
            _N.status == NoticeStatus.QUEUED.value,
            _N.channel.in_(sorted(channels)),
            _N.due_at <= now,
        )
        .order_by(_N.due_at, _N.id)
        .limit(limit)
    )
    return [(i, subject_id) for i, subject_id in rows]


@dataclass(frozen=True, slots=True)
class Claimed:
    """A notice a worker took to send."""

    id: int
    key: str
    channel: str
    recipient: str | None
    title: str | None
    body: str | None
    subject_id: int
    attempts: int
    kind: str


def claim(
    connection: Connection,
    ids: Sequence[int],
    token: str,
    until: dt.datetime,
    now: dt.datetime,
) -> list[Claimed]:
    """Take the still-queued notices among ``ids`` for a worker (compare-and-set on the status:
    of two workers, each notice goes to one)."""
    for batch in chunks(ids):
        connection.execute(
            update(_N)
            .where(_N.id.in_(batch), _N.status == NoticeStatus.QUEUED.value)
            .values(
                status=NoticeStatus.SENDING.value,
                claim=token,
                claimed_until=until,
                attempts=_N.attempts + 1,
                updated_at=now,
            )
        )
    rows = connection.execute(
        select(
            _N.id,
            _N.key,
            _N.channel,
            _N.recipient,
            _N.title,
            _N.body,
            _N.subject_id,
            _N.attempts,
            _N.kind,
        )
        .where(_N.claim == token, _N.status == NoticeStatus.SENDING.value)
        .order_by(_N.id)
    )
    return [Claimed(*row) for row in rows]


def sent_since(
    connection: Connection, subject_ids: Collection[int], since: dt.datetime
) -> dict[int, int]:
    """Messages (SMS, WeChat, e-mail) sent to each subject since ``since`` (the daily cap)."""
    counts: dict[int, int] = {}
    for batch in chunks(subject_ids):
        for sid, n in connection.execute(
            select(_N.subject_id, func.count())
            .where(
                _N.subject_id.in_(batch),
                _N.sent_at >= since,
                _N.channel.in_(["sms", "wechat", "email"]),
            )
            .group_by(_N.subject_id)
        ):
            counts[sid] = n
    return counts


def set_status(
    connection: Connection,
    ids: Sequence[int],
    *,
    expected: str,
    values: Mapping[str, Any],
    claim_token: str | None = None,
) -> list[int]:
    """Move notices from ``expected`` (and the worker's claim, when given); returns the ids
    that moved — a notice that moved meanwhile is left alone."""
    moved: list[int] = []
    for batch in chunks(ids):
        condition = [_N.id.in_(batch), _N.status == expected]
        if claim_token is not None:
            condition.append(_N.claim == claim_token)
        found = list(connection.scalars(select(_N.id).where(*condition)))
        if found:
            connection.execute(update(_N).where(_N.id.in_(found), *condition[1:]).values(values))
        moved += found
    return moved


def still_claimed(connection: Connection, ids: Sequence[int], token: str) -> set[int]:
    """The notices among ``ids`` a worker still holds (one that ran out and was taken back
    meanwhile is not its own to record any more)."""
    found: set[int] = set()
    for batch in chunks(ids):
        found.update(
            connection.scalars(
                select(_N.id).where(
                    _N.id.in_(batch),
                    _N.status == NoticeStatus.SENDING.value,
                    _N.claim == token,
                )
            )
        )
    return found


def move_claimed(connection: Connection, rows: Sequence[Mapping[str, Any]], token: str) -> None:
    """Per-notice values of claimed notices (``b_id`` names each), in one executemany; a row
    whose notice is no longer this worker's is left alone."""
    if rows:
        columns: dict[str, Any] = {k: bindparam(k) for k in rows[0] if k != "b_id"}
        connection.execute(
            update(_N)
            .where(
                _N.id == bindparam("b_id"),
                _N.status == NoticeStatus.SENDING.value,
                _N.claim == token,
            )
            .values(columns),
            list(rows),
        )


def set_each(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Per-notice values (``b_id`` names the notice), in one executemany."""
    if rows:
        columns: dict[str, Any] = {k: bindparam(k) for k in rows[0] if k != "b_id"}
        connection.execute(update(_N).where(_N.id == bindparam("b_id")).values(columns), rows)


def insert_reminders(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Sent demands as reminders (催告) of the credit file; returns their ids by number."""
    if not rows:
        return {}
    connection.execute(insert(ReminderRow), list(rows))
    numbers = [row["reminder_no"] for row in rows]
    found: dict[str, int] = {}
    for batch in chunks(numbers):
        written = connection.execute(
            select(ReminderRow.reminder_no, ReminderRow.id).where(
                ReminderRow.reminder_no.in_(batch)
            )
        )
        found.update((str(number), int(reminder_id)) for number, reminder_id in written)
    return found
