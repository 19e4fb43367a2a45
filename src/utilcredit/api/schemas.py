"""API request and response bodies (published in the OpenAPI document at ``/docs``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Collection
from typing import Annotated, Any, Literal, TypeVar, get_type_hints

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

from utilcredit.access.model import Role
from utilcredit.creditfile.model import SubjectCard
from utilcredit.customers.model import AccountLine, CreditReportLine, ReminderLine, Utility
from utilcredit.customers.pages import AccountHit, BillLine, IncidentLine, PaymentLine
from utilcredit.http.params import NO_NUL
from utilcredit.importing.repository.runs import ImportRunLine
from utilcredit.importing.uploads import FileOutcome
from utilcredit.overrides.model import Override, OverrideState
from utilcredit.policies.model.levels import Level
from utilcredit.rating.runs.model import AreaCount, CurrentDesignation, LevelChange, LevelMove
from utilcredit.rating.service import Distribution

SUBJECT_REF = (
    "主体引用，用于链接 / what URLs name the subject by: id-<n> for a natural person (whose ID "
    "number never goes into a URL), the code for an organisation"
)


def _utc(value: dt.datetime) -> dt.datetime:
    """Stored times are UTC: SQLite hands them back naive, PostgreSQL with the offset; either
    way the answer carries it (an RFC 3339 ``date-time``, as the schema says)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


UtcDateTime = Annotated[dt.datetime, AfterValidator(_utc)]


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


OutT = TypeVar("OutT", bound=Out)


def fields_of(
    record: type[Any], *, leave_out: Collection[str] = ()
) -> Callable[[type[OutT]], type[OutT]]:
    """Class decorator: the schema gets the fields of the dataclass ``record`` (its names,
    types and order, all required) but ``leave_out``, so that they are written once, in the
    domain. The schema's own fields follow them, or stand in for a field of the same name
    (to describe it); the schema keeps its name, so the OpenAPI document does not change. A
    field later added to the record is published too: leave it out here if it is not the
    API's to say."""
    hints = get_type_hints(record)

    def build(schema: type[OutT]) -> type[OutT]:
        own = {
            name: (info.annotation, info)
            for name, info in schema.model_fields.items()
            if name in vars(schema).get("__annotations__", {})
        }
        fields: dict[str, Any] = {
            field.name: (hints[field.name], ...)
            for field in dataclasses.fields(record)
            if field.name not in leave_out
        }
        return create_model(
            schema.__name__,
            __base__=schema.__bases__,
            __module__=schema.__module__,
            **(fields | own),
        )

    return build


class ErrorField(Out):
    field: str
    message: str


class ErrorDetail(Out):
    code: str = Field(description="stable machine-readable code, e.g. not_found, forbidden")
    message: str = Field(description="中文 / English")
    message_zh: str
    message_en: str
    fields: list[ErrorField] = []


class ErrorOut(Out):
    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "not authenticated"},
    403: {"model": ErrorOut, "description": "not allowed (audited)"},
    404: {"model": ErrorOut, "description": "not found, or another utility's record (audited)"},
    422: {"model": ErrorOut, "description": "invalid input; `fields` names the fields"},
}


class PageMeta(Out):
    offset: int
    limit: int
    has_more: bool


class TokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=NO_NUL)
    password: str = Field(min_length=1, max_length=200)
    name: str = Field(
        default="api", max_length=100, pattern=NO_NUL, description="label of the token"
    )


class TokenOut(Out):
    token: str
    token_type: str = "bearer"
    expires_in_days: int


class MeOut(Out):
    username: str
    display_name: str
    roles: list[Role]
    utilities: list[Utility]
    readable_utilities: list[Utility]
    permissions: list[str]


@fields_of(CurrentDesignation, leave_out=("run_id",))
class DesignationOut(Out):
    """A designation of the subject in the latest complete run of a policy."""

    key: str = Field(description="称号键 / the designation's key, e.g. trustworthy_subject")
    title: str = Field(description="称号 / its title in the policy, e.g. 守信用电主体")
    status: Literal["held", "unknown"] = Field(
        description="held: 满足；unknown: 无法判定（如缺少公共信用报告），需另行核验 / held, or "
        "undecided for want of data (failed ones are not listed)"
    )


DESIGNATIONS = (
    "当前称号（各评级政策最新一次完成的评级运行） / current designations, from the latest "
    "complete rating run of each policy"
)


class SubjectHitOut(Out):
    code: str
    kind: str
    name: str
    area: str | None
    utilities: list[str]
    ref: str = Field(description=SUBJECT_REF)
    designations: list[DesignationOut] = Field(default=[], description=DESIGNATIONS)


class SubjectPage(PageMeta):
    items: list[SubjectHitOut]


@fields_of(AccountHit, leave_out=("subject_id",))
class AccountOut(Out):
    subject_ref: str = Field(description=SUBJECT_REF)


class AccountPage(PageMeta):
    items: list[AccountOut]


