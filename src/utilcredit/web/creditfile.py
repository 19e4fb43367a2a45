"""Console pages of the credit file (信用档案): a subject's page (its file, the live rating with
its explanation, its dishonesty records, and the sections of the counter (``web/counter.py``)
and of notices (``web/subject_notices.py``)), the file's paged tables (bills, payments,
incidents, reminders), one evidence record of the explanation (opened under the clause that
cites it) and the credit level notice (信用等级告知书) with its PDF. The search is
``web/search.py``'s.

Thin like the API router (``api/routers/subjects.py``): parse, call the shared use cases,
render. A natural person is named by reference in every URL, never by ID number.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from utilcredit.access.visibility import visible_subject
from utilcredit.creditfile import notice as level_notice
from utilcredit.creditfile import service
from utilcredit.creditfile.model import RatingView
from utilcredit.documents.model import credit_level_notice_context
from utilcredit.documents.render import render_html, render_pdf  # WeasyPrint: when called
from utilcredit.errors import InvalidInputError, NotFoundError
from utilcredit.http.deps import AppSettings, Console, Db, Reader
from utilcredit.http.files import pdf_response
from utilcredit.http.params import MAX_ID, NO_NUL, SubjectCode, masking
from utilcredit.identifiers import SUBJECT_REF_PREFIX
from utilcredit.localtime import today
from utilcredit.overrides.model import STATE_LABELS
from utilcredit.policies.model.levels import Level
from utilcredit.policies.service import shipped
from utilcredit.records import service as register
from utilcredit.web import counter, subject_notices
from utilcredit.web.evidence import FileLabels, evidence_facts, evidence_title, payment_facts
from utilcredit.web.i18n import LANG_COOKIE, Translator, language
from utilcredit.web.rendering import evidence_of, render

router = APIRouter(include_in_schema=False)

PAGE = 20
SUBJECT_RECORDS = 10  # the newest of a subject's dishonesty records on its page
CLAUSE_ID = r"^[A-Za-z0-9_.\-]*$"  # the clause whose row an evidence card opens under


def _translator(request: Request) -> Translator:
    return Translator(language(request.cookies.get(LANG_COOKIE)))


@router.get("/subjects/by-id/{subject_id}")
def subject_by_id(
    subject_id: Annotated[int, Path(ge=1, le=MAX_ID)], connection: Db, principal: Reader
) -> Response:
    """Earlier links to natural persons: on to the page under the subject's reference (never
    to a URL holding the ID number)."""
    # Resolved as a reference: another utility's subject is a 404 (audited) that names no code.
    code = service.resolve_subject(connection, principal, f"{SUBJECT_REF_PREFIX}{subject_id}")
    ref = service.subject_ref_of(connection, code)
    return RedirectResponse(f"/subjects/{ref}", status_code=303)


def _as_of(value: str | None) -> dt.date:
    if not value:
        return today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"日期无效：{value} / invalid date {value} (YYYY-MM-DD)") from None


@router.get("/subjects/{code}")
def credit_file_page(
    request: Request,
    code: SubjectCode,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    console: Console,
    policy: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    as_of: Annotated[str | None, Query(max_length=10)] = None,
    unmasked: bool = False,
) -> Response:
    given = code
    code = service.resolve_subject(connection, principal, given)
    visible_subject(connection, principal, code)  # before anything answers: 404, audited
    ref = service.subject_ref_of(connection, code)
    if ref != given:
        # A natural person opened by ID number: on to the page under the reference, so the
        # number stays out of the address bar, the history and every link on the page.
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/subjects/{ref}{query}", status_code=303)
    day = _as_of(as_of)
    view = service.credit_file(
        connection, principal, code, unmasked=unmasked, rule=masking(settings)
    )
    rating: RatingView | None = None
    rating_error: str | None = None
    try:
        rating = service.rate_live(
            connection,
            principal,
            code,
            policy_key=policy,
            as_of=day,
            console=console,
            rule=masking(settings),
        )
    except (NotFoundError, InvalidInputError) as error:
        rating_error = str(error)
    policies = [item for item in shipped() if item.policy.utility.value in view.utilities]
    subject_records = register.list_records(
        connection, principal, subject_id=view.subject.id, limit=SUBJECT_RECORDS
    )
    clauses: list[dict[str, Any]] = []
    if rating is not None and isinstance(rating.explanation["clauses"], list):
        clauses = [
            {**c, "evidence_all": evidence_of(c.get("outcome"))}
            for c in rating.explanation["clauses"]
            if isinstance(c, dict)
        ]
    return render(
        request,
        "subject.html",
        {
            "code": view.subject.ref,  # links name a natural person by reference, not number
            "view": view,
            "rating": rating,
            "rating_error": rating_error,
            "clauses": clauses,
            "policies": policies,
            "as_of": day,
            "unmasked": unmasked,
            "levels": [level.value for level in (rating.policy.policy.levels if rating else Level)],
            "state_labels": STATE_LABELS,
            "min_expiry": day + dt.timedelta(days=1),
            "default_expiry": day + dt.timedelta(days=90),
            "records": subject_records,
            "fl": FileLabels(_translator(request)),
            **counter.subject_section(request, connection, principal, code, console=console),
            **subject_notices.subject_section(
                request, connection, principal, code, settings=settings
            ),
        },
    )


TABLES = {
    "bills": service.bills,
    "payments": service.payments,
    "incidents": service.incidents,
    "reminders": service.reminders,
}


@router.get("/subjects/{code}/table/{table}")
def credit_file_table(
    request: Request,
    code: SubjectCode,
    table: str,
    connection: Db,
    principal: Reader,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    loader = TABLES.get(table)
    if loader is None:
        raise NotFoundError("未找到 / not found")
    code = service.resolve_subject(connection, principal, code)
    page = loader(connection, principal, code, offset=offset, limit=PAGE)
    return render(
        request,
        f"partials/table_{table}.html",
        {
            "code": service.subject_ref_of(connection, code),
            "page": page,
            "table": table,
            "fl": FileLabels(_translator(request)),
        },
    )


@router.get("/subjects/{code}/evidence")
def evidence(
    request: Request,
    code: SubjectCode,
    connection: Db,
    principal: Reader,
    kind: Annotated[str, Query(max_length=16, pattern=NO_NUL)],
    ref: Annotated[str, Query(max_length=64, pattern=NO_NUL)],
    on: dt.date | None = None,
    clause: Annotated[str, Query(max_length=32, pattern=CLAUSE_ID)] = "",
) -> Response:
    """One evidence record of the explanation (bill with payments, incident, report, account):
    the card the page opens under the clause that cites it (htmx), or a page of its own when
    the chip's link is followed without scripts."""
    shown = service.resolve_subject(connection, principal, code)
    record = service.evidence(connection, principal, shown, kind, ref, on)
    t = _translator(request)
    context = {
        "kind": kind,
        "ref": ref,
        "clause": clause,
        "code": service.subject_ref_of(connection, shown),
        "title": evidence_title(t, kind, ref),
        "facts": evidence_facts(t, kind, record),
        "payments": payment_facts(t, record),
    }
    template = "partials/evidence.html" if request.headers.get("HX-Request") else "evidence.html"
    return render(request, template, context)


