"""Credit commitments (信用承诺, SPEC 2.5): their workflow and dated obligations, pure.

A commitment is made (signed), accepted into force by the utility, and ends fulfilled,
breached, expired or withdrawn. Its dated obligations (湛江: property papers within one year
after power-on) are reminded before they fall due and breach the commitment the day after
they pass unmet; a breach becomes a 失约 incident of the credit file, which the policies'
dishonesty rules turn into a record candidate and the ratings count.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from utilcredit.customers.model import CommitmentStatus
from utilcredit.errors import InvalidInputError
from utilcredit.workflow import Machine, Transition

_C = CommitmentStatus

COMMITMENT_STATUS_LABELS: dict[CommitmentStatus, str] = {
    _C.MADE: "已作出（待受理）",
    _C.IN_FORCE: "履行中",
    _C.FULFILLED: "已履行",
    _C.BREACHED: "未履行（违诺）",
    _C.EXPIRED: "已到期",
    _C.WITHDRAWN: "已撤回",
}

COMMITMENT_MACHINE: Machine[CommitmentStatus] = Machine(
    "信用承诺",
    [
        Transition("accept", _C.MADE, _C.IN_FORCE),
        Transition("withdraw", _C.MADE, _C.WITHDRAWN),
        Transition("fulfil", _C.IN_FORCE, _C.FULFILLED),
        Transition("breach", _C.IN_FORCE, _C.BREACHED),
        Transition("expire", _C.IN_FORCE, _C.EXPIRED),
        Transition("withdraw", _C.IN_FORCE, _C.WITHDRAWN),
    ],
    COMMITMENT_STATUS_LABELS,
    {
        "accept": "受理生效",
        "withdraw": "撤回",
        "fulfil": "认定已履行",
        "breach": "认定违诺",
        "expire": "到期",
    },
)

# Steps only the calendar takes (the daily job): an obligation passing unmet, the validity ending.
SYSTEM_ACTIONS = frozenset({"expire"})


class CommitmentType(StrEnum):
    """承诺类型 as the national catalog names them."""

    APPROVAL_SUBSTITUTE = "approval_substitute"
    CERTIFICATION = "certification"
    CREDIT_REPAIR = "credit_repair"
    SELF_DISCIPLINE = "self_discipline"
    VOLUNTARY = "voluntary"

    @property
    def label_zh(self) -> str:
        return COMMITMENT_TYPE_ZH[self]


COMMITMENT_TYPE_ZH = {
    CommitmentType.APPROVAL_SUBSTITUTE: "审批替代型",
    CommitmentType.CERTIFICATION: "证明事项型",
    CommitmentType.CREDIT_REPAIR: "信用修复型",
    CommitmentType.SELF_DISCIPLINE: "行业自律型",
    CommitmentType.VOLUNTARY: "主动型",
}


class Disclosure(StrEnum):
    """公开类型: whether the public site and the platform export show the commitment."""

    PUBLIC = "public"
    ON_REQUEST = "on_request"
    NOT_PUBLIC = "not_public"

    @property
    def label_zh(self) -> str:
        return DISCLOSURE_ZH[self]


DISCLOSURE_ZH = {
    Disclosure.PUBLIC: "社会公开",
    Disclosure.ON_REQUEST: "依申请公开",
    Disclosure.NOT_PUBLIC: "不公开",
}


class ObligationStatus(StrEnum):
    PENDING = "pending"  # waits for its start (e.g. power-on)
    OPEN = "open"
    MET = "met"
    MISSED = "missed"
    CANCELLED = "cancelled"  # the commitment ended otherwise (breached, withdrawn, expired)


OBLIGATION_STATUS_ZH = {
    ObligationStatus.PENDING: "待起算",
    ObligationStatus.OPEN: "履行期内",
    ObligationStatus.MET: "已履行",
    ObligationStatus.MISSED: "逾期未履行",
    ObligationStatus.CANCELLED: "已终止（承诺已结束）",
}

#: What the utility does when an obligation passes unmet (template data ``on_breach``).
REFER_FOR_DISCONNECTION = "refer_for_disconnection"
ON_BREACH_ZH = {REFER_FOR_DISCONNECTION: "移交相关执法部门配合停电（停水）处理"}


def commitment_code(utility: str, made_on: dt.date, commitment_id: int) -> str:
    """承诺编码: ``CN`` + W/P + date + the id, unique and readable on a printed letter."""
    return f"CN{'W' if utility == 'water' else 'P'}{made_on:%Y%m%d}{commitment_id:07d}"


def check_made_on(made_on: dt.date, today: dt.date) -> None:
    if made_on > today:
        raise InvalidInputError(
            f"承诺作出日期 {made_on} 晚于今天 / made_on {made_on} is in the future"
        )


def check_dates(made_on: dt.date, valid_until: dt.date | None) -> None:
    if valid_until is not None and valid_until < made_on:
        raise InvalidInputError(
            f"承诺有效期 {valid_until} 早于作出日期 {made_on} / valid_until before made_on"
        )


@dataclass(frozen=True, slots=True)
class ObligationDates:
    due_on: dt.date
    remind_on: dt.date


def obligation_dates(due_on: dt.date, remind_days_before: int) -> ObligationDates:
    return ObligationDates(due_on, due_on - dt.timedelta(days=remind_days_before))


def obligation_missed(due_on: dt.date, day: dt.date) -> bool:
    """An obligation due on D is breached the day after it passes unmet (D + 1), not on D."""
    return day > due_on


def commitment_expired(valid_until: dt.date | None, day: dt.date) -> bool:
    return valid_until is not None and day > valid_until
