"""The register as its readers and reviewers use it: lists, a record with its history, and
the reviewer's confirm or dismiss of a candidate. Nothing here commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from utilcredit.access.model import Permission, Principal, actor_name, readable
from utilcredit.config import RecordsSettings
from utilcredit.customers import subjects
from utilcredit.customers.model import UTILITY_ZH
from utilcredit.documents.model import NOT_STATED, RepairCommitment, repair_commitment_context
from utilcredit.documents.render import render_html
from utilcredit.errors import InvalidInputError
from utilcredit.identifiers import MaskingRule
from utilcredit.paging import Page
from utilcredit.policies.model.dishonesty import DishonestyClass, DishonestyKind
from utilcredit.policies.service import policy_version
from utilcredit.records import model
from utilcredit.records.cases import (
    CaseType,
    apply_transition,
    require_case_permission,
    require_known,
    shown,
    visible_record,
)
from utilcredit.records.derivation import advance_record
from utilcredit.records.model import (
    RECORD_MACHINE,
    RecordStatus,
)
from utilcredit.records.repository import casework, register
from utilcredit.records.repository import objections as objection_queries
from utilcredit.records.repository import repairs as repair_queries
from utilcredit.records.repository.casework import AttachmentLine, CaseEvent
from utilcredit.records.repository.objections import ObjectionLine
from utilcredit.records.repository.register import Evidence, RecordFilter, RecordLine
from utilcredit.records.repository.repairs import RepairLine
from utilcredit.workdays import service as workdays

# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordView:
    record: RecordLine
    evidence: list[Evidence]
    objections: list[ObjectionLine]
    repairs: list[RepairLine]
    events: list[CaseEvent]
    attachments: dict[tuple[str, int], list[AttachmentLine]]
    actions: tuple[str, ...]  # what people may do next (not the system's own steps)


def record_view(connection: Connection, principal: Principal | None, record_id: int) -> RecordView:
    record = visible_record(connection, principal, record_id)
    objections = objection_queries.objections_of(connection, record_id)
    repairs = repair_queries.repairs_of(connection, record_id)
    cases = [("record", record_id)]
    cases += [("objection", o.id) for o in objections] + [("repair", r.id) for r in repairs]
    attachments = {
        (kind, case_id): casework.attachments_of(connection, kind, case_id)
        for kind, case_id in cases[1:]
    }
    return RecordView(
        record,
        register.evidence_of(connection, record_id),
        objections,
        repairs,
        casework.events_of(connection, cases),
        attachments,
        tuple(
            action
            for action in RECORD_MACHINE.actions_from(RecordStatus(record.status))
            if action not in model.SYSTEM_ACTIONS
        ),
    )


def record_filter(
    connection: Connection,
    principal: Principal | None,
    *,
    statuses: Sequence[str] = (),
    classes: Sequence[str] = (),
    kinds: Sequence[str] = (),
    policy_key: str | None = None,
    subject_id: int | None = None,
    subject_code: str | None = None,
    overdue_on: dt.date | None = None,
) -> RecordFilter:
    """A list's filter, checked: unknown values are refused; ``subject_code`` narrows to one
    subject (an unknown code lists nothing); the reader's utilities always apply."""
    require_known(statuses, RecordStatus, "status")
    require_known(classes, DishonestyClass, "class")
    require_known(kinds, DishonestyKind, "kind")
    if subject_code is not None:
        found = subjects.subject_by_code(connection, subject_code)
        subject_id = found.id if found is not None else 0
    return RecordFilter(
        readable(principal), statuses, classes, kinds, policy_key, subject_id, overdue_on
    )


def list_records(
    connection: Connection,
    principal: Principal | None,
    *,
    offset: int = 0,
    limit: int = 50,
    **filters: Any,
) -> Page[RecordLine]:
    """A page of the records :func:`record_filter` selects, newest first."""
    f = record_filter(connection, principal, **filters)
    return register.list_records(connection, f, offset=offset, limit=limit)


def iter_records(
    connection: Connection, principal: Principal | None, **filters: Any
) -> Iterable[RecordLine]:
    """Every record :func:`record_filter` selects, oldest first, streamed (exports)."""
    return register.iter_records(connection, record_filter(connection, principal, **filters))


def open_cases(connection: Connection, principal: Principal | None, day: dt.date) -> dict[str, int]:
    return register.count_open_cases(connection, readable(principal), day)


# --------------------------------------------------------------------------------------------
# Confirm and dismiss candidates
# --------------------------------------------------------------------------------------------