@fields_of(SubjectCard, leave_out=("id",))
class SubjectCardOut(Out):
    ref: str = Field(description=SUBJECT_REF)


@fields_of(AccountLine)
class CreditFileAccountOut(Out):
    pass


@fields_of(CreditReportLine)
class CreditReportOut(Out):
    pass


@fields_of(ReminderLine)
class ReminderOut(Out):
    pass


@fields_of(Override)
class OverrideOut(Out):
    pass


class CreditFileOut(Out):
    subject: SubjectCardOut
    utilities: list[str]
    accounts: list[CreditFileAccountOut]
    credit_reports: list[CreditReportOut]
    reminders: list[ReminderOut]
    overrides: list[OverrideOut]
    designations: list[DesignationOut] = Field(default=[], description=DESIGNATIONS)


# Which dishonesty record set a bill or an incident aside is not part of the API's answer.
@fields_of(BillLine, leave_out=("set_aside_by",))
class BillOut(Out):
    pass


class BillPage(PageMeta):
    items: list[BillOut]


@fields_of(PaymentLine)
class PaymentOut(Out):
    pass


class PaymentPage(PageMeta):
    items: list[PaymentOut]


@fields_of(IncidentLine, leave_out=("set_aside_by",))
class IncidentOut(Out):
    pass


class IncidentPage(PageMeta):
    items: list[IncidentOut]


class PolicyRefOut(Out):
    key: str
    version: str
    title: str
    utility: Utility
    effective_from: dt.date
    sha256: str


class HistoryOut(Out):
    run_id: int
    policy_key: str
    as_of: dt.date
    level: str
    fired: list[str]  # clauses that began to fire with this change

    @classmethod
    def of_change(cls, change: LevelChange) -> HistoryOut:
        """From a stored level change (one that reached a level)."""
        return cls(
            run_id=change.run_id,
            policy_key=change.policy_key,
            as_of=change.as_of,
            level=change.to_level.value if change.to_level is not None else "",
            fired=list(change.cause.fired),
        )


class RatingOut(Out):
    subject: str
    policy: PolicyRefOut
    as_of: dt.date
    computed_level: Level
    effective_level: Level
    override: OverrideOut | None
    explanation: dict[str, Any] = Field(description="every clause, its value and evidence")
    explanation_text: str
    history: list[HistoryOut]
    next_change: dt.date | None


class RunOut(Out):
    id: int
    policy_key: str
    policy_version: str
    as_of: dt.date
    started_at: dt.datetime | None
    status: str
    subjects: int
    utility: str
    level_counts: dict[str, int]


class RunPage(PageMeta):
    items: list[RunOut]


@fields_of(AreaCount)
class AreaCountOut(Out):
    pass


@fields_of(LevelMove)
class TransitionOut(Out):
    pass


class RunDetailOut(Out):
    run: RunOut
    by_area: list[AreaCountOut]
    transitions: list[TransitionOut]


@fields_of(Distribution)
class DistributionOut(Out):
    pass


@fields_of(FileOutcome)
class ImportFileOut(Out):
    pass


class ImportResultOut(Out):
    upload_id: str
    ok: bool
    files: list[ImportFileOut]
    rejected_rows: int
    reject_report_url: str | None


@fields_of(ImportRunLine)
class ImportRunOut(Out):
    pass


class ImportRunPage(PageMeta):
    items: list[ImportRunOut]


class PolicyOut(PolicyRefOut):
    issuer: str | None
    levels: list[Level]
    fallback_level: Level
    clauses: int


class PolicyDetailOut(Out):
    summary: PolicyOut
    policy: dict[str, Any]


class OverrideRequest(BaseModel):
    policy: str = Field(min_length=1, max_length=64, pattern=NO_NUL)
    level: Level
    reason: str = Field(min_length=1, max_length=500, pattern=NO_NUL)
    expires_on: dt.date


class OverrideDecision(BaseModel):
    note: str | None = Field(default=None, max_length=500, pattern=NO_NUL)


class OverrideViewOut(Out):
    override: OverrideOut
    utility: str
    state_today: OverrideState
    subject_ref: str = Field(description=SUBJECT_REF)


class OverridePage(PageMeta):
    items: list[OverrideViewOut]


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@\-]+$")
    display_name: str | None = Field(default=None, max_length=100, pattern=NO_NUL)
    password: str = Field(min_length=8, max_length=200)
    roles: list[Role] = Field(min_length=1)
    utilities: list[Utility] = Field(min_length=1)


class UserOut(Out):
    username: str
    display_name: str
    roles: list[Role]
    utilities: list[Utility]


class AuditOut(Out):
    id: int
    at: UtcDateTime
    actor: str
    action: str
    entity: str
    entity_key: str | None
    reason: str | None
    detail: dict[str, Any] | None
    utilities: list[str] = Field(
        description="涉及的供应单位（空：不涉及，仅全单位审计员可见） / utilities the entry "
        "concerns (none: read by auditors of every utility only)"
    )


class AuditPage(PageMeta):
    items: list[AuditOut]
