"""Bodies of the commitments API: credit commitments, credit-based applications, pilot zones
and the measures that apply to a subject (issue 11 item 5).

The output schemas take their fields from the domain records (:func:`fields_of`), so a field
is written once, in ``commitments/repository.py``, ``applications/repository.py`` and
``incentives/repository.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, Field

from utilcredit.api.schemas import SUBJECT_REF, Out, PageMeta, UtcDateTime, fields_of
from utilcredit.applications.model import Channel, Document
from utilcredit.applications.repository import ApplicationLine, ZoneLine
from utilcredit.commitments.model import Disclosure
from utilcredit.commitments.repository import CommitmentLine, DueObligation, ObligationLine
from utilcredit.customers.model import Utility
from utilcredit.http.params import NO_NUL
from utilcredit.incentives.repository import GrantLine
from utilcredit.policies.model.credit_application import AddressType, Business
from utilcredit.policies.model.levels import Level
from utilcredit.policies.model.measures import MeasureKind

NOTE = Field(default=None, max_length=2000, pattern=NO_NUL)
FieldName = Annotated[str, Field(min_length=1, max_length=64, pattern=NO_NUL)]
FieldValue = Annotated[str, Field(max_length=300, pattern=NO_NUL)]
Values = Annotated[dict[FieldName, FieldValue], Field(max_length=50)]
FIELD_VALUES = (
    "承诺书字段：字段名 → 值（见 /api/commitment-templates）；未给出的名称、代码、法定代表人、"
    "地址取自信用档案 / the letter's blanks, name → value; name, code, legal representative "
    "and address default to the credit file's"
)

# ---- commitments ---------------------------------------------------------------------------


@fields_of(CommitmentLine)
class CommitmentOut(Out):
    updated_at: UtcDateTime
    subject_ref: str = Field(description=SUBJECT_REF)


class CommitmentPage(PageMeta):
    items: list[CommitmentOut]


@fields_of(ObligationLine)
class ObligationOut(Out):
    pass


class CommitmentDetailOut(Out):
    commitment: CommitmentOut
    obligations: list[ObligationOut]
    next_actions: list[str] = Field(
        description="what people may do next (the calendar's expiry is the system's own step)"
    )


class BreachOut(CommitmentDetailOut):
    incident_no: str | None = Field(
        description="the 失约 incident written to the credit file (none: no account to hold it)"
    )
    record_ids: list[int] = Field(description="dishonesty-record candidates proposed")


@fields_of(DueObligation)
class DueObligationOut(Out):
    obligation: ObligationOut
    subject_ref: str = Field(description=SUBJECT_REF)


class MakeCommitmentRequest(BaseModel):
    subject_code: str = Field(
        min_length=1, max_length=32, pattern=NO_NUL, description="code or " + SUBJECT_REF
    )
    utility: Utility
    template: str = Field(min_length=1, max_length=64, pattern=NO_NUL)
    template_version: str | None = Field(default=None, max_length=16, pattern=NO_NUL)
    values: Values = Field(default_factory=dict, description=FIELD_VALUES)
    made_on: dt.date | None = Field(default=None, description="签署日期（默认今天） / signed on")
    valid_until: dt.date | None = None
    reason: str | None = Field(default=None, max_length=500, pattern=NO_NUL)
    disclosure: Disclosure | None = None
    account_no: str | None = Field(default=None, max_length=64, pattern=NO_NUL)
    application_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    obligations_start_on: dt.date | None = Field(
        default=None, description="义务起算日（如接火送电日），已知时 / e.g. the power-on day"
    )


class NoteRequest(BaseModel):
    note: str | None = NOTE


class ReasonRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)


class BreachRequest(BaseModel):
    unfulfilled: str = Field(
        min_length=1, max_length=2000, pattern=NO_NUL, description="未履行的承诺内容"
    )
    liability_pursued: str | None = NOTE
    on: dt.date | None = Field(default=None, description="违诺日期（默认今天） / breached on")


class MeetRequest(BaseModel):
    on: dt.date | None = Field(default=None, description="履行日期（默认今天） / met on")


class TemplateFieldOut(Out):
    name: str
    label: str
    required: bool
    choices: list[str] | None


class DueOut(Out):
    years: int
    months: int
    after: str


class ObligationSpecOut(Out):
    key: str
    text: str
    due: DueOut
    remind_days_before: int
    on_breach: str | None


class TemplateOut(Out):
    key: str
    version: str
    title: str
    title_en: str
    seed_ref: str | None
    effective_from: dt.date
    policies: list[str]
    commitment_type: str
    reason: str
    disclosure: str
    fields: list[TemplateFieldOut]
    obligations: list[ObligationSpecOut]


# ---- credit-based applications -------------------------------------------------------------


@fields_of(ApplicationLine, leave_out={"eligibility"})
class ApplicationOut(Out):
    subject_ref: str = Field(description=SUBJECT_REF)


class ApplicationPage(PageMeta):
    items: list[ApplicationOut]


class ApplicationDetailOut(Out):
    application: ApplicationOut
    eligibility: dict[str, Any] | None = Field(
        description="资格核查结果：各项条件（符合/不符合/无法判断）及依据；核查前为空 / the "
        "credit check: each requirement met / not met / unknown with its evidence (null before)"
    )
    commitment: CommitmentOut | None
    next_actions: list[str]


class SubmitRequest(BaseModel):
    subject_code: str = Field(
        min_length=1, max_length=32, pattern=NO_NUL, description="code or " + SUBJECT_REF
    )
    policy: str = Field(min_length=1, max_length=64, pattern=NO_NUL)
    business: Business
    address: str = Field(min_length=1, max_length=300, pattern=NO_NUL)
    applied_on: dt.date | None = Field(default=None, description="申请日期（默认今天）")
    channel: Channel = Channel.COUNTER
    area: str | None = Field(default=None, max_length=32, pattern=NO_NUL)
    park: str | None = Field(default=None, max_length=100, pattern=NO_NUL)
    address_type: AddressType | None = None
    documents_present: list[Document] = Field(default_factory=list)
    documents_missing: list[Document] = Field(default_factory=lambda: [Document.PROPERTY_PROOF])


class SurveyRequest(BaseModel):
    address_type: AddressType | None = None
    note: str | None = NOTE


class SignRequest(BaseModel):
    values: Values = Field(default_factory=dict, description=FIELD_VALUES)
    made_on: dt.date | None = Field(default=None, description="签署日期（默认今天）")


class ConnectRequest(BaseModel):
    connected_on: dt.date | None = Field(
        default=None, description="接火送电（通水）日期（默认今天） / power-on day"
    )


class WithdrawRequest(BaseModel):
    reason: str | None = NOTE


@fields_of(ZoneLine)
class ZoneOut(Out):
    pass


class ZoneRequest(BaseModel):
    policy: str = Field(min_length=1, max_length=64, pattern=NO_NUL)
    district: str = Field(min_length=1, max_length=100, pattern=NO_NUL)
    park: str = Field(min_length=1, max_length=100, pattern=NO_NUL)
    area_code: str | None = Field(default=None, max_length=12, pattern=NO_NUL)
    active: bool = True
    note: str | None = Field(default=None, max_length=500, pattern=NO_NUL)


# ---- entitlements (measures) ---------------------------------------------------------------


class DesignationOut(Out):
    key: str
    title: str


class EntitlementOut(Out):
    measure: str
    title: str
    kind: MeasureKind
    basis: str = Field(description="level:<level> or designation:<key>")
    basis_zh: str
    seed_ref: str | None
    responsible: str | None
    text: str | None


class UtilityEntitlementsOut(Out):
    utility: Utility
    policy: str
    policy_version: str
    as_of: dt.date
    level: Level
    designations: list[DesignationOut]
    applies: list[EntitlementOut]


class GrantRequest(BaseModel):
    note: str | None = Field(default=None, max_length=500, pattern=NO_NUL)
    application_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


@fields_of(GrantLine, leave_out={"subject_code"})
class GrantOut(Out):
    subject_ref: str = Field(description=SUBJECT_REF)
