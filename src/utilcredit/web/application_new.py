"""Console page of a new credit-based application (信用办理 · 新建申请): find the applicant,
or register a subject the store does not know yet (through the importer), then fill in and
submit the application. The applications' other pages are ``web/applications.py``; what the
counter pages share is ``web/counter.py``.

Its ``GET /applications/new`` goes before ``GET /applications/{application_id}``: ``web/app.py``
includes this router first.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Connection

from utilcredit.access.model import Principal
from utilcredit.access.visibility import subject_utilities, visible_subject
from utilcredit.applications import service as applications
from utilcredit.applications.model import Channel, Document
from utilcredit.applications.repository import ApplicationLine
from utilcredit.commitments import letters as commitment_letters
from utilcredit.config import ConsoleSettings, Settings
from utilcredit.creditfile import service as creditfile
from utilcredit.errors import FieldInvalidError
from utilcredit.http.deps import AppSettings, Console, Db, engine_of
from utilcredit.http.params import NO_NUL, masking
from utilcredit.identifiers import subject_ref
from utilcredit.importing import uploads
from utilcredit.localtime import today
from utilcredit.policies.loader import LoadedPolicy
from utilcredit.policies.model.credit_application import AddressType, Business
from utilcredit.web.counter import (
    PAGE,
    Short,
    application_policies,
    parse_date,
    parse_enum,
    render_page,
    zones_of,
)
from utilcredit.web.records import FileCase
from utilcredit.web.steps import Refusal, attempt

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True, slots=True)
class Chosen:
    """The subject the application is for, as the new-application form shows it."""

    ref: str
    code: str  # as shown (masked for a natural person when the reader may not see it)
    name: str
    served: bool  # has an account with some utility (else: only just created, nobody serves it)


def _chosen(connection: Connection, principal: Principal, ref: str, settings: Settings) -> Chosen:
    """The subject a reference names, if the reader may apply for it: one of the reader's
    utilities serves it, or nobody serves it yet (created at the counter, as the importer
    allows)."""
    code = creditfile.resolve_subject(connection, principal, ref)
    known = subject_utilities(connection, code)
    if known is None:
        raise FieldInvalidError("subject", f"没有该主体：{ref} / no subject {ref}")
    subject_id, utilities = known
    if utilities:
        visible_subject(connection, principal, code)  # another utility's: 404, audited
    hits = creditfile.search_subjects(
        connection, principal, code, offset=0, limit=1, rule=masking(settings)
    ).items
    if hits and hits[0].id == subject_id:
        return Chosen(hits[0].ref, hits[0].code, hits[0].name, bool(utilities))
    # Nobody serves it yet, so no search finds it: its name as the letter will print it.
    letter = next(
        (
            commitment_letters.prefilled(
                connection, p.policy.credit_application.commitment_template, code
            )
            for p in application_policies(principal, writable=True)
            if p.policy.credit_application and p.policy.credit_application.commitment_template
        ),
        {},
    )
    return Chosen(
        subject_ref(subject_id, code, "legal"), code, letter.get("unit_name", code), bool(utilities)
    )


def _default_policy(
    principal: Principal, console: ConsoleSettings, policies: list[LoadedPolicy]
) -> str:
    keys = {p.key for p in policies}
    for utility in sorted(principal.utilities):
        key = console.default_policies.get(utility.value)
        if key in keys:
            return str(key)
    return policies[0].key if policies else ""


def _new_page(
    request: Request,
    connection: Connection,
    principal: Principal,
    settings: Settings,
    console: ConsoleSettings,
    *,
    q: str = "",
    subject: str = "",
    refusal: Refusal | None = None,
    created: bool = False,
) -> HTMLResponse:
    hits = None
    if q.strip():
        hits = creditfile.search_subjects(
            connection, principal, q.strip(), offset=0, limit=PAGE, rule=masking(settings)
        )
    chosen = _chosen(connection, principal, subject, settings) if subject else None
    policies = application_policies(principal, writable=True)
    zones = [z for z in zones_of(connection, policies) if z.active]
    values = refusal.values if refusal else {}
    return render_page(
        request,
        "application_new.html",
        {
            "q": q,
            "hits": hits,
            "chosen": chosen,
            "created": created,
            "policies": policies,
            "default_policy": values.get("policy") or _default_policy(principal, console, policies),
            "zones": zones,
            "businesses": tuple(Business),
            "address_types": tuple(AddressType),
            "channels": tuple(Channel),
            "documents": tuple(Document),
            "today": today(),
            "refusal": refusal,
            "v": values,
            "looks_like_code": q.strip().replace(" ", "").isalnum() and len(q.strip()) == 18,
        },
        status_code=refusal.status if refusal else 200,
    )


@router.get("/applications/new")
def new_application_page(
    request: Request,
    connection: Db,
    principal: FileCase,
    settings: AppSettings,
    console: Console,
    q: Annotated[str, Query(max_length=100, pattern=NO_NUL)] = "",
    subject: Annotated[str, Query(max_length=64, pattern=NO_NUL)] = "",
    created: bool = False,
) -> Response:
    return _new_page(
        request, connection, principal, settings, console, q=q, subject=subject, created=created
    )


SUBJECT_COLUMNS = ("code", "kind", "name", "legal_rep", "phone", "address", "area", "founded_on")


@router.post("/applications/new/subject")
def create_subject(
    request: Request,
    principal: FileCase,
    settings: AppSettings,
    console: Console,
    code: Annotated[str, Form(max_length=64, pattern=NO_NUL)] = "",
    name: Short = "",
    legal_rep: Short = "",
    phone: Short = "",
    address: Short = "",
    area: Short = "",
    founded_on: Short = "",
) -> Response:
    """A subject the store does not know yet, created through the importer with a one-row
    subjects file: the code check and every validation are the importer's. Runs outside the
    request's transaction (the importer commits its own), so it takes no ``Db``."""
    engine = engine_of(request)
    values = {
        "code": code.replace(" ", "").strip().upper(),
        "kind": "legal",
        "name": name.strip(),
        "legal_rep": legal_rep.strip(),
        "phone": phone.strip(),
        "address": address.strip(),
        "area": area.strip(),
        "founded_on": founded_on.strip(),
    }
    with engine.begin() as connection:
        if values["code"] and subject_utilities(connection, values["code"]) is not None:
            refusal = Refusal(
                "subject",
                f"该主体已存在：{values['code']}，请查询后选择 / the subject exists: search for it",
                "code",
                values,
            )
            return _new_page(
                request, connection, principal, settings, console, q=code, refusal=refusal
            )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(SUBJECT_COLUMNS)
    writer.writerow([values[c] for c in SUBJECT_COLUMNS])
    upload = uploads.Upload("subjects.csv", io.BytesIO(buffer.getvalue().encode("utf-8")))
    upload_id, paths = uploads.save_uploads(settings, principal, [upload], console.upload_max_bytes)
    result = uploads.run_import(engine, settings, principal, upload_id, paths)
    if result.ok:
        target = urlencode({"subject": values["code"], "created": "true"})
        return RedirectResponse(f"/applications/new?{target}", status_code=303)
    field_name, message = _first_reject(settings, result)
    refusal = Refusal("subject", message, field_name, values)
    with engine.begin() as connection:
        return _new_page(request, connection, principal, settings, console, refusal=refusal)


