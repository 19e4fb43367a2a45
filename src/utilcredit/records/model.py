"""Dishonesty records, objections and credit repair as pure rules (SPEC 2.7, 3.6; issue 10).

Three workflows, each a :class:`~utilcredit.workflow.Machine` (the allowed transitions as
data); the service applies them one at a time, keeps the history and audits every step.

Dishonesty record (失信记录)::

    candidate ─confirm─► confirmed ─publish─► published ─expire─► expired
        │ ├─dismiss─► dismissed      │  └─expire─► expired (minor records: never published)
        │ └─withdraw─► withdrawn     ├─object─► under_objection ─uphold─► confirmed
        │  (the cause disappeared)   │                         ├─correct─► corrected
        │                            │                         └─remove─► removed
        │                            └─repair─► repaired   (from confirmed or published)

``publish`` and ``expire`` are the clock's: publication runs from the determination date to
the maximum period of the record's class under the national rules in force on that date.

Objection (异议)::  filed ─uphold | correct | remove | withdraw─► upheld | corrected | removed | withdrawn

Repair application (信用修复)::

    submitted ─accept─► accepted ─approve | reject─► decided ─close─► closed
        └─withdraw─► withdrawn
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field

from utilcredit.errors import InvalidInputError
from utilcredit.policies.model.dishonesty import DishonestyClass, DishonestyKind
from utilcredit.rating.dates import add_months
from utilcredit.workflow import Machine, Transition

# --------------------------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------------------------

KIND_LABELS: dict[DishonestyKind, str] = {
    DishonestyKind.ARREARS: "欠费经催告逾期未缴",
    DishonestyKind.THEFT: "窃水/窃电",
    DishonestyKind.VIOLATION: "违约用水/用电",
    DishonestyKind.COMMITMENT_BREACH: "违反信用承诺（失约）",
    DishonestyKind.GENERAL_DISHONESTY: "一般失信行为",
    DishonestyKind.SERIOUS_DISHONESTY: "较重失信行为",
    DishonestyKind.FACILITY_DAMAGE: "故意破坏设施（情节较重）",
}

CLASS_LABELS: dict[DishonestyClass, str] = {
    DishonestyClass.MINOR: "轻微",
    DishonestyClass.GENERAL: "一般",
    DishonestyClass.SERIOUS: "严重",
}


# --------------------------------------------------------------------------------------------
# The three machines
# --------------------------------------------------------------------------------------------


class RecordStatus(StrEnum):
    CANDIDATE = "candidate"
    CONFIRMED = "confirmed"
    PUBLISHED = "published"
    EXPIRED = "expired"
    DISMISSED = "dismissed"
    WITHDRAWN = "withdrawn"
    UNDER_OBJECTION = "under_objection"
    CORRECTED = "corrected"
    REMOVED = "removed"
    REPAIRED = "repaired"


RECORD_STATUS_LABELS: dict[RecordStatus, str] = {
    RecordStatus.CANDIDATE: "待确认",
    RecordStatus.CONFIRMED: "已认定",
    RecordStatus.PUBLISHED: "公示中",
    RecordStatus.EXPIRED: "公示期满",
    RecordStatus.DISMISSED: "不予认定",
    RecordStatus.WITHDRAWN: "已撤回（原因消失）",
    RecordStatus.UNDER_OBJECTION: "异议处理中",
    RecordStatus.CORRECTED: "已更正",
    RecordStatus.REMOVED: "已删除",
    RecordStatus.REPAIRED: "已修复",
}

_R = RecordStatus
RECORD_MACHINE: Machine[RecordStatus] = Machine(
    "失信记录",
    [
        Transition("confirm", _R.CANDIDATE, _R.CONFIRMED),
        Transition("dismiss", _R.CANDIDATE, _R.DISMISSED),
        Transition("withdraw", _R.CANDIDATE, _R.WITHDRAWN),
        Transition("publish", _R.CONFIRMED, _R.PUBLISHED),
        Transition("expire", _R.CONFIRMED, _R.EXPIRED),
        Transition("expire", _R.PUBLISHED, _R.EXPIRED),
        Transition("object", _R.CONFIRMED, _R.UNDER_OBJECTION),
        Transition("object", _R.PUBLISHED, _R.UNDER_OBJECTION),
        Transition("uphold", _R.UNDER_OBJECTION, _R.CONFIRMED),
        Transition("correct", _R.UNDER_OBJECTION, _R.CORRECTED),
        Transition("remove", _R.UNDER_OBJECTION, _R.REMOVED),
        Transition("repair", _R.CONFIRMED, _R.REPAIRED),
        Transition("repair", _R.PUBLISHED, _R.REPAIRED),
    ],
    {s: RECORD_STATUS_LABELS[s] for s in RecordStatus},
    {
        "confirm": "确认",
        "dismiss": "不予认定",
        "withdraw": "撤回",
        "publish": "公示",
        "expire": "公示期满",
        "object": "提出异议",
        "uphold": "维持",
        "correct": "更正",
        "remove": "删除",
        "repair": "修复",
    },
)

# Steps only the system takes: the calendar's publication and its end, derivation's withdrawal.
SYSTEM_ACTIONS = frozenset({"publish", "expire", "withdraw"})

# Records whose evidence no longer counts in any rating (SPEC 3; issue 10 item 3).
SET_ASIDE_STATUSES = frozenset({_R.CORRECTED, _R.REMOVED, _R.REPAIRED})
# Records that stand against the subject (counted, objectable, repairable when confirmed).
STANDING_STATUSES = frozenset({_R.CONFIRMED, _R.PUBLISHED, _R.UNDER_OBJECTION})


class ObjectionStatus(StrEnum):
    FILED = "filed"
    UPHELD = "upheld"
    CORRECTED = "corrected"
    REMOVED = "removed"
    WITHDRAWN = "withdrawn"


OBJECTION_STATUS_LABELS: dict[ObjectionStatus, str] = {
    ObjectionStatus.FILED: "处理中",
    ObjectionStatus.UPHELD: "维持原记录",
    ObjectionStatus.CORRECTED: "已更正",
    ObjectionStatus.REMOVED: "已删除记录",
    ObjectionStatus.WITHDRAWN: "已撤回",
}

_O = ObjectionStatus
OBJECTION_MACHINE: Machine[ObjectionStatus] = Machine(
    "异议",
    [
        Transition("uphold", _O.FILED, _O.UPHELD),
        Transition("correct", _O.FILED, _O.CORRECTED),
        Transition("remove", _O.FILED, _O.REMOVED),
        Transition("withdraw", _O.FILED, _O.WITHDRAWN),
    ],
    {s: OBJECTION_STATUS_LABELS[s] for s in ObjectionStatus},
    {"uphold": "维持", "correct": "更正", "remove": "删除", "withdraw": "撤回"},
)
# What an objection decision does to the record.
OBJECTION_RECORD_ACTION = {"uphold": "uphold", "correct": "correct", "remove": "remove"}


class RepairStatus(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    DECIDED = "decided"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class RepairDecision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


REPAIR_STATUS_LABELS: dict[RepairStatus, str] = {
    RepairStatus.SUBMITTED: "已申请",
    RepairStatus.ACCEPTED: "已受理",
    RepairStatus.DECIDED: "已认定",
    RepairStatus.CLOSED: "已办结",
    RepairStatus.WITHDRAWN: "已撤回",
}
REPAIR_DECISION_LABELS = {RepairDecision.APPROVED: "准予修复", RepairDecision.REJECTED: "不予修复"}

_P = RepairStatus
REPAIR_MACHINE: Machine[RepairStatus] = Machine(
    "信用修复申请",
    [
        Transition("accept", _P.SUBMITTED, _P.ACCEPTED),
        Transition("withdraw", _P.SUBMITTED, _P.WITHDRAWN),
        Transition("approve", _P.ACCEPTED, _P.DECIDED),
        Transition("reject", _P.ACCEPTED, _P.DECIDED),
        Transition("close", _P.DECIDED, _P.CLOSED),
    ],
    {s: REPAIR_STATUS_LABELS[s] for s in RepairStatus},
    {
        "accept": "受理",
        "withdraw": "撤回",
        "approve": "准予修复",
        "reject": "不予修复",
        "close": "办结",
    },
)
OPEN_REPAIR_STATUSES = frozenset({_P.SUBMITTED, _P.ACCEPTED, _P.DECIDED})


# --------------------------------------------------------------------------------------------
# National rules: classes and publication periods, with effective dates (SPEC 3.6)
# --------------------------------------------------------------------------------------------


class ClassRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    published: bool
    min_months: int = Field(ge=0)
    max_months: int = Field(ge=1)


class Regime(BaseModel):
    """One national rule set (e.g. NDRC Order No. 36) from its effective date."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    title: str
    effective_from: dt.date
    classes: dict[DishonestyClass, ClassRule]
    note: str | None = None