def confirm(
    connection: Connection,
    principal: Principal | None,
    record_id: int,
    *,
    today: dt.date,
    settings: RecordsSettings,
    note: str | None = None,
) -> RecordLine:
    record = visible_record(connection, principal, record_id)
    require_case_permission(principal, Permission.DECIDE_CASE, record.utility, "record")
    unit_name, unit_code = settings.determining_units[record.utility]
    pub = model.publication(DishonestyClass(record.record_class), today)
    apply_transition(
        connection,
        CaseType.RECORD,
        record_id,
        record.status,
        "confirm",
        utility=record.utility,
        actor=actor_name(principal),
        today=today,
        reason=(note or "").strip() or None,
        values={
            "determined_on": today,
            "determining_unit": unit_name,
            "determining_unit_code": unit_code,
            "regime": pub.regime,
            "publish_from": pub.publish_from,
            "publish_until": pub.publish_until,
            "repairable_from": pub.repairable_from,
        },
    )
    advance_record(connection, record_id, today)
    return visible_record(connection, principal, record_id)


def dismiss(
    connection: Connection,
    principal: Principal | None,
    record_id: int,
    *,
    reason: str,
    today: dt.date,
    exemption: str | None = None,
) -> RecordLine:
    record = visible_record(connection, principal, record_id)
    require_case_permission(principal, Permission.DECIDE_CASE, record.utility, "record")
    text = (reason or "").strip()
    if exemption is not None:
        text = f"{_exemption_text(record, exemption)} {text}".strip()
    text = model.require_reason(text, "不予认定的理由", "reason for dismissal")
    apply_transition(
        connection,
        CaseType.RECORD,
        record_id,
        record.status,
        "dismiss",
        utility=record.utility,
        actor=actor_name(principal),
        today=today,
        reason=text,
    )
    return visible_record(connection, principal, record_id)


def _exemption_text(record: RecordLine, key: str) -> str:
    loaded = policy_version(record.policy_key, record.policy_version)
    rules = loaded.policy.dishonesty if loaded is not None else None
    rule = next((r for r in rules.rules if r.id == record.rule_id), None) if rules else None
    if rules is None or rule is None or key not in rule.exemptions:
        allowed = ", ".join(rule.exemptions) if rule is not None else ""
        raise InvalidInputError(
            f"规则 {record.rule_id} 没有豁免情形 {key}（可选：{allowed or '无'}） / rule "
            f"{record.rule_id} has no exemption {key}"
        )
    found = next(e for e in rules.exemptions if e.key == key)
    return f"【豁免：{found.seed_ref or key}】{found.text}"


@dataclass(frozen=True, slots=True)
class Deadline:
    what: str  # what is due, in Chinese
    case: str  # "objection 3", "repair 5"
    due_on: dt.date
    working_days_left: int  # 0 on the due day, negative once overdue


_REPAIR_STEPS = {
    "submitted": ("修复申请受理", "accept_due_on"),
    "accepted": ("修复认定", "decide_due_on"),
    "decided": ("修复办结", "close_due_on"),
}


def open_deadlines(connection: Connection, view: RecordView, today: dt.date) -> list[Deadline]:
    """What is due on the record's open cases, as dates and as working days left."""
    due: list[tuple[str, str, dt.date]] = [
        ("异议处理决定", f"objection {o.id}", o.due_on)
        for o in view.objections
        if o.status == "filed"
    ]
    for repair in view.repairs:
        step = _REPAIR_STEPS.get(repair.status)
        day = getattr(repair, step[1]) if step is not None else None
        if step is not None and day is not None:
            due.append((step[0], f"repair {repair.id}", day))
    if not due:
        return []
    calendar = workdays.calendar(connection)
    return [
        Deadline(what, case, day, calendar.working_days_between(today, day))
        for what, case, day in due
    ]


def repair_commitment(
    connection: Connection,
    principal: Principal | None,
    record_id: int,
    *,
    rule: MaskingRule,
    made_on: dt.date | None = None,
) -> str:
    """The repair commitment (信用修复承诺书) of a record as HTML, filled with the subject's
    data, for printing and signing; ``documents.render.render_pdf`` turns it into the PDF."""
    record = visible_record(connection, principal, record_id)
    subject = subjects.subject_detail(connection, record.subject_id)
    masked = shown(record, principal, rule)
    commitment = RepairCommitment(
        subject_name=subject.name,
        subject_code=masked.subject_code,
        legal_rep=subject.legal_rep if subject.kind == "legal" else None,
        record_id=str(record.id),
        record_kind_label=model.KIND_LABELS[DishonestyKind(record.kind)],
        rule_text=record.rule_text,
        determined_on=record.determined_on,
        determining_unit=record.determining_unit or NOT_STATED,
        determining_unit_code=record.determining_unit_code or NOT_STATED,
        utility_label=UTILITY_ZH.get(record.utility, record.utility),
        made_on=made_on,
    )
    return render_html("repair_commitment.html", repair_commitment_context(commitment))
