"""Batches as a signed-in user reaches them (the API and the console). A batch's files hold
the rows of every utility it was exported for: a reader sees the batch only when they read each
of them, and another utility's batch answers 404 (audited)."""

from __future__ import annotations

import csv
import datetime as dt
import re
import tempfile
from collections.abc import Collection
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Connection

from utilcredit.access.model import NotVisibleError, Principal
from utilcredit.access.visibility import require_utility_write
from utilcredit.audit import repository as audit
from utilcredit.audit.repository import decode_utilities
from utilcredit.customers.model import Utility
from utilcredit.errors import FieldInvalidError, NotFoundError
from utilcredit.exchange.files import suffix
from utilcredit.exchange.model import (
    Batch,
    BatchFile,
    ExportFormat,
)
from utilcredit.exchange.service import FileCheck, batch, validate_file


def export_utilities(principal: Principal, asked: Collection[Utility]) -> tuple[Utility, ...]:
    """The utilities an export by ``principal`` covers: those asked, each one the principal
    belongs to (403, audited, for another); by default all of the principal's own."""
    for utility in asked:
        require_utility_write(principal, utility, entity="exchange_batch", key=None)
    return tuple(sorted(set(asked) or principal.utilities))


def may_read(principal: Principal, found: Batch) -> bool:
    readable = {u.value for u in principal.readable_utilities}
    return set(decode_utilities(found.utilities)) <= readable


def readable_batch(connection: Connection, principal: Principal, batch_id: int) -> Batch:
    found = batch(connection, batch_id)
    if not may_read(principal, found):
        raise NotVisibleError(
            f"没有报送批次 {batch_id} / no batch {batch_id}",
            entity="exchange_batch",
            entity_key=str(batch_id),
        )
    return found


def writable_batch(connection: Connection, principal: Principal, batch_id: int) -> Batch:
    """A batch the principal may act on (send, load returns): read, and a member of each of
    its utilities (403, audited, otherwise)."""
    found = readable_batch(connection, principal, batch_id)
    for utility in decode_utilities(found.utilities):
        require_utility_write(
            principal, Utility(utility), entity="exchange_batch", key=str(batch_id)
        )
    return found


def batch_file(
    connection: Connection, principal: Principal, batch_id: int, role: str
) -> tuple[Batch, BatchFile, Path]:
    """One of a batch's files to download. The data file holds ID numbers in clear, as the
    platform takes them: each download is audited."""
    found = readable_batch(connection, principal, batch_id)
    entry = found.file(role)
    path = Path(found.folder) / entry.name if entry is not None else None
    if entry is None or path is None or not path.is_file():
        raise NotFoundError(
            f"报送批次 {batch_id} 没有文件 {role} / batch {batch_id} has no {role} file"
        )
    audit.record(
        connection,
        actor=principal.username,
        action="exchange.download",
        entity="exchange_batch",
        entity_key=str(batch_id),
        detail={"role": role, "name": entry.name},
        utilities=decode_utilities(found.utilities),
    )
    return found, entry, path


def report_lines(found: Batch, limit: int) -> tuple[list[list[str]], bool]:
    """The first ``limit`` lines of the batch's validation report (source record, item,
    value, reason), read as a stream, and whether more follow."""
    entry = found.file("invalid")
    if entry is None:
        return [], False
    lines: list[list[str]] = []
    with (Path(found.folder) / entry.name).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)  # the header
        for line in reader:
            if len(lines) == limit:
                return lines, True
            lines.append(line)
    return lines, False


def validate_upload(
    source: BinaryIO,
    filename: str,
    *,
    catalog_key: str,
    kind_key: str | None,
    today: dt.date,
    max_bytes: int,
    allow_list: Collection[str] = (),
) -> FileCheck:
    """A file sent over HTTP, checked as :func:`validate_file`: copied block by block into a
    temporary folder under its own base name (its type is the name's suffix), refused past
    ``max_bytes``, and removed afterwards."""
    name = re.sub(r"[^\w.\-]", "_", Path(filename or "").name)[-100:]
    if Path(name).suffix.lower() not in {suffix(f) for f in ExportFormat}:
        raise FieldInvalidError(
            "file",
            f"不支持的文件 {name or '(无名)'}，应为 .csv、.xlsx 或 .json"
            " / the file must be .csv, .xlsx or .json",
        )
    with tempfile.TemporaryDirectory(prefix="utilcredit-validate-") as folder:
        path = Path(folder) / name
        with path.open("wb") as copy:
            for block in iter(lambda: source.read(1 << 20), b""):
                if copy.tell() + len(block) > max_bytes:
                    raise FieldInvalidError(
                        "file", f"文件超过 {max_bytes} 字节 / the file is over {max_bytes} bytes"
                    )
                copy.write(block)
        return validate_file(
            path, catalog_key=catalog_key, kind_key=kind_key, today=today, allow_list=allow_list
        )