class NationalRules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    regimes: tuple[Regime, ...] = Field(min_length=1)

    def regime_on(self, day: dt.date) -> Regime:
        in_force = [r for r in self.regimes if r.effective_from <= day]
        if not in_force:
            first = min(r.effective_from for r in self.regimes)
            raise InvalidInputError(
                f"{day} 早于已载入的全国信用修复规则（最早 {first}） / no national repair rules "
                f"for {day} (the earliest in force from {first})"
            )
        return max(in_force, key=lambda r: r.effective_from)


@cache
def national_rules() -> NationalRules:
    data = resources.files("utilcredit.records").joinpath("national.yaml").read_text("utf-8")
    return NationalRules.model_validate(yaml.safe_load(data))


@dataclass(frozen=True, slots=True)
class Publication:
    """When a record determined on ``determined_on`` is published and may first be repaired."""

    regime: str
    publish_from: dt.date | None  # None: not published (minor)
    publish_until: dt.date  # last day of publication, or of the record's life when unpublished
    repairable_from: dt.date  # the minimum period has passed


def publication(record_class: DishonestyClass, determined_on: dt.date) -> Publication:
    regime = national_rules().regime_on(determined_on)
    rule = regime.classes[record_class]
    end = add_months(determined_on, rule.max_months) - dt.timedelta(days=1)
    return Publication(
        regime=regime.key,
        publish_from=determined_on if rule.published else None,
        publish_until=end,
        repairable_from=add_months(determined_on, rule.min_months),
    )


