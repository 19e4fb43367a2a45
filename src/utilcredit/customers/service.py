"""Credit-file read use cases of one subject, as a reader may see them (nothing here commits)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection

from utilcredit.access.model import Permission, Principal, require
from utilcredit.access.visibility import visible_subject
from utilcredit.customers import repository
from utilcredit.errors import NotFoundError


def evidence(
    connection: Connection,
    principal: Principal,
    code: str,
    kind: str,
    ref: str,
    on: dt.date | None = None,
) -> dict[str, Any]:
    """One record an explanation points at (bill with its payments, incident, account, report),
    among the subject's accounts of the reader's utilities."""
    require(principal, Permission.READ, entity="subject")
    subject_id, utilities = visible_subject(connection, principal, code)
    record = repository.evidence_record(connection, subject_id, utilities, kind, ref, on)
    if record is None:
        raise NotFoundError(f"没有该证据记录：{ref} / no evidence record {ref}")
    return record