@router.get("/subjects/{code}/notice")
def credit_level_notice(
    request: Request,
    code: SubjectCode,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    console: Console,
    policy: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    as_of: Annotated[str | None, Query(max_length=10)] = None,
    format: Annotated[str, Query(pattern="^(pdf|html)$")] = "html",
) -> Response:
    """The credit level notice (信用等级告知书) of the file: the A4 document on screen, or its
    PDF rendered as the letters are, for the officer to print, seal and hand over."""
    subject = service.resolve_subject(connection, principal, code)
    ref = service.subject_ref_of(connection, subject)
    asked = level_notice.NoticeRequest(
        policy_key=policy, as_of=_as_of(as_of), officer=principal.display_name, issued_on=today()
    )
    notice = level_notice.credit_level_notice(
        connection,
        principal,
        subject,
        asked,
        console=console,
        units=settings.records.determining_units,
        rule=masking(settings),
    )
    # The links name the policy asked for (none: the utility's default, as the page has it).
    query = urlencode({"as_of": asked.as_of.isoformat(), **({"policy": policy} if policy else {})})
    name = f"credit-level-notice-{ref}-{asked.as_of.isoformat()}"
    if format == "pdf":
        html = render_html("credit_level_notice.html", credit_level_notice_context(notice))
        return pdf_response(render_pdf(html), f"{name}.pdf", inline=False)
    t = _translator(request)
    toolbar = (
        (t.pick("返回信用档案", "Back to the credit file"), f"/subjects/{ref}?{query}"),
        (t.pick("下载 PDF", "Download PDF"), f"/subjects/{ref}/notice?{query}&format=pdf"),
    )
    return HTMLResponse(
        render_html(
            "credit_level_notice.html", credit_level_notice_context(notice, toolbar=toolbar)
        )
    )