def clock_action(status: RecordStatus, pub: Publication | None, day: dt.date) -> str | None:
    """The transition the calendar owes a record on ``day`` (publish or expire), if any."""
    if pub is None or status not in (_R.CONFIRMED, _R.PUBLISHED):
        return None
    if day > pub.publish_until:
        return "expire"
    if status == _R.CONFIRMED and pub.publish_from is not None and pub.publish_from <= day:
        return "publish"
    return None


# --------------------------------------------------------------------------------------------
# Derivation (pure part): which overdue bills a payment demand makes a record of
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemandedBill:
    bill_id: int
    bill_no: str
    due_on: dt.date
    amount: Decimal
    paid_by_demand: Decimal  # payments dated on or before the demand day
    paid_by_as_of: Decimal  # payments dated on or before the as-of date


@dataclass(frozen=True, slots=True)
class Demand:
    reminder_id: int
    reminder_no: str
    sent_on: dt.date
    bills: tuple[DemandedBill, ...]  # the account's bills due before sent_on


@dataclass(frozen=True, slots=True)
class ArrearsCause:
    demand: Demand
    bills: tuple[DemandedBill, ...]  # demanded and still unpaid at the as-of date
    outstanding: Decimal
    holds_from: dt.date  # first day the rule held


def demand_deadline_passed(sent_on: dt.date, months_after: int, as_of: dt.date) -> bool:
    """超过 N 个月: the as-of date is after the demand day plus N calendar months."""
    return as_of > add_months(sent_on, months_after)


def arrears_cause(
    demands: list[Demand], *, months_after: int, threshold: Decimal, as_of: dt.date
) -> ArrearsCause | None:
    """The earliest demand on an account whose demanded bills are still largely unpaid.

    A demand covers the bills overdue and unpaid on its day; the record's cause holds when
    more than ``months_after`` months have passed and what is still unpaid of those bills at
    ``as_of`` is at least ``threshold`` (数额较大 includes the figure).
    """
    for demand in sorted(demands, key=lambda d: (d.sent_on, d.reminder_id)):
        if not demand_deadline_passed(demand.sent_on, months_after, as_of):
            continue
        unpaid = tuple(
            bill
            for bill in demand.bills
            if bill.due_on < demand.sent_on
            and bill.paid_by_demand < bill.amount
            and bill.paid_by_as_of < bill.amount
        )
        outstanding = sum((b.amount - b.paid_by_as_of for b in unpaid), Decimal(0))
        if unpaid and outstanding >= threshold:
            holds_from = add_months(demand.sent_on, months_after) + dt.timedelta(days=1)
            return ArrearsCause(demand, unpaid, outstanding, holds_from)
    return None


# --------------------------------------------------------------------------------------------
# Repair conditions (SPEC 2.7, 3.6; seed 004 附件3 四)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Condition:
    key: str
    text: str  # what the condition asks, in Chinese
    met: bool
    detail: str  # why it is (not) met, in Chinese


# Kinds whose correction is shown by documents rather than by payments in the credit file.
PROOF_KINDS = frozenset(DishonestyKind) - {DishonestyKind.ARREARS}


def repair_conditions(
    *,
    kind: DishonestyKind,
    repairable_from: dt.date,
    today: dt.date,
    unpaid_bills: list[str],
    proof_attached: bool,
    commitment_signed_on: dt.date | None,
) -> list[Condition]:
    waited = today >= repairable_from
    conditions = [
        Condition(
            "minimum_period",
            "最短公示期已满",
            waited,
            "已满" if waited else f"最早可于 {repairable_from} 申请",
        )
    ]
    if kind == DishonestyKind.ARREARS:
        conditions.append(
            Condition(
                "arrears_paid",
                "已缴清欠费及违约金",
                not unpaid_bills,
                "账户到期账单均已付清"
                if not unpaid_bills
                else "仍有未付清的账单：" + "、".join(unpaid_bills[:10]),
            )
        )
    if kind in PROOF_KINDS:
        conditions.append(
            Condition(
                "proof",
                "已停止失信行为、消除影响并提供真实证明材料",
                proof_attached,
                "已附证明材料" if proof_attached else "未附证明材料（PDF 或图片）",
            )
        )
    conditions.append(
        Condition(
            "commitment",
            "已签订信用修复承诺书",
            commitment_signed_on is not None and commitment_signed_on <= today,
            f"签订于 {commitment_signed_on}"
            if commitment_signed_on is not None and commitment_signed_on <= today
            else "未签订（或签订日期晚于今天）",
        )
    )
    return conditions


MIN_REASON_LENGTH = 4


def require_reason(reason: str | None, zh: str, en: str) -> str:
    text = (reason or "").strip()
    if len(text) < MIN_REASON_LENGTH:
        raise InvalidInputError(
            f"须填写{zh}（至少 {MIN_REASON_LENGTH} 个字） / a {en} of at least "
            f"{MIN_REASON_LENGTH} characters is required"
        )
    return text
