"""Credit repair (信用修复): conditions checked from the credit file, then accept, decide, close."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from utilcredit.access.model import NotVisibleError, Permission, Principal, actor_name, readable
from utilcredit.config import RecordsSettings
from utilcredit.customers.model import Utility
from utilcredit.errors import InvalidInputError
from utilcredit.paging import Page
from utilcredit.policies.model.dishonesty import DishonestyKind
from utilcredit.records import model
from utilcredit.records.attachments import Upload, checked_type, store_uploads
from utilcredit.records.cases import (
    CaseType,
    apply_transition,
    keep_history,
    not_same_person,
    require_case_permission,
    require_known,
    rerate,
    set_aside,
    visible_record,
)
from utilcredit.records.model import (
    Condition,
    RecordStatus,
    RepairDecision,
    RepairStatus,
)
from utilcredit.records.repository import casework, facts, register
from utilcredit.records.repository import repairs as repair_queries
from utilcredit.records.repository.casework import CaseQuery
from utilcredit.records.repository.register import RecordLine
from utilcredit.records.repository.repairs import RepairLine
from utilcredit.workdays import service as workdays


def repair_check(
    connection: Connection,
    record: RecordLine,
    *,
    today: dt.date,
    proof_attached: bool,
    commitment_signed_on: dt.date | None,
) -> list[Condition]:
    """The repair conditions of a record as they stand today (SPEC 3.6; seed 004 附件3 四)."""
    unpaid: list[str] = []
    if record.kind == DishonestyKind.ARREARS:
        bills = [
            e.label
            for e in register.evidence_of(connection, record.id)
            if e.evidence_type == "bill"
        ]
        unpaid = facts.unpaid_bills(connection, facts.accounts_of_bills(connection, bills), today)
    return model.repair_conditions(
        kind=DishonestyKind(record.kind),
        repairable_from=record.repairable_from or today,
        today=today,
        unpaid_bills=unpaid,
        proof_attached=proof_attached,
        commitment_signed_on=commitment_signed_on,
    )


def apply_repair(
    connection: Connection,
    principal: Principal | None,
    record_id: int,
    *,
    statement: str,
    commitment_signed_on: dt.date | None,
    uploads: Sequence[Upload] = (),
    today: dt.date,
    settings: RecordsSettings,
    folder: Path,
) -> RepairLine:
    record = visible_record(connection, principal, record_id)
    require_case_permission(principal, Permission.FILE_CASE, record.utility, "repair")
    text = model.require_reason(statement, "申请说明", "statement")
    types = [checked_type(u, settings.attachment_max_bytes) for u in uploads]
    open_one = next(
        (
            r
            for r in repair_queries.repairs_of(connection, record_id)
            if r.status in model.OPEN_REPAIR_STATUSES
        ),
        None,
    )
    if open_one is not None:
        raise InvalidInputError(
            f"该记录已有办理中的修复申请 {open_one.id} / record {record_id} already has an open "
            f"repair application {open_one.id}"
        )
    if record.status not in (RecordStatus.CONFIRMED, RecordStatus.PUBLISHED):
        raise InvalidInputError(
            f"记录状态为「{model.RECORD_STATUS_LABELS[RecordStatus(record.status)]}」，不能申请修复 / "
            f"a {record.status} record cannot be repaired"
        )
    conditions = repair_check(
        connection,
        record,
        today=today,
        proof_attached=bool(uploads),
        commitment_signed_on=commitment_signed_on,
    )
    failed = [c for c in conditions if not c.met]
    if failed:
        raise InvalidInputError(
            "不符合信用修复条件："
            + "；".join(f"{c.text}（{c.detail}）" for c in failed)
            + " / repair conditions not met: "
            + ", ".join(_in_english(c, record) for c in failed)
        )
    actor = actor_name(principal)
    repair_id = repair_queries.insert_repair(
        connection,
        record_id=record_id,
        utility=record.utility,
        status=RepairStatus.SUBMITTED.value,
        statement=text,
        commitment_signed_on=commitment_signed_on,
        conditions=[_condition_json(c) for c in conditions],
        submitted_by=actor,
        submitted_on=today,
        accept_due_on=workdays.deadline(connection, today, settings.repair_accept_days),
    )
    keep_history(
        connection,
        CaseType.REPAIR,
        repair_id,
        record.utility,
        "submit",
        None,
        "submitted",
        actor,
        today,
        text,
    )
    store_uploads(
        connection, CaseType.REPAIR, repair_id, uploads, types, actor=actor, folder=folder
    )
    return _repair(connection, repair_id)


def _in_english(condition: Condition, record: RecordLine) -> str:
    if condition.key == "minimum_period" and record.repairable_from is not None:
        return f"minimum_period (earliest {record.repairable_from})"
    return condition.key


def _condition_json(condition: Condition) -> dict[str, Any]:
    return {
        "key": condition.key,
        "text": condition.text,
        "met": condition.met,
        "detail": condition.detail,
    }


def _repair(connection: Connection, repair_id: int) -> RepairLine:
    found = repair_queries.get_repair(connection, repair_id)
    assert found is not None
    return found


def visible_repair(
    connection: Connection, principal: Principal | None, repair_id: int
) -> tuple[RepairLine, RecordLine]:
    repair = repair_queries.get_repair(connection, repair_id)
    if repair is None or Utility(repair.utility) not in readable(principal):
        raise NotVisibleError(
            f"没有该修复申请：{repair_id} / no repair application {repair_id}", entity="repair"
        )
    return repair, visible_record(connection, principal, repair.record_id)


def accept_repair(
    connection: Connection,
    principal: Principal | None,
    repair_id: int,
    *,
    today: dt.date,
    settings: RecordsSettings,
) -> RepairLine:
    repair, _record = visible_repair(connection, principal, repair_id)
    require_case_permission(principal, Permission.DECIDE_CASE, repair.utility, "repair")
    not_same_person(principal, repair.submitted_by, "修复申请")
    actor = actor_name(principal)
    apply_transition(
        connection,
        CaseType.REPAIR,
        repair_id,
        repair.status,
        "accept",
        utility=repair.utility,
        actor=actor,
        today=today,
        values={
            "accepted_by": actor,
            "accepted_on": today,
            "decide_due_on": workdays.deadline(connection, today, settings.repair_decide_days),
        },
    )
    return _repair(connection, repair_id)


def decide_repair(
    connection: Connection,
    principal: Principal | None,
    repair_id: int,
    decision: RepairDecision,
    *,
    note: str | None,
    today: dt.date,
    settings: RecordsSettings,
) -> RepairLine:
    repair, record = visible_repair(connection, principal, repair_id)
    require_case_permission(principal, Permission.DECIDE_CASE, repair.utility, "repair")
    not_same_person(principal, repair.submitted_by, "修复申请")
    actor = actor_name(principal)
    text = (note or "").strip() or None
    if decision == RepairDecision.REJECTED:
        text = model.require_reason(text, "不予修复的理由", "reason for the rejection")
    elif repair.status == RepairStatus.ACCEPTED:
        # Payments may have been reversed since the application: check again what can change.
        proof = bool(casework.attachments_of(connection, "repair", repair_id))
        again = repair_check(
            connection,
            record,
            today=today,
            proof_attached=proof,
            commitment_signed_on=repair.commitment_signed_on,
        )
        failed = [c for c in again if not c.met]
        if failed:
            raise InvalidInputError(
                "修复条件已不满足："
                + "；".join(f"{c.text}（{c.detail}）" for c in failed)
                + " / the repair conditions no longer hold"
            )
    action = "approve" if decision == RepairDecision.APPROVED else "reject"
    apply_transition(
        connection,
        CaseType.REPAIR,
        repair_id,
        repair.status,
        action,
        utility=repair.utility,
        actor=actor,
        today=today,
        reason=text,
        values={
            "decided_by": actor,
            "decided_on": today,
            "decision": decision.value,
            "decision_note": text,
            "close_due_on": workdays.deadline(connection, today, settings.repair_close_days),
        },
    )
    if decision == RepairDecision.APPROVED:
        apply_transition(
            connection,
            CaseType.RECORD,
            record.id,
            record.status,
            "repair",
            utility=record.utility,
            actor=actor,
            today=today,
            reason=f"修复申请 {repair_id} 准予修复",
            values={"publication_stopped_on": today},
        )
        set_aside(connection, record, set())
        rerate(connection, record, actor, f"修复申请 {repair_id} 准予修复失信记录 {record.id}")
    return _repair(connection, repair_id)


def close_repair(
    connection: Connection, principal: Principal | None, repair_id: int, *, today: dt.date
) -> RepairLine:
    repair, _record = visible_repair(connection, principal, repair_id)
    require_case_permission(principal, Permission.DECIDE_CASE, repair.utility, "repair")
    not_same_person(principal, repair.submitted_by, "修复申请")
    actor = actor_name(principal)
    apply_transition(
        connection,
        CaseType.REPAIR,
        repair_id,
        repair.status,
        "close",
        utility=repair.utility,
        actor=actor,
        today=today,
        values={"closed_by": actor, "closed_on": today},
    )
    return _repair(connection, repair_id)


def withdraw_repair(
    connection: Connection, principal: Principal | None, repair_id: int, *, today: dt.date
) -> RepairLine:
    repair, _record = visible_repair(connection, principal, repair_id)
    require_case_permission(principal, Permission.FILE_CASE, repair.utility, "repair")
    apply_transition(
        connection,
        CaseType.REPAIR,
        repair_id,
        repair.status,
        "withdraw",
        utility=repair.utility,
        actor=actor_name(principal),
        today=today,
    )
    return _repair(connection, repair_id)


def list_repairs(
    connection: Connection,
    principal: Principal | None,
    *,
    statuses: Sequence[str] = (),
    overdue_on: dt.date | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page[RepairLine]:
    require_known(statuses, RepairStatus, "status")
    query = CaseQuery(readable(principal), statuses, overdue_on, offset, limit)
    return repair_queries.list_repairs(connection, query)
