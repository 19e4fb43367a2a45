"""Credit commitments as readers see them: one commitment with its obligations and the steps
open to it, its history, lists and the month's deadlines, each within the reader's utilities."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from utilcredit.access.model import NotVisibleError, Principal, readable
from utilcredit.commitments import repository
from utilcredit.commitments.model import COMMITMENT_MACHINE, CommitmentType, Disclosure
from utilcredit.commitments.repository import (
    CommitmentFilter,
    CommitmentLine,
    DueObligation,
    ObligationLine,
)
from utilcredit.customers import subjects
from utilcredit.customers.model import CommitmentStatus, Utility
from utilcredit.paging import Page
from utilcredit.records.cases import require_known
from utilcredit.records.repository.casework import CaseEvent, events_of

CASE_TYPE = "commitment"


def visible_commitment(
    connection: Connection, principal: Principal | None, commitment_id: int
) -> CommitmentLine:
    found = repository.get_commitment(connection, commitment_id)
    if found is None or Utility(found.utility) not in readable(principal):
        raise NotVisibleError(
            f"没有该信用承诺：{commitment_id} / no commitment {commitment_id}", entity="commitment"
        )
    return found


def commitment_by_ref(connection: Connection, principal: Principal | None, ref: str) -> int:
    """A commitment's id from its id or its code (承诺编码)."""
    if ref.isdigit():
        return int(ref)
    found = repository.commitment_id_by_code(connection, ref.strip().upper())
    if found is None:
        raise NotVisibleError(f"没有该信用承诺：{ref} / no commitment {ref}", entity="commitment")
    return found


@dataclass(frozen=True, slots=True)
class CommitmentView:
    commitment: CommitmentLine
    obligations: list[ObligationLine]
    actions: tuple[str, ...]  # what a person may do next


def commitment_view(
    connection: Connection, principal: Principal | None, commitment_id: int
) -> CommitmentView:
    found = visible_commitment(connection, principal, commitment_id)
    actions = tuple(
        a for a in COMMITMENT_MACHINE.actions_from(CommitmentStatus(found.status)) if a != "expire"
    )
    return CommitmentView(found, repository.obligations_of(connection, commitment_id), actions)


def history(
    connection: Connection, principal: Principal | None, commitment_id: int
) -> list[CaseEvent]:
    """Every step of the commitment and its obligations, oldest first (who, when, why)."""
    visible_commitment(connection, principal, commitment_id)
    return events_of(connection, [(CASE_TYPE, commitment_id)])


def commitment_filter(
    connection: Connection,
    principal: Principal | None,
    *,
    statuses: Sequence[str] = (),
    types: Sequence[str] = (),
    subject_code: str | None = None,
    application_id: int | None = None,
    disclosure: str | None = None,
) -> CommitmentFilter:
    require_known(statuses, CommitmentStatus, "status")
    require_known(types, CommitmentType, "type")
    if disclosure is not None:
        require_known([disclosure], Disclosure, "disclosure")
    subject_id = None
    if subject_code is not None:
        found = subjects.subject_by_code(connection, subject_code)
        subject_id = found.id if found is not None else 0
    utilities = frozenset(u.value for u in readable(principal))
    return CommitmentFilter(utilities, statuses, types, subject_id, application_id, disclosure)


def list_commitments(
    connection: Connection,
    principal: Principal | None,
    *,
    offset: int = 0,
    limit: int = 50,
    **filters: Any,
) -> Page[CommitmentLine]:
    f = commitment_filter(connection, principal, **filters)
    return repository.list_commitments(connection, f, offset=offset, limit=limit)


def iter_commitments(
    connection: Connection, principal: Principal | None, **filters: Any
) -> Iterable[CommitmentLine]:
    return repository.iter_commitments(
        connection, commitment_filter(connection, principal, **filters)
    )


def obligations_due(
    connection: Connection, principal: Principal | None, start: dt.date, end: dt.date
) -> list[DueObligation]:
    """Open obligations falling due in ``[start, end]`` (the deadlines of the month)."""
    utilities = [u.value for u in readable(principal)]
    return repository.obligations_due_between(connection, utilities, start, end)
