"""What the register's console pages show (失信记录 · 异议 · 信用修复): labels in both
languages, the record as the reader may see it, the record page's parts (timeline, deadlines,
the forms the reader may use now) and the reviewer's queue.

Only reads through the register's use cases (``records/service``, ``objections``, ``repairs``)
and the working-day calendar; the pages' routes are ``web/records.py``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection

from utilcredit.access.model import SYSTEM, Permission, Principal
from utilcredit.customers.model import Utility
from utilcredit.identifiers import MaskingRule, mask_name
from utilcredit.policies.model.dishonesty import DishonestyClass, DishonestyKind, Exemption
from utilcredit.policies.service import policy_version
from utilcredit.records import cases, objections, repairs, service
from utilcredit.records.model import (
    CLASS_LABELS,
    KIND_LABELS,
    OBJECTION_MACHINE,
    OBJECTION_STATUS_LABELS,
    OPEN_REPAIR_STATUSES,
    RECORD_MACHINE,
    RECORD_STATUS_LABELS,
    REPAIR_DECISION_LABELS,
    REPAIR_MACHINE,
    REPAIR_STATUS_LABELS,
    ObjectionStatus,
    RecordStatus,
    RepairDecision,
    RepairStatus,
)
from utilcredit.records.repository.casework import CaseEvent
from utilcredit.records.repository.objections import ObjectionLine
from utilcredit.records.repository.register import RecordLine
from utilcredit.records.repository.repairs import RepairLine
from utilcredit.records.service import RecordView
from utilcredit.web.i18n import Translator
from utilcredit.workdays import service as workdays

# --------------------------------------------------------------------------------------------
# Labels: the Chinese ones are the register's own (records/model.py); English beside them
# --------------------------------------------------------------------------------------------

RECORD_STATUS_EN: dict[RecordStatus, str] = {
    RecordStatus.CANDIDATE: "Candidate",
    RecordStatus.CONFIRMED: "Confirmed",
    RecordStatus.PUBLISHED: "Published",
    RecordStatus.EXPIRED: "Publication ended",
    RecordStatus.DISMISSED: "Dismissed",
    RecordStatus.WITHDRAWN: "Withdrawn (cause gone)",
    RecordStatus.UNDER_OBJECTION: "Under objection",
    RecordStatus.CORRECTED: "Corrected",
    RecordStatus.REMOVED: "Removed",
    RecordStatus.REPAIRED: "Repaired",
}
KIND_EN: dict[DishonestyKind, str] = {
    DishonestyKind.ARREARS: "Arrears unpaid after a payment demand",
    DishonestyKind.THEFT: "Theft of water/power",
    DishonestyKind.VIOLATION: "Breach of the supply terms",
    DishonestyKind.COMMITMENT_BREACH: "Broken credit commitment",
    DishonestyKind.GENERAL_DISHONESTY: "General dishonest conduct",
    DishonestyKind.SERIOUS_DISHONESTY: "Serious dishonest conduct",
    DishonestyKind.FACILITY_DAMAGE: "Deliberate damage to facilities (serious)",
}
CLASS_EN: dict[DishonestyClass, str] = {
    DishonestyClass.MINOR: "Minor",
    DishonestyClass.GENERAL: "General",
    DishonestyClass.SERIOUS: "Serious",
}
OBJECTION_STATUS_EN: dict[ObjectionStatus, str] = {
    ObjectionStatus.FILED: "Being decided",
    ObjectionStatus.UPHELD: "Record upheld",
    ObjectionStatus.CORRECTED: "Record corrected",
    ObjectionStatus.REMOVED: "Record removed",
    ObjectionStatus.WITHDRAWN: "Withdrawn",
}
REPAIR_STATUS_EN: dict[RepairStatus, str] = {
    RepairStatus.SUBMITTED: "Submitted",
    RepairStatus.ACCEPTED: "Accepted",
    RepairStatus.DECIDED: "Decided",
    RepairStatus.CLOSED: "Closed",
    RepairStatus.WITHDRAWN: "Withdrawn",
}
DECISION_EN: dict[RepairDecision, str] = {
    RepairDecision.APPROVED: "Repair approved",
    RepairDecision.REJECTED: "Repair refused",
}
ACTION_EN: dict[str, str] = {
    "confirm": "Confirm",
    "dismiss": "Dismiss",
    "withdraw": "Withdraw",
    "publish": "Publish",
    "expire": "Publication ends",
    "object": "Objection raised",
    "uphold": "Uphold",
    "correct": "Correct",
    "remove": "Remove",
    "repair": "Repair",
    "accept": "Accept",
    "approve": "Approve the repair",
    "reject": "Refuse the repair",
    "close": "Close",
}
# The steps that open a case are no transitions of its machine, so no machine names them.
OPENING_ACTIONS: dict[str, tuple[str, str]] = {
    "derive": ("按规则提出候选", "Proposed by the rules"),
    "file": ("提出异议", "Objection filed"),
    "submit": ("申请信用修复", "Repair applied for"),
}
CASE_LABELS: dict[str, tuple[str, str]] = {
    "record": (cases.ENTITY_ZH["record"], "Record"),
    "objection": (cases.ENTITY_ZH["objection"], "Objection"),
    "repair": (cases.ENTITY_ZH["repair"], "Repair application"),
}
EVIDENCE_LABELS: dict[str, tuple[str, str]] = {
    "bill": ("账单", "Bill"),
    "payment": ("缴费", "Payment"),
    "reminder": ("催告", "Payment demand"),
    "incident": ("事件", "Incident"),
    "commitment": ("信用承诺", "Commitment"),
}
# What a deadline is for, as records/service.open_deadlines names it.
DEADLINE_EN: dict[str, str] = {
    "异议处理决定": "Decision on the objection",
    "修复申请受理": "Accepting the repair application",
    "修复认定": "Deciding the repair application",
    "修复办结": "Closing the repair application",
}

_STATUS_LABELS: dict[str, tuple[type[StrEnum], dict[Any, str], dict[Any, str]]] = {
    "record": (RecordStatus, RECORD_STATUS_LABELS, RECORD_STATUS_EN),
    "objection": (ObjectionStatus, OBJECTION_STATUS_LABELS, OBJECTION_STATUS_EN),
    "repair": (RepairStatus, REPAIR_STATUS_LABELS, REPAIR_STATUS_EN),
}
_ACTION_LABELS = {
    "record": RECORD_MACHINE.action_labels,
    "objection": OBJECTION_MACHINE.action_labels,
    "repair": REPAIR_MACHINE.action_labels,
}


def _known(enum: type[StrEnum], value: str) -> StrEnum | None:
    try:
        return enum(value)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class RecordLabels:
    """The register's words in the page's language; an unknown value shows as a dash, never
    as its stored name."""

    t: Translator

    def _pick(self, enum: type[StrEnum], zh: dict[Any, str], en: dict[Any, str], v: str) -> str:
        member = _known(enum, v)
        if member is None:
            return "—"
        return self.t.pick(zh[member], en[member])

    def status(self, case_type: str, value: str | None) -> str:
        if value is None:
            return "—"
        enum, zh, en = _STATUS_LABELS[case_type]
        return self._pick(enum, zh, en, value)

    def record_status(self, value: str) -> str:
        return self.status("record", value)

    def kind(self, value: str) -> str:
        return self._pick(DishonestyKind, KIND_LABELS, KIND_EN, value)

    def record_class(self, value: str) -> str:
        return self._pick(DishonestyClass, CLASS_LABELS, CLASS_EN, value)

    def decision(self, value: str | None) -> str:
        if value is None:
            return "—"
        return self._pick(RepairDecision, REPAIR_DECISION_LABELS, DECISION_EN, value)

    def action(self, case_type: str, action: str) -> str:
        if action in OPENING_ACTIONS:
            return self.t.pick(*OPENING_ACTIONS[action])
        zh = _ACTION_LABELS[case_type].get(action)
        return self.t.pick(zh, ACTION_EN.get(action, zh)) if zh else "—"

    def case(self, case_type: str, case_id: int) -> str:
        zh, en = CASE_LABELS.get(case_type, ("—", "—"))
        return f"{self.t.pick(zh, en)} {case_id}"

    def evidence(self, evidence_type: str) -> str:
        zh, en = EVIDENCE_LABELS.get(evidence_type, ("—", "—"))
        return self.t.pick(zh, en)

    def deadline(self, what: str) -> str:
        return self.t.pick(what, DEADLINE_EN.get(what, what))

    def actor(self, actor: str) -> str:
        return self.t.pick("系统", "system") if actor == SYSTEM else actor


# Values the filters and forms offer, in the machines' order.
RECORD_STATUSES = tuple(RecordStatus)
KINDS = tuple(DishonestyKind)
CLASSES = tuple(DishonestyClass)


# --------------------------------------------------------------------------------------------
# The record as the reader may see it
# --------------------------------------------------------------------------------------------


def shown(record: RecordLine, principal: Principal, rule: MaskingRule) -> RecordLine:
    """The register's masking (a natural person's number unless the reader may see it), and
    the name masked with it, as the credit file masks it."""
    line = cases.shown(record, principal, rule)
    if record.subject_kind == "natural" and not principal.can(Permission.VIEW_UNMASKED):
        line = replace(line, subject_name=mask_name(line.subject_name))
    return line


@dataclass(frozen=True, slots=True)
class RecordRow:
    record: RecordLine  # masked as the reader may see it
    subject_ref: str  # what the subject's page is named by


def rows(records: list[RecordLine], principal: Principal, rule: MaskingRule) -> list[RecordRow]:
    return [RecordRow(shown(r, principal, rule), cases.subject_link(r)) for r in records]


# --------------------------------------------------------------------------------------------
# The record page
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeadlineRow:
    what: str  # in Chinese, from the service
    case_type: str
    case_id: int
    due_on: dt.date
    working_days_left: int
    overdue: bool


@dataclass(frozen=True, slots=True)
class Allowed:
    """The forms the reader may use on the record now (the services check again)."""

    confirm: bool = False
    object: bool = False
    repair: bool = False
    decide_objection: ObjectionLine | None = None
    withdraw_objection: ObjectionLine | None = None
    own_objection: bool = False  # the reader filed the open objection: may not decide it
    accept_repair: RepairLine | None = None
    decide_repair: RepairLine | None = None
    close_repair: RepairLine | None = None
    withdraw_repair: RepairLine | None = None
    own_repair: bool = False


@dataclass(frozen=True, slots=True)
class FormRetry:
    """A form the services refused: shown again on the record page with the error and what
    the reader typed (files must be chosen again)."""

    record_id: int
    form: str  # confirm | dismiss | objection | repair | objection-<id> | repair-<id>
    values: dict[str, Any] = field(default_factory=dict)
    message: str = ""


@dataclass(frozen=True, slots=True)
class RecordPage:
    view: RecordView
    record: RecordLine  # masked
    subject_ref: str
    seed_ref: str | None  # where the rule's sentence comes from
    exemptions: tuple[Exemption, ...]  # what a dismissal may name
    timeline: list[CaseEvent]  # of the record, its objections and repairs, in order
    deadlines: list[DeadlineRow]
    allowed: Allowed
    repairable_now: bool


def _writes(principal: Principal, permission: Permission, utility: str) -> bool:
    return principal.can(permission) and principal.may_write_utility(Utility(utility))


def allowed(view: RecordView, principal: Principal) -> Allowed:
    record = view.record
    decide = _writes(principal, Permission.DECIDE_CASE, record.utility)
    file = _writes(principal, Permission.FILE_CASE, record.utility)
    standing = record.status in (RecordStatus.CONFIRMED, RecordStatus.PUBLISHED)
    objection = next((o for o in view.objections if o.status == ObjectionStatus.FILED), None)
    repair = next((r for r in view.repairs if r.status in OPEN_REPAIR_STATUSES), None)
    own_objection = objection is not None and objection.filed_by == principal.username
    own_repair = repair is not None and repair.submitted_by == principal.username
    may_decide_objection = decide and objection is not None and not own_objection
    may_decide_repair = decide and repair is not None and not own_repair
    status = repair.status if repair is not None else None
    return Allowed(
        confirm=decide and record.status == RecordStatus.CANDIDATE,
        object=file and standing,
        repair=file and standing and repair is None,
        decide_objection=objection if may_decide_objection else None,
        withdraw_objection=objection if file and objection is not None else None,
        own_objection=decide and own_objection,
        accept_repair=repair if may_decide_repair and status == RepairStatus.SUBMITTED else None,
        decide_repair=repair if may_decide_repair and status == RepairStatus.ACCEPTED else None,
        close_repair=repair if may_decide_repair and status == RepairStatus.DECIDED else None,
        withdraw_repair=repair if file and status == RepairStatus.SUBMITTED else None,
        own_repair=decide and own_repair,
    )


def _rule_details(record: RecordLine) -> tuple[str | None, tuple[Exemption, ...]]:
    loaded = policy_version(record.policy_key, record.policy_version)
    rules = loaded.policy.dishonesty if loaded is not None else None
    rule = next((r for r in rules.rules if r.id == record.rule_id), None) if rules else None
    if rules is None or rule is None:
        return None, ()
    named = tuple(e for e in rules.exemptions if e.key in rule.exemptions)
    return rule.seed_ref, named


def record_page(
    connection: Connection,
    principal: Principal,
    record_id: int,
    *,
    today: dt.date,
    rule: MaskingRule,
) -> RecordPage:
    view = service.record_view(connection, principal, record_id)
    record = view.record
    seed_ref, exemptions = _rule_details(record)
    deadlines = []
    for d in service.open_deadlines(connection, view, today):
        case_type, _, case_id = d.case.partition(" ")
        deadlines.append(
            DeadlineRow(
                d.what, case_type, int(case_id), d.due_on, d.working_days_left, d.due_on < today
            )
        )
    deadlines.sort(key=lambda d: d.due_on)
    return RecordPage(
        view=view,
        record=shown(record, principal, rule),
        subject_ref=cases.subject_link(record),
        seed_ref=seed_ref,
        exemptions=exemptions,
        timeline=view.events,
        deadlines=deadlines,
        allowed=allowed(view, principal),
        repairable_now=record.repairable_from is not None and record.repairable_from <= today,
    )


# --------------------------------------------------------------------------------------------
# The reviewer's queue
# --------------------------------------------------------------------------------------------

QUEUE_LIMIT = 200  # of each kind of case; the page says when there are more

_CANDIDATE_STEP = ("候选记录待确认", "Candidate to confirm")
_OBJECTION_STEP = ("异议待处理", "Objection to decide")
_REPAIR_STEPS: dict[RepairStatus, tuple[str, str, str]] = {
    RepairStatus.SUBMITTED: ("修复申请待受理", "Repair application to accept", "accept_due_on"),
    RepairStatus.ACCEPTED: ("修复申请待认定", "Repair application to decide", "decide_due_on"),
    RepairStatus.DECIDED: ("修复申请待办结", "Repair application to close", "close_due_on"),
}


@dataclass(frozen=True, slots=True)
class QueueItem:
    case_type: str  # record | objection | repair
    case_id: int
    step: tuple[str, str]  # what waits, Chinese and English
    row: RecordRow
    since: dt.date  # filed, submitted, or (a candidate) the cause's date
    by: str | None = None
    due_on: dt.date | None = None  # candidates have no deadline
    working_days_left: int | None = None
    overdue: bool = False


@dataclass(frozen=True, slots=True)
class _Waiting:
    """An objection or repair step that has a deadline."""

    case_type: str
    case_id: int
    step: tuple[str, str]
    record_id: int
    since: dt.date
    by: str
    due_on: dt.date


@dataclass(frozen=True, slots=True)
class Queue:
    items: list[QueueItem]
    truncated: bool  # more cases wait than the page lists


def review_queue(
    connection: Connection, principal: Principal, *, today: dt.date, rule: MaskingRule
) -> Queue:
    """What waits for a decision in the reader's utilities: candidates to confirm, objections
    filed, repairs submitted, accepted or decided; by deadline, overdue first, candidates
    (which have none) last."""
    candidates = service.list_records(
        connection, principal, statuses=[RecordStatus.CANDIDATE.value], limit=QUEUE_LIMIT
    )
    filed = objections.list_objections(
        connection, principal, statuses=[ObjectionStatus.FILED.value], limit=QUEUE_LIMIT
    )
    steps = [s.value for s in _REPAIR_STEPS]
    # Repairs are listed newest first: the overdue ones are read on their own, so that a long
    # list never leaves out the most pressing.
    overdue_repairs = repairs.list_repairs(
        connection, principal, statuses=steps, overdue_on=today, limit=QUEUE_LIMIT
    )
    recent_repairs = repairs.list_repairs(connection, principal, statuses=steps, limit=QUEUE_LIMIT)
    open_repairs = {r.id: r for r in [*overdue_repairs.items, *recent_repairs.items]}
    records: dict[int, RecordRow] = {}

    def row_of(record_id: int) -> RecordRow:
        if record_id not in records:
            found = cases.visible_record(connection, principal, record_id)
            records[record_id] = RecordRow(shown(found, principal, rule), cases.subject_link(found))
        return records[record_id]

    waiting = [
        _Waiting("objection", o.id, _OBJECTION_STEP, o.record_id, o.filed_on, o.filed_by, o.due_on)
        for o in filed.items
    ]
    for r in open_repairs.values():
        zh, en, column = _REPAIR_STEPS[RepairStatus(r.status)]
        due: dt.date | None = getattr(r, column)
        if due is not None:
            step = (zh, en)
            waiting.append(
                _Waiting("repair", r.id, step, r.record_id, r.submitted_on, r.submitted_by, due)
            )
    waiting.sort(key=lambda w: (w.due_on, w.case_type, w.case_id))
    calendar = workdays.calendar(connection) if waiting else None
    items = [
        QueueItem(
            w.case_type,
            w.case_id,
            w.step,
            row_of(w.record_id),
            w.since,
            w.by,
            w.due_on,
            calendar.working_days_between(today, w.due_on) if calendar else None,
            w.due_on < today,
        )
        for w in waiting
    ]
    items += [
        QueueItem("record", row.record.id, _CANDIDATE_STEP, row, row.record.cause_on)
        for row in rows(candidates.items, principal, rule)
    ]
    truncated = any(p.has_more for p in (candidates, filed, overdue_repairs, recent_repairs))
    return Queue(items, truncated)
