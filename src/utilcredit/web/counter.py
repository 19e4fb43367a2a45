"""What the counter workflow's console pages share (信用办理 · 信用承诺): their words in both
languages, the page renderer, the parsing of form fields, the subject as the reader may see
it, the policies with credit-based applications, the commitment letter as a response, and the
commitments and measures shown on the credit file page (:func:`subject_section`, read by
``web/creditfile.py``).

The pages themselves, each with its own router (registered in ``web/app.py``):
``web/applications.py`` (the list, one application and its steps), ``web/application_new.py``
(the new-application form and the new subject), ``web/commitments.py`` (the commitments, their
steps and documents), ``web/zones.py`` (the pilot zones, admins) and ``web/measures.py`` (a
measure granted from the credit file page).

Thin like the records console (``web/records.py``): parse, call the shared use cases, render.
A form the services refuse (422, 409) is shown again on its page with the error next to the
field the service names (:attr:`FieldInvalidError.field`) and what was typed: the use case runs
in a savepoint (``web/steps.py``: :func:`~utilcredit.web.steps.attempt`, and the pages' steps
served from a table), so nothing it wrote stays, and the page is read in the request's
transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Connection

from utilcredit.access.model import Permission, Principal
from utilcredit.applications import zones as application_zones
from utilcredit.applications.model import (
    APPLICATION_MACHINE,
    APPLICATION_STATUS_ZH,
    CHANNEL_ZH,
    DOCUMENT_ZH,
    ApplicationStatus,
    Channel,
    Document,
)
from utilcredit.applications.repository import ZoneLine
from utilcredit.commitments import letters as commitment_letters
from utilcredit.commitments import reads as commitment_reads
from utilcredit.commitments.model import (
    COMMITMENT_MACHINE,
    COMMITMENT_STATUS_LABELS,
    COMMITMENT_TYPE_ZH,
    DISCLOSURE_ZH,
    OBLIGATION_STATUS_ZH,
    ON_BREACH_ZH,
    CommitmentType,
    Disclosure,
    ObligationStatus,
)
from utilcredit.config import ConsoleSettings, Settings
from utilcredit.customers.model import CommitmentStatus, Utility
from utilcredit.errors import FieldInvalidError, InvalidInputError, NotFoundError
from utilcredit.http.files import pdf_response
from utilcredit.http.params import NO_NUL, masking
from utilcredit.identifiers import subject_ref
from utilcredit.identifiers.model import display_code, mask_name
from utilcredit.incentives import service as incentives
from utilcredit.incentives.model import KIND_ZH
from utilcredit.localtime import today
from utilcredit.policies.loader import LoadedPolicy
from utilcredit.policies.model.credit_application import (
    ADDRESS_TYPE_ZH,
    BUSINESS_ZH,
    AddressType,
    Business,
)
from utilcredit.policies.service import shipped
from utilcredit.web.rendering import ValueLabels, render, value_labels

Short = Annotated[str, Form(max_length=300, pattern=NO_NUL)]
Day = Annotated[str, Form(max_length=10, pattern=NO_NUL)]  # a date as typed: YYYY-MM-DD
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
PAGE = 20
SUBJECT_COMMITMENTS = 10  # the newest of a subject's commitments on its page
T = TypeVar("T")

# What a finished form says on its page (``?done=<key>``: only these keys are shown).
DONE = frozenset(
    {
        "submitted",
        "survey",
        "check",
        "sign",
        "accept",
        "connect",
        "reject",
        "withdraw",
        "fulfil",
        "breach",
        "meet",
        "zone",
    }
)

# ---- the words, Chinese from the models, English beside them ---------------------------------

APPLICATION_STATUS_EN = {
    ApplicationStatus.APPLIED: "Applied",
    ApplicationStatus.SURVEYED: "Site surveyed",
    ApplicationStatus.CREDIT_CHECKED: "Credit checked",
    ApplicationStatus.COMMITMENT_SIGNED: "Commitment signed",
    ApplicationStatus.ACCEPTED: "Accepted",
    ApplicationStatus.CONNECTED: "Connected",
    ApplicationStatus.REJECTED: "Rejected",
    ApplicationStatus.WITHDRAWN: "Withdrawn",
}
APPLICATION_ACTION_EN = {
    "survey": "Site survey",
    "check": "Credit check",
    "sign": "Sign the commitment",
    "accept": "Accept",
    "connect": "Connect",
    "reject": "Reject",
    "withdraw": "Withdraw",
}
COMMITMENT_STATUS_EN = {
    CommitmentStatus.MADE: "Made (to accept)",
    CommitmentStatus.IN_FORCE: "In force",
    CommitmentStatus.FULFILLED: "Fulfilled",
    CommitmentStatus.BREACHED: "Breached",
    CommitmentStatus.EXPIRED: "Expired",
    CommitmentStatus.WITHDRAWN: "Withdrawn",
}
COMMITMENT_ACTION_EN = {
    "accept": "Accept into force",
    "withdraw": "Withdraw",
    "fulfil": "Determine fulfilled",
    "breach": "Determine a breach",
}
OBLIGATION_STATUS_EN = {
    ObligationStatus.PENDING: "Waiting to start",
    ObligationStatus.OPEN: "Open",
    ObligationStatus.MET: "Met",
    ObligationStatus.MISSED: "Missed",
}
BUSINESS_EN = {
    Business.NEW_CONNECTION: "New connection",
    Business.CAPACITY_CHANGE: "Capacity change",
    Business.TRANSFER: "Transfer",
    Business.OTHER_CHANGE: "Other change",
}
ADDRESS_TYPE_EN = {
    AddressType.STATE_LAND_OWN_BUILDING: "Own building on state land",
    AddressType.STATE_LAND_NO_BUILDING: "Own state land without building",
    AddressType.COLLECTIVE_LAND: "Collective land",
    AddressType.RENTED: "Rented building or site",
    AddressType.OTHER: "Other",
}
CHANNEL_EN = {Channel.ONLINE: "Online", Channel.COUNTER: "Counter"}
DOCUMENT_EN = {
    Document.PROPERTY_PROOF: "Property proof",
    Document.ID_PROOF: "Proof of identity",
    Document.BUSINESS_LICENCE: "Business licence",
    Document.CREDIT_REPORT: "Public credit report",
    Document.SIGNED_COMMITMENT: "Signed commitment",
}
COMMITMENT_TYPE_EN = {
    CommitmentType.APPROVAL_SUBSTITUTE: "Instead of approval",
    CommitmentType.CERTIFICATION: "Instead of certification",
    CommitmentType.CREDIT_REPAIR: "Credit repair",
    CommitmentType.SELF_DISCIPLINE: "Industry self-discipline",
    CommitmentType.VOLUNTARY: "Voluntary",
}
DISCLOSURE_EN = {
    Disclosure.PUBLIC: "Public",
    Disclosure.ON_REQUEST: "On request",
    Disclosure.NOT_PUBLIC: "Not public",
}
ELIGIBLE_ZH = {"met": "符合", "not_met": "不符合", "unknown": "无法判断"}
ELIGIBLE_EN = {"met": "Met", "not_met": "Not met", "unknown": "Cannot tell"}
_LABELS: dict[str, tuple[Mapping[Any, str], Mapping[Any, str]]] = {
    "application_status": (APPLICATION_STATUS_ZH, APPLICATION_STATUS_EN),
    "application_action": (APPLICATION_MACHINE.action_labels, APPLICATION_ACTION_EN),
    "commitment_status": (COMMITMENT_STATUS_LABELS, COMMITMENT_STATUS_EN),
    "commitment_action": (COMMITMENT_MACHINE.action_labels, COMMITMENT_ACTION_EN),
    "obligation_status": (OBLIGATION_STATUS_ZH, OBLIGATION_STATUS_EN),
    "business": (BUSINESS_ZH, BUSINESS_EN),
    "address_type": (ADDRESS_TYPE_ZH, ADDRESS_TYPE_EN),
    "channel": (CHANNEL_ZH, CHANNEL_EN),
    "document": (DOCUMENT_ZH, DOCUMENT_EN),
    "commitment_type": (COMMITMENT_TYPE_ZH, COMMITMENT_TYPE_EN),
    "disclosure": (DISCLOSURE_ZH, DISCLOSURE_EN),
    "eligible": (ELIGIBLE_ZH, ELIGIBLE_EN),
    "on_breach": (ON_BREACH_ZH, dict.fromkeys(ON_BREACH_ZH, "Referred for disconnection")),
    "measure_kind": (KIND_ZH, {k: k.value.capitalize() for k in KIND_ZH}),
}


def labels_for(request: Request) -> ValueLabels:
    """The counter's stored values in the page's language (``cl`` in its templates)."""
    return value_labels(request, _LABELS)


def render_page(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    labels = labels_for(request)
    return render(request, name, {**context, "cl": labels}, status_code=status_code)


# ---- form fields --------------------------------------------------------------------------------


def parse_date(text: str, name: str, *, default: dt.date | None = None) -> dt.date:
    value = text.strip()
    if not value:
        if default is not None:
            return default
        raise FieldInvalidError(name, "请填写日期 / a date is required")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FieldInvalidError(
            name, f"日期无效：{value}（应为 YYYY-MM-DD） / invalid date {value} (YYYY-MM-DD)"
        ) from None


def parse_enum(enum: type[T], value: str, name: str, *, optional: bool = False) -> T | None:
    if not value and optional:
        return None
    try:
        return enum(value)  # type: ignore[call-arg]
    except ValueError:
        raise FieldInvalidError(
            name, f"请选择有效的选项：{value} / choose a valid {name}"
        ) from None


def writes(principal: Principal, permission: Permission, utility: str) -> bool:
    return principal.can(permission) and principal.may_write_utility(Utility(utility))


def _shown_code(code: str, kind: str, principal: Principal, settings: Settings) -> str:
    clear = principal.can(Permission.VIEW_UNMASKED)
    return display_code(code, kind, clear=clear, rule=masking(settings))


def _shown_name(name: str, kind: str, principal: Principal) -> str:
    if kind == "natural" and not principal.can(Permission.VIEW_UNMASKED):
        return mask_name(name)
    return name


@dataclass(frozen=True, slots=True)
class Party:
    """A subject as the reader may see it, with what links name it by."""

    ref: str
    code: str
    name: str
    kind: str


def party(
    subject_id: int, code: str, name: str, kind: str, principal: Principal, settings: Settings
) -> Party:
    return Party(
        subject_ref(subject_id, code, kind),
        _shown_code(code, kind, principal, settings),
        _shown_name(name, kind, principal),
        kind,
    )


# ---- policies with credit-based applications -------------------------------------------------


def application_policies(principal: Principal, *, writable: bool) -> list[LoadedPolicy]:
    utilities = principal.utilities if writable else principal.readable_utilities
    return sorted(
        (
            p
            for p in shipped()
            if p.policy.credit_application is not None and p.policy.utility in utilities
        ),
        key=lambda p: p.key,
    )


def zones_of(connection: Connection, policies: list[LoadedPolicy]) -> list[ZoneLine]:
    return application_zones.zones(connection, [p.key for p in policies])


# ---- commitment letters (the application's, the commitment's) ---------------------------------


def letter_response(html: str, name: str, format: str) -> Response:
    if format == "html":
        return HTMLResponse(html)
    from utilcredit.documents.render import render_pdf

    return pdf_response(render_pdf(html), f"{name}.pdf", inline=True)


def document_response(
    connection: Connection,
    principal: Principal,
    commitment_id: int,
    format: str,
    settings: Settings,
) -> Response:
    found, html = commitment_letters.document_html(
        connection, principal, commitment_id, masking(settings)
    )
    return letter_response(html, f"commitment-{found.code}", format)


# ---- the credit file page: commitments and measures -------------------------------------------


def subject_section(
    request: Request,
    connection: Connection,
    principal: Principal,
    code: str,
    *,
    console: ConsoleSettings,
) -> dict[str, Any]:
    """What the credit file page shows of the subject's commitments and of the measures that
    apply to it today (with their basis); ``counter_*`` keys of the page's context."""
    found = commitment_reads.list_commitments(
        connection, principal, subject_code=code, limit=SUBJECT_COMMITMENTS
    )
    try:
        blocks = incentives.entitlements(
            connection, principal, code, today=today(), console=console
        )
    except (NotFoundError, InvalidInputError):
        blocks = []
    grants = incentives.grants_of(connection, principal, code)
    return {
        "counter_commitments": found,
        "counter_entitlements": blocks,
        "counter_grants": grants,
        "counter_may_grant": principal.can(Permission.FILE_CASE),
        "cl": labels_for(request),
    }
