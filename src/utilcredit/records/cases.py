"""How every case of the register moves. The use cases (``derivation``, ``service``,
``objections``, ``repairs``) take a Connection and never commit.

Every change of state goes through :func:`apply_transition`: the workflow's machine allows it or
refuses it, the new state is written with a compare-and-set on the old one (of two reviewers deciding
at once, one wins, the other gets a conflict), and the step is kept twice — as a row of the
case's history (``case_events``, also the domain event that notices and the platform exchange
pick up) and as an audit entry.

Who may do what: operators (``file_case``) propose records, file objections and apply for
repair; reviewers (``decide_case``) confirm, dismiss and decide — never on a case they filed;
everybody reads only the utilities they may read. ``principal`` None is the system itself
(the command line without ``--actor``): derivation and the calendar's transitions only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import Connection

from utilcredit.access import repository as users
from utilcredit.access.model import NotVisibleError, Permission, Principal, readable, require
from utilcredit.audit import repository as audit
from utilcredit.customers.model import Utility
from utilcredit.customers.writes import set_aside_evidence
from utilcredit.errors import ConflictError, InvalidInputError, NotFoundError
from utilcredit.identifiers import MaskingRule, display_code, subject_ref
from utilcredit.notices import planning
from utilcredit.policies.service import policy_at
from utilcredit.rating.runs import service as runs
from utilcredit.rating.sql.engines import DatabaseEngine
from utilcredit.records.model import (
    OBJECTION_MACHINE,
    RECORD_MACHINE,
    REPAIR_MACHINE,
)
from utilcredit.records.repository import casework, facts, register
from utilcredit.records.repository.register import RecordLine
from utilcredit.workflow import Machine


class CaseType(StrEnum):
    RECORD = "record"
    OBJECTION = "objection"
    REPAIR = "repair"


_MACHINES: dict[CaseType, Machine[Any]] = {
    CaseType.RECORD: RECORD_MACHINE,
    CaseType.OBJECTION: OBJECTION_MACHINE,
    CaseType.REPAIR: REPAIR_MACHINE,
}


# --------------------------------------------------------------------------------------------
# Who acts
# --------------------------------------------------------------------------------------------


def principal_named(connection: Connection, username: str) -> Principal:
    """The user the command line acts as (``--actor``): must exist and be active."""
    account = users.account_by_name(connection, username)
    if account is None or not account.active:
        raise NotFoundError(f"没有该用户或已停用：{username} / no active user {username}")
    return account.principal


def require_case_permission(
    principal: Principal | None, permission: Permission, utility: str, entity: str
) -> None:
    if principal is None:
        return
    require(principal, permission, entity=entity)
    if not principal.may_write_utility(Utility(utility)):
        raise NotVisibleError(f"没有该{ENTITY_ZH[entity]} / no such {entity}", entity=entity)


ENTITY_ZH = {
    "record": "失信记录",
    "objection": "异议",
    "repair": "修复申请",
    "commitment": "信用承诺",
    "application": "信用办理申请",
}


def not_same_person(principal: Principal | None, filed_by: str, what: str) -> None:
    if principal is not None and principal.username == filed_by:
        raise InvalidInputError(
            f"提交人不能审核自己提交的{what} / the person who filed a case cannot decide it"
        )


# --------------------------------------------------------------------------------------------
# The one function that moves a case
# --------------------------------------------------------------------------------------------


class StatusWriter(Protocol):
    """A domain repository's compare-and-set of a case's status: False when it moved meanwhile."""

    def __call__(
        self,
        connection: Connection,
        case_id: int,
        /,
        *,
        expected: str,
        new: str,
        values: Mapping[str, Any] | None = None,
    ) -> bool: ...


def move_case(
    connection: Connection,
    machine: Machine[Any],
    case_type: str,
    case_id: int,
    current: str,
    action: str,
    *,
    write: StatusWriter,
    utility: str,
    actor: str,
    today: dt.date,
    reason: str | None = None,
    values: Mapping[str, Any] | None = None,
) -> str:
    """Any domain's case (record, objection, repair, commitment, application) moved by its
    machine: allowed or refused, written with a compare-and-set, kept as history and audit."""
    target: StrEnum = machine.target(machine.state(current), action)
    if not write(connection, case_id, expected=current, new=target.value, values=values):
        raise ConflictError(
            f"{ENTITY_ZH[case_type]} {case_id} 已被他人处理，请刷新 / "
            f"{case_type} {case_id} changed meanwhile; reload it"
        )
    keep_history(
        connection, case_type, case_id, utility, action, current, target.value, actor, today, reason
    )
    return target.value


def apply_transition(
    connection: Connection,
    case_type: CaseType,
    case_id: int,
    current: str,
    action: str,
    *,
    utility: str,
    actor: str,
    today: dt.date,
    reason: str | None = None,
    values: dict[str, Any] | None = None,
) -> str:
    def write(
        connection: Connection,
        case_id: int,
        *,
        expected: str,
        new: str,
        values: Mapping[str, Any] | None = None,
    ) -> bool:
        return casework.set_status(
            connection, case_type.value, case_id, expected=expected, new=new, values=values
        )

    return move_case(
        connection,
        _MACHINES[case_type],
        case_type.value,
        case_id,
        current,
        action,
        write=write,
        utility=utility,
        actor=actor,
        today=today,
        reason=reason,
        values=values,
    )


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a case's history (and its audit entry). Other domains' cases (commitments,
    applications) keep their steps here too, under their own ``case_type``."""

    case_type: str
    case_id: int
    utility: str
    action: str
    source: str | None
    target: str
    actor: str
    on: dt.date
    reason: str | None


