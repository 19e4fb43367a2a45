"""Pure types of the credit file (SPEC 2.1, 5.2, 5.3).

These frozen records are what the rating engine reads; the database mapping lives in
``tables.py`` and the queries that build them in ``repository.py``. Money and usage are
:class:`~decimal.Decimal`, dates are local (Asia/Shanghai) calendar dates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class SubjectKind(StrEnum):
    LEGAL = "legal"  # 社会法人, identified by the USCC
    NATURAL = "natural"  # 自然人, identified by ID type + number


class Utility(StrEnum):
    WATER = "water"
    POWER = "power"


#: A utility's name in letters and documents (供水 / 供电); keyed by the enum, so its plain
#: string value (as stored) finds it too.
UTILITY_ZH: dict[str, str] = {Utility.WATER: "供水", Utility.POWER: "供电"}


class PaymentMode(StrEnum):
    PREPAID = "prepaid"  # 预存
    POSTPAID = "postpaid"


class IncidentKind(StrEnum):
    """SPEC 5.3."""

    LATE_PAYMENT = "late_payment"  # reported directly by the billing system
    VIOLATION = "violation"  # 违约用水/电
    THEFT = "theft"  # 窃水/电 (amount)
    HAZARD_UNRECTIFIED = "hazard_unrectified"  # 未及时整改安全隐患
    METER_REFUSAL = "meter_refusal"  # 计量装置故障拒不整改、拒不补缴
    OUTAGE_CAUSED = "outage_caused"  # asset_class; internal fault or illegal construction
    FACILITY_DAMAGE = "facility_damage"  # severity minor (with compensation) / serious
    PROTECTION_ZONE_WORK = "protection_zone_work"
    PLAN_REFUSAL = "plan_refusal"  # 有序用水/用电方案、协议
    ORDER_DISRUPTION = "order_disruption"
    MALICIOUS_COMPLAINT = "malicious_complaint"
    GENERAL_DISHONESTY = "general_dishonesty"
    SERIOUS_DISHONESTY = "serious_dishonesty"
    COMMITMENT_BREACH = "commitment_breach"


class Severity(StrEnum):
    MINOR = "minor"
    SERIOUS = "serious"


class CommitmentStatus(StrEnum):
    """Where a credit commitment stands (SPEC 2.5; the workflow is ``commitments.model``)."""

    MADE = "made"  # signed, not yet accepted by the utility
    IN_FORCE = "in_force"
    FULFILLED = "fulfilled"
    BREACHED = "breached"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


#: A commitment in one of these states no longer stands from its status date on.
COMMITMENT_ENDED = frozenset(
    {CommitmentStatus.BREACHED, CommitmentStatus.EXPIRED, CommitmentStatus.WITHDRAWN}
)


@dataclass(frozen=True, slots=True)
class Subject:
    code: str  # USCC, or the ID number of a natural person
    kind: SubjectKind
    name: str
    id_type: str | None = None
    legal_rep: str | None = None
    phone: str | None = None
    address: str | None = None
    area: str | None = None
    founded_on: dt.date | None = None  # 成立日期 of a legal person (credit-based applications)


@dataclass(frozen=True, slots=True)
class Account:
    account_no: str
    subject_code: str
    utility: Utility
    opened_on: dt.date
    payment_mode: PaymentMode
    address: str | None = None
    area: str | None = None


@dataclass(frozen=True, slots=True)
class Payment:
    payment_no: str
    bill_no: str
    paid_on: dt.date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Bill:
    bill_no: str
    account_no: str
    period_start: dt.date
    period_end: dt.date
    amount: Decimal
    due_on: dt.date
    usage: Decimal | None = None
    unit: str | None = None
    payments: tuple[Payment, ...] = ()
    # The dishonesty record that set the bill aside (repaired, removed or corrected away): it
    # counts in no rating (SPEC 3), but stays in the file, shown as set aside.
    set_aside_by: int | None = None

    @property
    def set_aside(self) -> bool:
        return self.set_aside_by is not None


@dataclass(frozen=True, slots=True)
class Incident:
    incident_no: str
    account_no: str
    kind: IncidentKind
    occurred_on: dt.date
    amount: Decimal | None = None
    asset_class: str | None = None  # DN160, DN300, 10kV, 20kV, 35kV, ...
    severity: Severity | None = None
    note: str | None = None
    set_aside_by: int | None = None  # as Bill.set_aside_by

    @property
    def set_aside(self) -> bool:
        return self.set_aside_by is not None


@dataclass(frozen=True, slots=True)
class Reminder:
    """A formal reminder (催告) sent to the customer."""

    reminder_no: str
    account_no: str
    sent_on: dt.date
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class CreditReport:
    """A public credit report (公共信用报告) of the subject, as downloaded or looked up."""

    subject_code: str
    source: str  # e.g. "jiangsu", "hubei", "guangdong", "creditchina"
    issued_on: dt.date
    has_dishonesty: bool
    on_serious_list: bool
    rating: str | None = None  # A/B/C/D where the source rates


@dataclass(frozen=True, slots=True)
class Commitment:
    """A credit commitment (信用承诺) the subject made to the utility, as the rating reads it."""

    code: str
    commitment_type: str
    made_on: dt.date
    valid_until: dt.date | None  # None: without end
    status: CommitmentStatus
    status_on: dt.date  # the day the status was determined (承诺履行状态认定日期)

    def stands_on(self, day: dt.date) -> bool:
        """Made by ``day``, still valid on it, and not breached, expired or withdrawn by then.

        A fulfilled commitment still stands: the subject gave it and kept it.
        """
        if self.made_on > day or (self.valid_until is not None and self.valid_until < day):
            return False
        return not (self.status in COMMITMENT_ENDED and self.status_on <= day)


@dataclass(frozen=True, slots=True)
class CreditFile:
    """Everything the rating engine needs about one subject with one utility (the rated unit).

    ``accounts`` are the subject's accounts with that utility only; bills carry their payments;
    incidents and reminders are those of these accounts; ``credit_reports`` are all of the
    subject's reports (the policy picks the source it trusts). Bills and incidents set aside by
    the dishonesty-record register are included, flagged (``set_aside_by``): the rating leaves
    them out, a reader of the file sees them as repaired or removed.
    """

    subject: Subject
    utility: Utility
    accounts: tuple[Account, ...] = ()
    bills: tuple[Bill, ...] = ()
    incidents: tuple[Incident, ...] = ()
    reminders: tuple[Reminder, ...] = ()
    credit_reports: tuple[CreditReport, ...] = field(default_factory=tuple)
    commitments: tuple[Commitment, ...] = ()  # those made to this utility


# ---- the credit file as the API and the console show it ------------------------------------


@dataclass(frozen=True, slots=True)
class SubjectDetail:
    """A subject's stored identity and contacts, unmasked (masking is the reader's use case)."""

    id: int
    code: str
    kind: str
    name: str
    id_type: str | None
    legal_rep: str | None
    phone: str | None
    address: str | None
    area: str | None
    founded_on: dt.date | None


@dataclass(frozen=True, slots=True)
class AccountLine:
    account_no: str
    utility: str
    opened_on: dt.date
    payment_mode: str
    address: str | None
    area: str | None


@dataclass(frozen=True, slots=True)
class CreditReportLine:
    source: str
    issued_on: dt.date
    has_dishonesty: bool
    on_serious_list: bool
    rating: str | None


@dataclass(frozen=True, slots=True)
class ReminderLine:
    reminder_no: str
    account_no: str
    sent_on: dt.date
    channel: str | None
