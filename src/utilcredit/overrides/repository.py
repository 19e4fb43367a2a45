"""Every query on overrides."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    bindparam,
    false,
    func,
    insert,
    select,
    update,
)

from utilcredit.customers.model import Utility
from utilcredit.customers.tables import SubjectRow
from utilcredit.overrides.model import Override, OverrideState
from utilcredit.overrides.tables import OverrideRow
from utilcredit.policies.model.levels import Level

_COLUMNS = (
    OverrideRow.id,
    SubjectRow.code,
    OverrideRow.utility,
    OverrideRow.policy_key,
    OverrideRow.level,
    OverrideRow.computed_level,
    OverrideRow.reason,
    OverrideRow.expires_on,
    OverrideRow.state,
    OverrideRow.requested_by,
    OverrideRow.requested_on,
    OverrideRow.decided_by,
    OverrideRow.decided_on,
    OverrideRow.decision_note,
    OverrideRow.subject_id,
    SubjectRow.kind.label("subject_kind"),
)


@dataclass(frozen=True, slots=True)
class StoredOverride:
    """An override with what tenancy and masking need: its utility and its subject."""

    override: Override
    utility: Utility
    subject_id: int
    subject_kind: str


def _override(row: Any) -> tuple[Override, Utility]:
    return (
        Override(
            id=row.id,
            subject_code=row.code,
            policy_key=row.policy_key,
            level=Level(row.level),
            computed_level=Level(row.computed_level),
            reason=row.reason,
            expires_on=row.expires_on,
            state=OverrideState(row.state),
            requested_by=row.requested_by,
            requested_on=row.requested_on,
            decided_by=row.decided_by,
            decided_on=row.decided_on,
            decision_note=row.decision_note,
        ),
        Utility(row.utility),
    )


def _stored(row: Any) -> StoredOverride:
    override, utility = _override(row)
    return StoredOverride(override, utility, row.subject_id, row.subject_kind)


def _base() -> Any:
    return select(*_COLUMNS).join(SubjectRow, SubjectRow.id == OverrideRow.subject_id)


def insert_override(
    connection: Connection, override: Override, *, subject_id: int, utility: Utility
) -> int:
    return int(
        connection.execute(
            insert(OverrideRow)
            .values(
                subject_id=subject_id,
                utility=utility.value,
                policy_key=override.policy_key,
                level=override.level.value,
                computed_level=override.computed_level.value,
                reason=override.reason,
                expires_on=override.expires_on,
                state=override.state.value,
                requested_by=override.requested_by,
                requested_on=override.requested_on,
            )
            .returning(OverrideRow.id)
        ).scalar_one()
    )


def lock_subject(connection: Connection, subject_id: int) -> None:
    """Hold what makes two requests for one subject check for a pending request one after the
    other, until the transaction ends. PostgreSQL: the subject's row, ``FOR UPDATE``. SQLite
    has one writer at a time, but the driver begins a transaction only at its first write, so
    a read before it may miss a request committed meanwhile: a write that changes nothing
    takes the writer's lock first (waiting for the other writer to commit), and the reads
    after it see what the other committed."""
    if connection.dialect.name == "sqlite":
        connection.execute(update(OverrideRow).where(false()).values(state=OverrideRow.state))
        return
    connection.execute(
        select(SubjectRow.id).where(SubjectRow.id == subject_id).with_for_update()
    ).one_or_none()


def pending_of(connection: Connection, subject_id: int, policy_key: str) -> Override | None:
    """The subject's request under the policy that still waits for a decision, if any."""
    row = connection.execute(
        _base()
        .where(
            OverrideRow.subject_id == subject_id,
            OverrideRow.policy_key == policy_key,
            OverrideRow.state == OverrideState.REQUESTED.value,
        )
        .order_by(OverrideRow.id)
        .limit(1)
    ).one_or_none()
    return None if row is None else _override(row)[0]


def save_decision(connection: Connection, override: Override) -> bool:
    """Compare-and-set: store the decision only if the request still waits for one.

    ``False`` when another transaction decided (or withdrew) it first; the row is then left as
    that transaction wrote it. On PostgreSQL the UPDATE waits for the other transaction's row
    lock and re-checks the state after it commits; SQLite serialises writers.
    """
    result = connection.execute(
        update(OverrideRow)
        .where(OverrideRow.id == override.id, OverrideRow.state == OverrideState.REQUESTED.value)
        .values(
            state=override.state.value,
            decided_by=override.decided_by,
            decided_on=override.decided_on,
            decision_note=override.decision_note,
        )
    )
    return result.rowcount == 1


def get(connection: Connection, override_id: int) -> StoredOverride | None:
    row = connection.execute(_base().where(OverrideRow.id == override_id)).one_or_none()
    return None if row is None else _stored(row)


_NEWEST_FIRST = OverrideRow.id.desc()
_OF_SUBJECT = _base().where(OverrideRow.subject_id == bindparam("subject_id"))
_OF_SUBJECT_POLICY = _OF_SUBJECT.where(OverrideRow.policy_key == bindparam("policy_key")).order_by(
    _NEWEST_FIRST
)
_OF_SUBJECT = _OF_SUBJECT.order_by(_NEWEST_FIRST)


def of_subject(
    connection: Connection, subject_id: int, policy_key: str | None = None
) -> list[Override]:
    """Newest first. Statements are built once: the live rating endpoint asks on every call."""
    if policy_key is None:
        rows = connection.execute(_OF_SUBJECT, {"subject_id": subject_id})
    else:
        rows = connection.execute(
            _OF_SUBJECT_POLICY,
            {"subject_id": subject_id, "policy_key": policy_key},
        )
    return [_override(row)[0] for row in rows]


def page(
    connection: Connection,
    *,
    utilities: Collection[Utility],
    state: OverrideState | None,
    offset: int,
    limit: int,
) -> tuple[list[StoredOverride], int]:
    condition: list[ColumnElement[bool]] = [OverrideRow.utility.in_([u.value for u in utilities])]
    if state is not None:
        condition.append(OverrideRow.state == state.value)
    total = connection.execute(
        select(func.count()).select_from(OverrideRow).where(*condition)
    ).scalar_one()
    rows = connection.execute(
        _base().where(*condition).order_by(OverrideRow.id.desc()).offset(offset).limit(limit)
    )
    return [_stored(row) for row in rows], int(total)
