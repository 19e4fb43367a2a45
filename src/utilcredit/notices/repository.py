"""Every query of the outbox (SQLite and PostgreSQL alike). Nothing here commits."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy import (
    Connection,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from utilcredit.customers.tables import (
    AccountRow,
    BillRow,
    PaymentRow,
    ReminderRow,
    SubjectRow,
)
from utilcredit.notices.model import Contact, NoticeChannel, NoticeStatus, OverdueAccount
from utilcredit.notices.tables import (
    NoticeAttemptRow,
    NoticeContactRow,
    NoticeOptOutRow,
    NoticeRow,
    PrintBatchRow,
)
from utilcredit.paging import Page, page_of
from utilcredit.rating.runs.tables import LevelChangeRow

_N = NoticeRow
CHUNK = 2000  # ids per IN list: well under SQLite's bound-parameter limit


def _chunks(items: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """A stored time as an aware UTC datetime (SQLite gives them back naive)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


# ---- planning inputs -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChangeFact:
    id: int
    subject_id: int
    from_level: str | None
    to_level: str | None


def level_changes(connection: Connection, run_id: int) -> list[ChangeFact]:
    """The level changes a run made (departures, with no new level, included)."""
    rows = connection.execute(
        select(
            LevelChangeRow.id,
            LevelChangeRow.subject_id,
            LevelChangeRow.from_level,
            LevelChangeRow.to_level,
        )
        .where(LevelChangeRow.run_id == run_id)
        .order_by(LevelChangeRow.id)
    )
    return [ChangeFact(*row) for row in rows]


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
    for batch in _chunks(sorted(subject_ids)):
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


def overdue_accounts(
    connection: Connection, utility: str, today: dt.date, due_before: dt.date
) -> list[OverdueAccount]:
    """Accounts of ``utility`` with bills due on or before ``due_before`` and unpaid on
    ``today``, with what they owe and their last demand (imported or sent by us)."""
    paid = (
        select(func.coalesce(func.sum(PaymentRow.amount), literal_column("0")))
        .where(PaymentRow.bill_id == BillRow.id, PaymentRow.paid_on <= today)
        .scalar_subquery()
    )
    owed = (
        select(
            BillRow.account_id,
            (BillRow.amount - paid).label("owed"),
            BillRow.due_on,
        )
        .join(AccountRow, AccountRow.id == BillRow.account_id)
        .where(
            AccountRow.utility == utility,
            BillRow.due_on <= due_before,
            BillRow.set_aside_by.is_(None),
        )
        .subquery()
    )
    per_account = (
        select(
            owed.c.account_id,
            func.sum(owed.c.owed).label("owed"),
            func.count().label("bills"),
            func.min(owed.c.due_on).label("oldest"),
        )
        .where(owed.c.owed > 0)
        .group_by(owed.c.account_id)
        .subquery()
    )
    last_reminder = (
        select(func.max(ReminderRow.sent_on))
        .where(ReminderRow.account_id == per_account.c.account_id)
        .scalar_subquery()
    )
    rows = connection.execute(
        select(
            AccountRow.subject_id,
            per_account.c.account_id,
            AccountRow.account_no,
            per_account.c.owed,
            per_account.c.bills,
            per_account.c.oldest,
            last_reminder.label("last_demand"),
        )
        .join(AccountRow, AccountRow.id == per_account.c.account_id)
        .order_by(per_account.c.account_id)
    ).all()
    pending = _pending_demands(connection, [row.account_id for row in rows])
    return [
        OverdueAccount(
            subject_id=row.subject_id,
            account_id=row.account_id,
            account_no=row.account_no,
            owed_fen=int(row.owed),
            bill_count=int(row.bills),
            oldest_due_on=row.oldest,
            last_demand_on=row.last_demand,
            demand_pending=row.account_id in pending,
        )
        for row in rows
    ]


_ON_ITS_WAY = (NoticeStatus.QUEUED, NoticeStatus.SENDING, NoticeStatus.BATCHED)


def _pending_demands(connection: Connection, account_ids: Sequence[int]) -> set[int]:
    """Accounts with a demand still on its way (a sent one is a reminder of the file by then)."""
    found: set[int] = set()
    for batch in _chunks(account_ids):
        found.update(
            connection.scalars(
                select(_N.account_id).where(
                    _N.kind == "demand",
                    _N.account_id.in_(batch),
                    _N.status.in_([s.value for s in _ON_ITS_WAY]),
                )
            )
        )
    return found


# ---- writing the outbox --------------------------------------------------------------------


def existing_keys(connection: Connection, keys: Collection[str]) -> set[str]:
    found: set[str] = set()
    for batch in _chunks(keys):
        found.update(connection.scalars(select(_N.key).where(_N.key.in_(batch))))
    return found


def insert_notices(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Write notices; a key already there (another transaction's, meanwhile) is left alone."""
    if not rows:
        return
    dialect = connection.dialect.name
    for batch in _chunks(rows):
        if dialect == "postgresql":
            statement: Any = postgresql.insert(_N).on_conflict_do_nothing(index_elements=["key"])
        else:
            statement = sqlite.insert(_N).on_conflict_do_nothing(index_elements=["key"])
        connection.execute(statement, list(batch))


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
    for batch in _chunks(ids):
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
    for batch in _chunks(subject_ids):
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
    for batch in _chunks(ids):
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
    for batch in _chunks(ids):
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
    for batch in _chunks(numbers):
        written = connection.execute(
            select(ReminderRow.reminder_no, ReminderRow.id).where(
                ReminderRow.reminder_no.in_(batch)
            )
        )
        found.update((str(number), int(reminder_id)) for number, reminder_id in written)
    return found


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
    for batch in _chunks(keys):
        for row in connection.execute(_lines().where(_N.key.in_(batch))):
            line = _line(row)
            found[line.key] = line
    return found


def get_notices(connection: Connection, ids: Sequence[int]) -> list[NoticeLine]:
    lines: list[NoticeLine] = []
    for batch in _chunks(ids):
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


# ---- contacts and opt-outs -----------------------------------------------------------------


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
