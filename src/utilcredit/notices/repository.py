"""The outbox as people read it, its print batches, and where subjects are reached: the
contacts recorded for notices and the channels opted out of (SQLite and PostgreSQL alike).
Nothing here commits.

The queries that plan notices (``notices/sources.py``) and that move them through the queue
(``notices/queue.py``) live beside this module and share its :func:`chunks` and :func:`utc`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from utilcredit.customers.tables import AccountRow, SubjectRow
from utilcredit.notices.model import Contact, NoticeChannel, NoticeStatus
from utilcredit.notices.tables import (
    NoticeAttemptRow,
    NoticeContactRow,
    NoticeOptOutRow,
    NoticeRow,
    PrintBatchRow,
)
from utilcredit.paging import Page, page_of

_N = NoticeRow
CHUNK = 2000  # ids per IN list: well under SQLite's bound-parameter limit


def chunks(items: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    """``items`` in lists of ``size``: one IN list or executemany each."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """A stored time as an aware UTC datetime (SQLite gives them back naive)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


# ---- reading -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoticeLine:
    id: int
    key: str
    kind: str
    channel: str
    status: str
    utility: str
    policy_key: str
    subject_id: int
    subject_code: str
    subject_name: str
    subject_kind: str
    account_id: int | None
    recipient: str | None
    source: str
    source_id: int | None
    run_id: int | None
    variables: dict[str, str]
    title: str | None
    body: str | None
    due_at: dt.datetime
    attempts: int
    provider_ref: str | None
    last_error: str | None
    batch_id: int | None
    reminder_id: int | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    delivered_at: dt.datetime | None


_LINE_COLUMNS = (
    _N.id,
    _N.key,
    _N.kind,
    _N.channel,
    _N.status,
    _N.utility,
    _N.policy_key,
    _N.subject_id,
    SubjectRow.code.label("subject_code"),
    SubjectRow.name.label("subject_name"),
    SubjectRow.kind.label("subject_kind"),
    _N.account_id,
    _N.recipient,
    _N.source,
    _N.source_id,
    _N.run_id,
    _N.variables,
    _N.title,
    _N.body,
    _N.due_at,
    _N.attempts,
    _N.provider_ref,
    _N.last_error,
    _N.batch_id,
    _N.reminder_id,
    _N.created_at,
    _N.sent_at,
    _N.delivered_at,
)


def _line(row: Any) -> NoticeLine:
    values = dict(row._mapping)
    for name in ("due_at", "created_at", "sent_at", "delivered_at"):
        values[name] = utc(values[name])
    return NoticeLine(**values)


def _lines() -> Any:
    return select(*_LINE_COLUMNS).join(SubjectRow, SubjectRow.id == _N.subject_id)


@dataclass(frozen=True, slots=True)
class NoticeFilter:
    utilities: Collection[str]
    statuses: Collection[str] = ()
    channels: Collection[str] = ()
    kinds: Collection[str] = ()
    subject_id: int | None = None
    batch_id: int | None = None
    run_id: int | None = None


def _filtered(statement: Any, f: NoticeFilter) -> Any:
    statement = statement.where(_N.utility.in_(sorted(f.utilities)))
    if f.statuses:
        statement = statement.where(_N.status.in_(sorted(f.statuses)))
    if f.channels:
        statement = statement.where(_N.channel.in_(sorted(f.channels)))
    if f.kinds:
        statement = statement.where(_N.kind.in_(sorted(f.kinds)))
    if f.subject_id is not None:
        statement = statement.where(_N.subject_id == f.subject_id)
    if f.batch_id is not None:
        statement = statement.where(_N.batch_id == f.batch_id)
    if f.run_id is not None:
        statement = statement.where(_N.run_id == f.run_id)
    return statement


def list_notices(
    connection: Connection, f: NoticeFilter, offset: int = 0, limit: int = 50
) -> Page[NoticeLine]:
    rows = connection.execute(
        _filtered(_lines(), f).order_by(_N.id.desc()).offset(offset).limit(limit + 1)
    ).all()
    return page_of([_line(row) for row in rows], offset, limit)


def iter_notices(connection: Connection, f: NoticeFilter) -> Iterator[NoticeLine]:
    for row in connection.execute(_filtered(_lines(), f).order_by(_N.id)):
        yield _line(row)