def _first_reject(settings: Settings, result: uploads.UploadResult) -> tuple[str | None, str]:
    """The importer's first reason for refusing the row, and the field it names."""
    failed = next((f.error for f in result.files if f.error), None)
    if failed:
        return None, failed
    path = uploads.reject_report_path(settings, result.upload_id)
    if path.exists():
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
        if len(rows) > 1:
            header = rows[0]
            row = dict(zip(header, rows[1], strict=False))
            named = row.get("field") or None
            reason = row.get("reason") or rows[1][-1]
            return named, reason
    return None, "导入未成功 / the subject was not imported"


def _documents(form: Mapping[str, str]) -> tuple[tuple[Document, ...], tuple[Document, ...]]:
    present = tuple(d for d in Document if form.get(f"doc_{d.value}") == "present")
    missing = tuple(d for d in Document if form.get(f"doc_{d.value}") == "missing")
    return present, missing


@router.post("/applications")
def submit_application_form(
    request: Request,
    connection: Db,
    principal: FileCase,
    settings: AppSettings,
    console: Console,
    subject: Annotated[str, Form(max_length=64, pattern=NO_NUL)] = "",
    policy: Annotated[str, Form(max_length=64, pattern=NO_NUL)] = "",
    business: Annotated[str, Form(max_length=64, pattern=NO_NUL)] = "",
    address: Short = "",
    area: Annotated[str, Form(max_length=32, pattern=NO_NUL)] = "",
    park: Short = "",
    address_type: Annotated[str, Form(max_length=64, pattern=NO_NUL)] = "",
    channel: Annotated[str, Form(max_length=16, pattern=NO_NUL)] = "counter",
    applied_on: Annotated[str, Form(max_length=10, pattern=NO_NUL)] = "",
    doc_property_proof: Annotated[str, Form(max_length=8)] = "missing",
    doc_id_proof: Annotated[str, Form(max_length=8)] = "",
    doc_business_licence: Annotated[str, Form(max_length=8)] = "",
    doc_credit_report: Annotated[str, Form(max_length=8)] = "",
    doc_signed_commitment: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    values: dict[str, Any] = {
        "policy": policy,
        "business": business,
        "address": address,
        "area": area,
        "park": park,
        "address_type": address_type,
        "channel": channel,
        "applied_on": applied_on,
        "doc_property_proof": doc_property_proof,
        "doc_id_proof": doc_id_proof,
        "doc_business_licence": doc_business_licence,
        "doc_credit_report": doc_credit_report,
        "doc_signed_commitment": doc_signed_commitment,
    }
    chosen = _chosen(connection, principal, subject, settings)
    code = creditfile.resolve_subject(connection, principal, subject)
    present, missing = _documents(values)

    def step() -> ApplicationLine:
        return applications.submit(
            connection,
            principal,
            applications.NewApplication(
                subject_code=code,
                policy_key=policy,
                business=parse_enum(Business, business, "business"),  # type: ignore[arg-type]
                address=address,
                applied_on=parse_date(applied_on, "applied_on", default=today()),
                channel=parse_enum(Channel, channel, "channel"),  # type: ignore[arg-type]
                area=area.strip() or None,
                park=park.strip() or None,
                address_type=parse_enum(AddressType, address_type, "address_type", optional=True),
                documents_present=present,
                documents_missing=missing,
            ),
            today=today(),
        )

    outcome = attempt(connection, "application", values, step)
    if isinstance(outcome, Refusal):
        return _new_page(
            request, connection, principal, settings, console, subject=chosen.ref, refusal=outcome
        )
    return RedirectResponse(f"/applications/{outcome.id}?done=submitted", status_code=303)
