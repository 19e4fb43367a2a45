"""Use cases of a batch after its export: send it to the platform, load the platform's
returned-error file, correct returned rows by an audited edit, and report error rates.
Nothing here commits: the caller owns the transaction (docs/exchange.md, "Sending, returns,
corrections")."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection

from utilcredit.audit import repository as audit
from utilcredit.audit.repository import decode_utilities
from utilcredit.customers.model import Utility
from utilcredit.errors import ConflictError, FieldInvalidError, InvalidInputError, NotFoundError
from utilcredit.exchange import service, tracking
from utilcredit.exchange.model import (
    BATCH_MACHINE,
    RETURNED_MACHINE,
    Batch,
    BatchStatus,
    ErrorRate,
    ReturnedRow,
    ReturnedStatus,
    answer_action,
)
from utilcredit.exchange.platform import PlatformClient
from utilcredit.exchange.returns import ReturnedFileError, parse
from utilcredit.localtime import SHANGHAI

NOTE_MAX = 500
UNKNOWN_SHOWN = 10


def send(
    connection: Connection,
    batch_id: int,
    client: PlatformClient,
    *,
    actor: str,
    now: dt.datetime | None = None,
) -> Batch:
    """Push a ``created`` batch's data file and mark it ``sent`` with the platform's receipt.

    A failure (timeout, 5xx after the client's retries, a refusal) raises before anything is
    written: the batch stays ``created``. The upload carries the batch's idempotency key, so
    sending again after a lost answer gives the same receipt, not a second submission."""
    current = service.batch(connection, batch_id)
    BATCH_MACHINE.target(BATCH_MACHINE.state(current.status), "send")  # refuse before pushing
    path, sha256 = _data_file(current)
    receipt = client.push(current, path, sha256)
    return service.move(
        connection,
        batch_id,
        "send",
        actor=actor,
        reason=f"平台回执 / receipt {receipt.ref}" + (" (重复 / duplicate)" * receipt.duplicate),
        platform_ref=receipt.ref,
        sent_at=now or dt.datetime.now(dt.UTC),
    )


def _data_file(batch: Batch) -> tuple[Path, str]:
    """The batch's data file, as exported: a file changed since is refused."""
    entry = batch.file("data")
    path = Path(batch.folder) / entry.name if entry else None
    if entry is None or path is None or not path.is_file():
        raise NotFoundError(f"报送批次 {batch.id} 的数据文件不存在 / batch {batch.id} has no data")
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != entry.sha256:
        raise FieldInvalidError(
            "file",
            f"报送批次 {batch.id} 的数据文件在导出后被改动（校验和不符） / the data file of"
            f" batch {batch.id} changed after the export (checksum differs)",
        )
    return path, entry.sha256


@dataclass(frozen=True, slots=True)
class LoadedReturns:
    batch: Batch
    errors: int  # lines (row, code) stored
    rows: int  # distinct data rows returned


def load_returns(
    connection: Connection,
    batch_id: int,
    *,
    data: bytes | None = None,
    client: PlatformClient | None = None,
    actor: str,
    now: dt.datetime | None = None,
) -> LoadedReturns:
    """The platform's answer to a ``sent`` batch — a returned-error file given as ``data``, or
    fetched through ``client`` — stored as returned rows (open), each with the source record
    its row came from, and the batch moved to accepted, partly_rejected or rejected. A file
    that cannot be read whole, or that names a row the batch does not have, writes nothing."""
    current = service.batch(connection, batch_id)
    BATCH_MACHINE.target(BATCH_MACHINE.state(current.status), "accept")  # only a sent batch
    expected = None
    if data is None:
        data, expected = _fetched(current, client)
    errors = parse(data, expected=expected)
    keys = _keys(current)
    unknown = sorted({e.row for e in errors if e.row > len(keys)})
    if unknown:
        shown = "、".join(map(str, unknown[:UNKNOWN_SHOWN])) + (
            "…" * (len(unknown) > UNKNOWN_SHOWN)
        )
        raise ReturnedFileError(
            f"退回文件引用了批次 {batch_id} 中不存在的行 {shown}（该批次共 {len(keys)} 行） /"
            f" the file names rows batch {batch_id} does not have (it has {len(keys)})"
        )
    rows = len({e.row for e in errors})
    moved = service.move(
        connection,
        batch_id,
        answer_action(current.rows, rows),
        actor=actor,
        returned_rows=rows,
        answered_at=now or dt.datetime.now(dt.UTC),
    )
    stored = tracking.insert_returned(connection, batch_id, errors, keys)
    return LoadedReturns(moved, stored, rows)


def _fetched(batch: Batch, client: PlatformClient | None) -> tuple[bytes, int]:
    if batch.platform_ref is None or client is None:
        raise InvalidInputError(
            f"报送批次 {batch.id} 无平台回执或未配置平台，请提供退回文件 / batch {batch.id}"
            " has no platform receipt or no platform is configured: give the returned file"
        )
    answer = client.answer(batch.platform_ref)
    if not answer.answered or answer.errors is None:
        raise ConflictError(
            f"平台尚未处理完批次 {batch.id}（{batch.platform_ref}），请稍后再取 / the platform"
            f" has not answered batch {batch.id} yet"
        )
    return answer.errors, answer.returned


def _keys(batch: Batch) -> list[str]:
    path = Path(batch.folder) / "keys.txt"
    try:
        keys = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise NotFoundError(
            f"报送批次 {batch.id} 缺少 keys.txt / batch {batch.id} has no keys.txt"
        ) from error
    if len(keys) != batch.rows:
        raise ConflictError(
            f"报送批次 {batch.id} 的 keys.txt 有 {len(keys)} 行，批次有 {batch.rows} 行 /"
            f" keys.txt of batch {batch.id} does not match its rows"
        )
    return keys


def correct(
    connection: Connection,
    returned_row_id: int,
    *,
    note: str,
    actor: str,
    now: dt.datetime | None = None,
) -> ReturnedRow:
    """Mark an open returned row corrected by an edit (the fix was made where the store does
    not see it, or the platform's objection is answered): audited with its note. The next
    incremental export, or ``export --corrections``, sends its current data again."""
    if not note.strip():
        raise FieldInvalidError("note", "请说明更正内容 / say what was corrected (note)")
    if len(note) > NOTE_MAX:
        raise FieldInvalidError("note", f"说明超过 {NOTE_MAX} 个字符 / note is too long")
    found = returned_row(connection, returned_row_id)
    RETURNED_MACHINE.target(RETURNED_MACHINE.state(found.status), "correct")
    moved = tracking.set_returned_status(
        connection,
        [returned_row_id],
        ReturnedStatus.OPEN,
        ReturnedStatus.CORRECTED,
        corrected_by=actor,
        corrected_at=now or dt.datetime.now(dt.UTC),
        correction={"how": "edit", "note": note.strip()},
    )
    if moved != 1:
        raise ConflictError(
            f"退回数据 {returned_row_id} 已被他人处理 / returned row {returned_row_id} changed"
        )
    batch = service.batch(connection, found.batch_id)
    audit.record(
        connection,
        actor=actor,
        action="exchange.correct",
        entity="exchange_returned_row",
        entity_key=str(returned_row_id),
        reason=note.strip(),
        detail={"batch": found.batch_id, "row": found.row_no, "source": found.source_key},
        utilities=decode_utilities(batch.utilities),
    )
    return returned_row(connection, returned_row_id)


def returned_row(connection: Connection, returned_row_id: int) -> ReturnedRow:
    found = tracking.returned_row(connection, returned_row_id)
    if found is None:
        raise NotFoundError(f"没有退回数据 {returned_row_id} / no returned row {returned_row_id}")
    return found


def returned_rows(
    connection: Connection,
    *,
    batch_id: int | None = None,
    status: ReturnedStatus | None = None,
    limit: int = 1000,
) -> list[ReturnedRow]:
    return tracking.returned_rows(connection, batch_id=batch_id, status=status, limit=limit)


# ---- error rates ----------------------------------------------------------------------------


def batch_rate(batch: Batch) -> ErrorRate:
    """One batch's rows returned over rows sent (pending until the platform answers)."""
    sent = batch.status != BatchStatus.CREATED
    pending = batch.rows if batch.status == BatchStatus.SENT else 0
    return ErrorRate(
        label=str(batch.id),
        batches=1,
        rows_sent=batch.rows if sent else 0,
        rows_returned=batch.returned_rows or 0,
        pending=pending,
    )


@dataclass(frozen=True, slots=True)
class MonthErrors:
    month: str
    total: ErrorRate
    by_kind: list[ErrorRate] = field(default_factory=list)
    codes: list[tuple[str, int]] = field(default_factory=list)  # error code, returned rows


def error_rates(
    connection: Connection, month: str, *, readable: Collection[Utility] | None = None
) -> MonthErrors:
    """The month's batches (by the day they were sent, Asia/Shanghai): rows returned over
    rows sent, in total and per kind, and the error codes most returned. ``readable``: only
    the batches whose every utility the reader reads (as ``service.batches``)."""
    start, end = month_window(month)
    hidden = () if readable is None else [u.value for u in Utility if u not in readable]
    sent = tracking.sent_between(connection, start, end, hidden)
    kinds = sorted({kind for kind, *_ in sent})
    return MonthErrors(
        month=month,
        total=_summed(month, sent),
        by_kind=[_summed(k, [s for s in sent if s[0] == k]) for k in kinds],
        codes=tracking.error_codes_between(connection, start, end, hidden),
    )


def _summed(label: str, sent: Sequence[tuple[str, str, int, int | None]]) -> ErrorRate:
    return ErrorRate(
        label=label,
        batches=len(sent),
        rows_sent=sum(rows for _k, _s, rows, _r in sent),
        rows_returned=sum(returned or 0 for *_x, returned in sent),
        pending=sum(rows for _k, status, rows, _r in sent if status == BatchStatus.SENT),
    )


def month_window(month: str) -> tuple[dt.datetime, dt.datetime]:
    """``2026-11`` → its first instant and the next month's, Asia/Shanghai, in UTC."""
    try:
        first = dt.datetime.strptime(month, "%Y-%m").replace(tzinfo=SHANGHAI)
    except ValueError:
        raise FieldInvalidError(
            "month", f"月份「{month}」应为 YYYY-MM / month must be YYYY-MM"
        ) from None
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first.astimezone(dt.UTC), following.astimezone(dt.UTC)