def count_by_status(
    connection: Connection, utilities: Collection[str]
) -> dict[tuple[str, str], int]:
    """(status, channel) → notices, for the queue's overview."""
    return {
        (status, channel): n
        for status, channel, n in connection.execute(
            select(_N.status, _N.channel, func.count())
            .where(_N.utility.in_(sorted(utilities)))
            .group_by(_N.status, _N.channel)
        )
    }


def get_notice(connection: Connection, notice_id: int) -> NoticeLine | None:
    row = connection.execute(_lines().where(_N.id == notice_id)).first()
    return _line(row) if row is not None else None


def notices_by_key(connection: Connection, keys: Sequence[str]) -> dict[str, NoticeLine]:
    found: dict[str, NoticeLine] = {}
    for batch in chunks(keys):
        for row in connection.execute(_lines().where(_N.key.in_(batch))):
            line = _line(row)
            found[line.key] = line
    return found


def get_notices(connection: Connection, ids: Sequence[int]) -> list[NoticeLine]:
    lines: list[NoticeLine] = []
    for batch in chunks(ids):
        lines += [_line(row) for row in connection.execute(_lines().where(_N.id.in_(batch)))]
    return sorted(lines, key=lambda line: line.id)


@dataclass(frozen=True, slots=True)
class AttemptLine:
    action: str
    from_status: str
    to_status: str
    at: dt.datetime
    actor: str
    detail: str | None
    provider_ref: str | None


def attempts_of(connection: Connection, notice_id: int) -> list[AttemptLine]:
    rows = connection.execute(
        select(
            NoticeAttemptRow.action,
            NoticeAttemptRow.from_status,
            NoticeAttemptRow.to_status,
            NoticeAttemptRow.at,
            NoticeAttemptRow.actor,
            NoticeAttemptRow.detail,
            NoticeAttemptRow.provider_ref,
        )
        .where(NoticeAttemptRow.notice_id == notice_id)
        .order_by(NoticeAttemptRow.id)
    )
    return [
        AttemptLine(a, f, t, utc(at) or at, actor, detail, ref)
        for a, f, t, at, actor, detail, ref in rows
    ]


# ---- print batches -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchLine:
    id: int
    utility: str
    status: str
    letters: int
    created_by: str
    created_at: dt.datetime
    printed_by: str | None
    printed_at: dt.datetime | None
    posted_by: str | None
    posted_at: dt.datetime | None


def insert_batch(connection: Connection, **values: Any) -> int:
    key = connection.execute(insert(PrintBatchRow).values(**values)).inserted_primary_key
    assert key is not None
    return int(key[0])


def _batch(row: Any) -> BatchLine:
    values = dict(row._mapping)
    for name in ("created_at", "printed_at", "posted_at"):
        values[name] = utc(values[name])
    return BatchLine(**values)


def get_batch(connection: Connection, batch_id: int) -> BatchLine | None:
    row = connection.execute(
        select(*PrintBatchRow.__table__.columns).where(PrintBatchRow.id == batch_id)
    ).first()
    return _batch(row) if row is not None else None


def list_batches(
    connection: Connection, utilities: Collection[str], offset: int = 0, limit: int = 50
) -> Page[BatchLine]:
    rows = connection.execute(
        select(*PrintBatchRow.__table__.columns)
        .where(PrintBatchRow.utility.in_(sorted(utilities)))
        .order_by(PrintBatchRow.id.desc())
        .offset(offset)
        .limit(limit + 1)
    ).all()
    return page_of([_batch(row) for row in rows], offset, limit)


def set_batch(connection: Connection, batch_id: int, *, expected: str, **values: Any) -> bool:
    result = connection.execute(
        update(PrintBatchRow)
        .where(PrintBatchRow.id == batch_id, PrintBatchRow.status == expected)
        .values(**values)
    )
    return result.rowcount == 1


def queued_letter_ids(connection: Connection, utility: str, limit: int) -> list[int]:
    return list(
        connection.scalars(
            select(_N.id)
            .where(
                _N.status == NoticeStatus.QUEUED.value,
                _N.channel == NoticeChannel.LETTER.value,
                _N.utility == utility,
            )
            .order_by(_N.id)
            .limit(limit)
        )
    )


# ---- subjects: where they are reached, the channels they opted out of ---------------------


