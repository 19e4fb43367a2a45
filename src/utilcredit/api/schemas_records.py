"""Bodies of the register's API: dishonesty records, objections, repairs (issue 10 item 7).

The output schemas take their fields from the domain records (:func:`fields_of`), so a field
is written once, in ``records/repository/``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from utilcredit.api.schemas import SUBJECT_REF, Out, PageMeta, UtcDateTime, fields_of
from utilcredit.http.params import NO_NUL
from utilcredit.policies.model.dishonesty import DishonestyClass
from utilcredit.records.repository.casework import AttachmentLine, CaseEvent
from utilcredit.records.repository.objections import ObjectionLine
from utilcredit.records.repository.register import Evidence, RecordLine
from utilcredit.records.repository.repairs import RepairLine
from utilcredit.records.service import Deadline


@fields_of(RecordLine, leave_out={"derivation_key"})
class RecordOut(Out):
    subject_ref: str = Field(description=SUBJECT_REF)


class RecordPage(PageMeta):
    items: list[RecordOut]


@fields_of(Evidence)
class EvidenceOut(Out):
    pass


@fields_of(CaseEvent)
class CaseEventOut(Out):
    at: UtcDateTime


@fields_of(AttachmentLine, leave_out={"sha256"})
class AttachmentOut(Out):
    uploaded_at: UtcDateTime


@fields_of(ObjectionLine)
class ObjectionOut(Out):
    attachments: list[AttachmentOut] = Field(default_factory=list)


class ObjectionPage(PageMeta):
    items: list[ObjectionOut]


@fields_of(RepairLine)
class RepairOut(Out):
    attachments: list[AttachmentOut] = Field(default_factory=list)


class RepairPage(PageMeta):
    items: list[RepairOut]


@fields_of(Deadline)
class DeadlineOut(Out):
    pass


class RecordDetailOut(Out):
    record: RecordOut
    evidence: list[EvidenceOut]
    objections: list[ObjectionOut]
    repairs: list[RepairOut]
    history: list[CaseEventOut]
    deadlines: list[DeadlineOut]
    next_actions: list[str] = Field(
        description="what people may do next (the calendar's publish/expire and derivation's "
        "withdraw are the system's own steps, not listed)"
    )


class DeriveRequest(BaseModel):
    policy: str = Field(min_length=1, max_length=64, pattern=NO_NUL)
    as_of: dt.date | None = Field(
        default=None, description="推导日期，不晚于今天（默认今天） / the day, not after today"
    )


class DeriveOut(Out):
    policy_key: str
    as_of: dt.date
    created: list[int]
    withdrawn: list[int]
    unchanged: int
    clock: int


class ConfirmRequest(BaseModel):
    note: str | None = Field(default=None, max_length=2000, pattern=NO_NUL)


class DismissRequest(BaseModel):
    reason: str = Field(max_length=2000, pattern=NO_NUL)
    exemption: str | None = Field(default=None, max_length=64, pattern=NO_NUL)


class ObjectionDecisionRequest(BaseModel):
    decision: Literal["uphold", "correct", "remove"]
    note: str = Field(max_length=2000, pattern=NO_NUL)
    record_class: DishonestyClass | None = Field(default=None, description="corrected class")
    amount: Decimal | None = Field(
        default=None, ge=0, decimal_places=2, description="corrected amount (CNY)"
    )
    summary: str | None = Field(default=None, max_length=500, pattern=NO_NUL)
    drop_evidence: list[str] = Field(default=[], description='e.g. ["bill:B2024-001"]')


class RepairDecisionRequest(BaseModel):
    decision: Literal["approved", "rejected"]
    note: str | None = Field(default=None, max_length=2000, pattern=NO_NUL)


def with_attachments(line: Any, attachments: list[AttachmentLine]) -> dict[str, Any]:
    return {
        **{name: getattr(line, name) for name in line.__dataclass_fields__},
        "attachments": attachments,
    }
