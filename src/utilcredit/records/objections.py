"""Objections (异议申诉): filing marks the record at once; a reviewer upholds, corrects or removes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Connection

from utilcredit.access.model import NotVisibleError, Permission, Principal, actor_name, readable
from utilcredit.config import RecordsSettings
from utilcredit.customers.model import Utility
from utilcredit.errors import InvalidInputError
from utilcredit.paging import Page
from utilcredit.policies.model.dishonesty import DishonestyClass
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
from utilcredit.records.derivation import advance_record
from utilcredit.records.model import (
    RECORD_MACHINE,
    ObjectionStatus,
    RecordStatus,
)
from utilcredit.records.repository import objections as objection_queries
from utilcredit.records.repository import register
from utilcredit.records.repository.casework import CaseQuery
from utilcredit.records.repository.objections import ObjectionLine
from utilcredit.records.repository.register import RecordLine
from utilcredit.workdays import service as workdays


def file_objection(
    connection: Connection,
    principal: Principal | None,
    record_id: int,
    *,
    reason: str,
    uploads: Sequence[Upload] = (),
    today: dt.date,
    settings: RecordsSettings,
    folder: Path,
) -> ObjectionLine:
    record = visible_record(connection, principal, record_id)
    require_case_permission(principal, Permission.FILE_CASE, record.utility, "objection")
    text = model.require_reason(reason, "异议理由", "reason for the objection")
    types = [checked_type(u, settings.attachment_max_bytes) for u in uploads]
    if record.status == RecordStatus.UNDER_OBJECTION:
        open_one = next(
            o for o in objection_queries.objections_of(connection, record_id) if o.status == "filed"
        )
        raise InvalidInputError(
            f"该记录已有处理中的异议 {open_one.id} / record {record_id} is already under "
            f"objection {open_one.id}"
        )
    if record.status == RecordStatus.EXPIRED:
        raise InvalidInputError(
            f"该记录已公示期满（{record.publish_until}），不再受理异议 / record {record_id} "
            "has expired"
        )
    RECORD_MACHINE.target(RecordStatus(record.status), "object")  # refuses before writing
    actor = actor_name(principal)
    due = workdays.deadline(connection, today, settings.objection_decide_days)
    objection_id = objection_queries.insert_objection(
        connection,
        record_id=record_id,
        utility=record.utility,
        status=ObjectionStatus.FILED.value,
        reason=text,
        filed_by=actor,
        filed_on=today,
        due_on=due,
    )
    keep_history(
        connection,
        CaseType.OBJECTION,
        objection_id,
        record.utility,
        "file",
        None,
        "filed",
        actor,
        today,
        text,
    )
    apply_transition(
        connection,
        CaseType.RECORD,
        record_id,
        record.status,
        "object",
        utility=record.utility,
        actor=actor,
        today=today,
        reason=f"异议 {objection_id}",
    )
    store_uploads(
        connection, CaseType.OBJECTION, objection_id, uploads, types, actor=actor, folder=folder
    )
    found = objection_queries.get_objection(connection, objection_id)
    assert found is not None
    return found


class ObjectionDecision(StrEnum):
    UPHOLD = "uphold"
    CORRECT = "correct"
    REMOVE = "remove"


@dataclass(frozen=True, slots=True)
class Correction:
    """The corrected values of a record (objection decided "correct")."""

    record_class: DishonestyClass | None = None
    amount: Decimal | None = None
    summary: str | None = None
    drop_evidence: tuple[str, ...] = ()  # "<type>:<label>", e.g. "bill:B2024-001"


def visible_objection(
    connection: Connection, principal: Principal | None, objection_id: int
) -> tuple[ObjectionLine, RecordLine]:
    objection = objection_queries.get_objection(connection, objection_id)
    if objection is None or Utility(objection.utility) not in readable(principal):
        raise NotVisibleError(
            f"没有该异议：{objection_id} / no objection {objection_id}", entity="objection"
        )
    return objection, visible_record(connection, principal, objection.record_id)


def decide_objection(
    connection: Connection,
    principal: Principal | None,
    objection_id: int,
    decision: ObjectionDecision,
    *,
    note: str,
    today: dt.date,
    correction: Correction | None = None,
) -> ObjectionLine:
    objection, record = visible_objection(connection, principal, objection_id)
    require_case_permission(principal, Permission.DECIDE_CASE, objection.utility, "objection")
    not_same_person(principal, objection.filed_by, "异议")
    text = model.require_reason(note, "处理意见", "decision note")
    if decision == ObjectionDecision.CORRECT and (correction is None or correction == Correction()):
        raise InvalidInputError("更正须给出更正后的内容 / a correction needs the corrected values")
    actor = actor_name(principal)
    # The decision first (a compare-and-set): of two reviewers only one goes on to write.
    apply_transition(
        connection,
        CaseType.OBJECTION,
        objection_id,
        objection.status,
        decision.value,
        utility=objection.utility,
        actor=actor,
        today=today,
        reason=text,
        values={
            "decided_by": actor,
            "decided_on": today,
            "decision_note": text,
        },
    )
    corrected_id = None
    if decision == ObjectionDecision.CORRECT:
        assert correction is not None
        corrected_id = _corrected_copy(connection, record, correction, objection_id, actor, today)
        objection_queries.set_corrected_record(connection, objection_id, corrected_id)
    apply_transition(
        connection,
        CaseType.RECORD,
        record.id,
        record.status,
        model.OBJECTION_RECORD_ACTION[decision.value],
        utility=record.utility,
        actor=actor,
        today=today,
        reason=f"异议 {objection_id}：{text}",
        values=None if decision == ObjectionDecision.UPHOLD else {"publication_stopped_on": today},
    )
    if decision == ObjectionDecision.UPHOLD:
        advance_record(connection, record.id, today)
    else:
        kept = (
            {
                (e.evidence_type, e.evidence_id)
                for e in register.evidence_of(connection, corrected_id)
            }
            if corrected_id is not None
            else set()
        )
        set_aside(connection, record, kept)
        verb = "更正" if decision == ObjectionDecision.CORRECT else "删除"
        rerate(connection, record, actor, f"异议 {objection_id} 决定{verb}失信记录 {record.id}")
    found = objection_queries.get_objection(connection, objection_id)
    assert found is not None
    return found


def _corrected_copy(
    connection: Connection,
    record: RecordLine,
    correction: Correction,
    objection_id: int,
    actor: str,
    today: dt.date,
) -> int:
    """The record as corrected: a new confirmed record that replaces the old one."""
    evidence = register.evidence_of(connection, record.id)
    labels = {f"{e.evidence_type}:{e.label}" for e in evidence}
    unknown = [d for d in correction.drop_evidence if d not in labels]
    if unknown:
        raise InvalidInputError(
            f"记录没有这些证据：{', '.join(unknown)} / the record has no evidence {', '.join(unknown)}"
        )
    kept = [e for e in evidence if f"{e.evidence_type}:{e.label}" not in correction.drop_evidence]
    if not kept:
        raise InvalidInputError(
            "更正后没有剩余证据，应选择删除 / nothing would remain; remove the record instead"
        )
    record_class = correction.record_class or DishonestyClass(record.record_class)
    determined_on = record.determined_on or today
    pub = model.publication(record_class, determined_on)
    new_id = register.insert_record(
        connection,
        {
            "derivation_key": f"{record.derivation_key}#objection-{objection_id}"[:200],
            "subject_id": record.subject_id,
            "utility": record.utility,
            "kind": record.kind,
            "record_class": record_class.value,
            "status": RecordStatus.CONFIRMED.value,
            "policy_key": record.policy_key,
            "policy_version": record.policy_version,
            "rule_id": record.rule_id,
            "rule_text": record.rule_text,
            "cause_on": record.cause_on,
            "amount": correction.amount if correction.amount is not None else record.amount,
            "summary": (correction.summary or record.summary)[:500],
            "determining_unit": record.determining_unit,
            "determining_unit_code": record.determining_unit_code,
            "determined_on": determined_on,
            "regime": pub.regime,
            "publish_from": pub.publish_from,
            "publish_until": pub.publish_until,
            "repairable_from": pub.repairable_from,
            "corrects_id": record.id,
        },
        kept,
    )
    keep_history(
        connection,
        CaseType.RECORD,
        new_id,
        record.utility,
        "correct",
        None,
        RecordStatus.CONFIRMED.value,
        actor,
        today,
        f"更正失信记录 {record.id}（异议 {objection_id}）",
    )
    advance_record(connection, new_id, today)
    return new_id


def withdraw_objection(
    connection: Connection, principal: Principal | None, objection_id: int, *, today: dt.date
) -> ObjectionLine:
    objection, record = visible_objection(connection, principal, objection_id)
    require_case_permission(principal, Permission.FILE_CASE, objection.utility, "objection")
    actor = actor_name(principal)
    apply_transition(
        connection,
        CaseType.OBJECTION,
        objection_id,
        objection.status,
        "withdraw",
        utility=objection.utility,
        actor=actor,
        today=today,
        values={"decided_by": actor, "decided_on": today},
    )
    apply_transition(
        connection,
        CaseType.RECORD,
        record.id,
        record.status,
        "uphold",
        utility=record.utility,
        actor=actor,
        today=today,
        reason=f"异议 {objection_id} 撤回",
    )
    advance_record(connection, record.id, today)
    found = objection_queries.get_objection(connection, objection_id)
    assert found is not None
    return found


def list_objections(
    connection: Connection,
    principal: Principal | None,
    *,
    statuses: Sequence[str] = (),
    overdue_on: dt.date | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page[ObjectionLine]:
    require_known(statuses, ObjectionStatus, "status")
    query = CaseQuery(readable(principal), statuses, overdue_on, offset, limit)
    return objection_queries.list_objections(connection, query)