def keep_history(
    connection: Connection,
    case_type: str,
    case_id: int,
    utility: str,
    action: str,
    source: str | None,
    target: str,
    actor: str,
    today: dt.date,
    reason: str | None,
) -> None:
    keep_histories(
        connection,
        [Step(case_type, case_id, utility, action, source, target, actor, today, reason)],
    )


def keep_histories(connection: Connection, steps: Sequence[Step]) -> None:
    """The steps' history rows and audit entries, each kind in one statement."""
    casework.insert_events(
        connection,
        [
            {
                "case_type": str(step.case_type),
                "case_id": step.case_id,
                "utility": step.utility,
                "action": step.action,
                "from_status": step.source,
                "to_status": step.target,
                "actor": step.actor,
                "on": step.on,
                "reason": step.reason,
            }
            for step in steps
        ],
    )
    audit.record_many(
        connection,
        [
            {
                "actor": step.actor,
                "action": f"{step.case_type}_{step.action}",
                "entity": str(step.case_type),
                "entity_key": str(step.case_id),
                "reason": step.reason,
                "detail": {"from": step.source, "to": step.target},
                "utilities": [step.utility],
            }
            for step in steps
        ],
    )


def visible_record(
    connection: Connection, principal: Principal | None, record_id: int
) -> RecordLine:
    record = register.get_record(connection, record_id)
    if record is None or Utility(record.utility) not in readable(principal):
        raise NotVisibleError(
            f"没有该失信记录：{record_id} / no dishonesty record {record_id}", entity="record"
        )
    return record


def set_aside(connection: Connection, record: RecordLine, kept: set[tuple[str, int]]) -> None:
    """The record's incidents and bills stop counting in ratings (unless a correction kept them)."""
    evidence = [
        e
        for e in register.evidence_of(connection, record.id)
        if (e.evidence_type, e.evidence_id) not in kept
    ]
    bills = [e.evidence_id for e in evidence if e.evidence_type == "bill"]
    # A late payment the billing system also reported for a bill's due date is the same event
    # (the engines count it once); it goes with the bill, or it would count again on its own.
    twins = facts.late_payment_twins(connection, bills)
    set_aside_evidence(
        connection,
        record_id=record.id,
        incident_ids=[e.evidence_id for e in evidence if e.evidence_type == "incident"] + twins,
        bill_ids=bills,
    )


def rerate(connection: Connection, record: RecordLine, actor: str, case: str) -> None:
    """Bring the subject's level up to date at once, with the case as the cause."""
    loaded = policy_at(record.policy_key, None)
    run = runs.rerate_subjects(
        connection, loaded, [record.subject_id], DatabaseEngine(), actor=actor, case=case
    )
    if run is not None:  # the decision's level change is told like any other
        planning.plan_run(connection, run.id, sending=planning.Sending.of())


def require_known(values: Sequence[str], enum: type[StrEnum], what: str) -> None:
    allowed = {e.value for e in enum}
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise InvalidInputError(
            f"{what} 取值无效：{', '.join(unknown)}（可选：{', '.join(sorted(allowed))}） / "
            f"unknown {what}: {', '.join(unknown)}"
        )


def shown(record: RecordLine, principal: Principal | None, rule: MaskingRule) -> RecordLine:
    """The record as the reader may see it: a natural person's ID number masked unless the
    reader holds ``view_unmasked`` (the command line, ``principal`` None, sees it whole)."""
    clear = principal is None or principal.can(Permission.VIEW_UNMASKED)
    code = display_code(record.subject_code, record.subject_kind, clear=clear, rule=rule)
    return record if code == record.subject_code else replace(record, subject_code=code)


def subject_link(record: RecordLine) -> str:
    """What URLs name the record's subject by (``id-<n>`` for a natural person)."""
    return subject_ref(record.subject_id, record.subject_code, record.subject_kind)