def subject_utilities(connection: Connection, code: str) -> tuple[int, list[str]] | None:
    """The subject's id and the utilities it has accounts with (None: no such subject)."""
    subject_id = subject_id_of(connection, code)
    if subject_id is None:
        return None
    utilities = connection.scalars(
        select(AccountRow.utility).where(AccountRow.subject_id == subject_id).distinct()
    )
    return subject_id, sorted(utilities)


def subject_id_of(connection: Connection, code: str) -> int | None:
    found: int | None = connection.scalar(select(SubjectRow.id).where(SubjectRow.code == code))
    return found


def contacts(connection: Connection, subject_ids: Collection[int]) -> dict[int, Contact]:
    """Where each subject can be reached: the credit file's phone and address, the contacts
    recorded for notices (which win), and the channels it opted out of."""
    found: dict[int, dict[str, Any]] = {}
    extra: dict[int, dict[str, str]] = defaultdict(dict)
    opted: dict[int, set[NoticeChannel]] = defaultdict(set)
    for batch in chunks(sorted(subject_ids)):
        for sid, name, phone, address in connection.execute(
            select(SubjectRow.id, SubjectRow.name, SubjectRow.phone, SubjectRow.address).where(
                SubjectRow.id.in_(batch)
            )
        ):
            found[sid] = {"name": name, "mobile": phone, "postal": address}
        for sid, channel, address in connection.execute(
            select(
                NoticeContactRow.subject_id, NoticeContactRow.channel, NoticeContactRow.address
            ).where(NoticeContactRow.subject_id.in_(batch))
        ):
            extra[sid][channel] = address
        for sid, channel in connection.execute(
            select(NoticeOptOutRow.subject_id, NoticeOptOutRow.channel).where(
                NoticeOptOutRow.subject_id.in_(batch)
            )
        ):
            opted[sid].add(NoticeChannel(channel))
    result: dict[int, Contact] = {}
    for sid, base in found.items():
        more = extra.get(sid, {})
        result[sid] = Contact(
            subject_id=sid,
            name=base["name"],
            mobile=more.get("sms") or base["mobile"],
            email=more.get("email"),
            wechat=more.get("wechat"),
            postal=more.get("letter") or base["postal"],
            opted_out=frozenset(opted.get(sid, ())),
        )
    return result


def set_contact(connection: Connection, **values: Any) -> None:
    connection.execute(
        delete(NoticeContactRow).where(
            NoticeContactRow.subject_id == values["subject_id"],
            NoticeContactRow.channel == values["channel"],
        )
    )
    connection.execute(insert(NoticeContactRow).values(**values))


def remove_contact(connection: Connection, subject_id: int, channel: str) -> bool:
    result = connection.execute(
        delete(NoticeContactRow).where(
            NoticeContactRow.subject_id == subject_id, NoticeContactRow.channel == channel
        )
    )
    return result.rowcount == 1


def set_opt_out(connection: Connection, **values: Any) -> None:
    remove_opt_out(connection, values["subject_id"], values["channel"])
    connection.execute(insert(NoticeOptOutRow).values(**values))


def remove_opt_out(connection: Connection, subject_id: int, channel: str) -> bool:
    result = connection.execute(
        delete(NoticeOptOutRow).where(
            NoticeOptOutRow.subject_id == subject_id, NoticeOptOutRow.channel == channel
        )
    )
    return result.rowcount == 1


@dataclass(frozen=True, slots=True)
class Preference:
    channel: str
    address: str | None
    opted_out: bool
    reason: str | None


def preferences(connection: Connection, subject_id: int) -> list[Preference]:
    addresses: dict[str, str] = {
        str(channel): str(address)
        for channel, address in connection.execute(
            select(NoticeContactRow.channel, NoticeContactRow.address).where(
                NoticeContactRow.subject_id == subject_id
            )
        )
    }
    opted: dict[str, str | None] = {
        str(channel): reason
        for channel, reason in connection.execute(
            select(NoticeOptOutRow.channel, NoticeOptOutRow.reason).where(
                NoticeOptOutRow.subject_id == subject_id
            )
        )
    }
    return [
        Preference(channel, addresses.get(channel), channel in opted, opted.get(channel))
        for channel in sorted(set(addresses) | set(opted))
    ]
