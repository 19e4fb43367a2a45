"""Console pages. Thin like the API routers: parse, call the shared use cases, render."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from utilcredit.access import service as access
from utilcredit.access.model import AccessDeniedError, LoginThrottledError
from utilcredit.access.visibility import visible_subject
from utilcredit.config import ConsoleSettings
from utilcredit.creditfile import service
from utilcredit.creditfile.model import RatingView
from utilcredit.customers import service as customers
from utilcredit.errors import InvalidInputError, NotFoundError
from utilcredit.http.deps import (
    SESSION_COOKIE,
    AppSettings,
    Console,
    CurrentPrincipal,
    Db,
    Importer,
    Reader,
    Requester,
    client_address,
    engine_of,
)
from utilcredit.http.params import MAX_ID, NO_NUL, SubjectCode, masking
from utilcredit.identifiers import SUBJECT_REF_PREFIX
from utilcredit.importing import service as importing
from utilcredit.importing import uploads
from utilcredit.localtime import today
from utilcredit.overrides import service as overrides
from utilcredit.overrides.model import STATE_LABELS, OverrideState
from utilcredit.policies.model import Level
from utilcredit.policies.service import policy_at, shipped
from utilcredit.rating import service as rating_service
from utilcredit.rating.runs import service as rating_runs
from utilcredit.records import service as register
from utilcredit.web import counter
from utilcredit.web import notices as notices_section
from utilcredit.web.i18n import LANG_COOKIE, LANGUAGES
from utilcredit.web.rendering import render

router = APIRouter(include_in_schema=False)

LOGIN_CSRF_COOKIE = "uc_login_csrf"
PAGE = 20
SUBJECT_RECORDS = 10  # the newest of a subject's dishonesty records on its page
_jobs = uploads.ImportJobs()


def _safe_next(target: str | None) -> str:
    """Only local paths: never redirect a login to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


# ---- language, login, logout -----------------------------------------------------------


@router.get("/lang/{lang}")
def switch_language(lang: str, next: str | None = None) -> Response:
    response = RedirectResponse(_safe_next(next), status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


def _secure_cookies(request: Request, console: ConsoleSettings) -> bool:
    """Secure cookies when configured, or when the request came over HTTPS (directly, or
    through a proxy listed in ``UTILCREDIT_CONSOLE_TRUSTED_PROXIES``)."""
    return console.secure_cookies or request.url.scheme == "https"


@router.get("/login")
def login_page(request: Request, console: Console, next: str | None = None) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request, "login.html", {"login_csrf": token, "next": _safe_next(next), "failed": False}
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure_cookies(request, console),
    )
    return response


@router.post("/login")
def login(
    request: Request,
    connection: Db,
    console: Console,
    username: Annotated[str, Form(max_length=64, pattern=NO_NUL)],
    password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=100, pattern=NO_NUL)],
    next: Annotated[str, Form(max_length=500, pattern=NO_NUL)] = "/",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if expected is None or not access.csrf_matches(expected, csrf_token):
        raise AccessDeniedError(
            "登录表单已失效，请刷新 / the login form expired, reload it", entity="login"
        )
    try:
        principal = access.authenticate(
            connection,
            username,
            password,
            address=client_address(request),
            throttle=console.throttle,
        )
    except LoginThrottledError as error:
        page = render(
            request,
            "login.html",
            {"login_csrf": expected, "next": _safe_next(next), "throttled": True},
            status_code=429,
        )
        page.headers["Retry-After"] = str(error.retry_after)
        return page
    if principal is None:
        return render(
            request,
            "login.html",
            {
                "login_csrf": expected,
                "next": _safe_next(next),
                "failed": True,
                "username": username,
            },
            status_code=401,
        )
    tokens = access.start_session(connection, principal)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        tokens.token,
        httponly=True,
        samesite="lax",
        secure=_secure_cookies(request, console),
        max_age=int(access.SESSION_TTL.total_seconds()),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, connection: Db, principal: CurrentPrincipal) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        access.end_session(connection, token, principal)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# ---- dashboard -------------------------------------------------------------------------


@router.get("/")
def dashboard(request: Request, connection: Db, principal: Reader, console: Console) -> Response:
    day = today()
    distributions = rating_service.distributions(connection, principal, day, console)
    readable = {u.value for u in principal.readable_utilities}
    runs = rating_runs.visible_runs(connection, readable, offset=0, limit=30)
    transitions = rating_runs.moves_into(connection, runs[0].id) if runs else []
    cases = register.open_cases(connection, principal, day)
    trend = [
        {"run": r.id, "as_of": r.as_of, "policy": r.policy_key, "levels": r.level_counts}
        for r in reversed(runs)
    ]
    charts = [
        {
            "id": f"dist-{d.utility}",
            "by_level": d.by_level,
            "by_area": d.by_area,
            "utility": d.utility,
        }
        for d in distributions
    ]
    return render(
        request,
        "dashboard.html",
        {
            "as_of": day,
            "distributions": distributions,
            "charts": charts,
            "trend": trend,
            "transitions": transitions,
            "cases": cases,
        },
    )


# ---- customers -------------------------------------------------------------------------


@router.get("/subjects")
def search_page(
    request: Request,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    q: Annotated[str, Query(max_length=100, pattern=NO_NUL)] = "",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    page = service.search_subjects(
        connection, principal, q, offset=offset, limit=PAGE, rule=masking(settings)
    )
    template = (
        "partials/search_results.html" if request.headers.get("HX-Request") else "search.html"
    )
    return render(request, template, {"q": q, "page": page})


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
            {**c, "evidence_all": _evidence(c.get("outcome"))}
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
            **counter.subject_section(request, connection, principal, code, console=console),
            **notices_section.subject_section(
                request, connection, principal, code, settings=settings
            ),
        },
    )


def _evidence(outcome: Any) -> list[dict[str, Any]]:
    """Every evidence record of a clause outcome, its parts included, once each."""
    found: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    stack = [outcome]
    while stack:
        item = stack.pop()
        if not isinstance(item, dict):
            continue
        for evidence in item.get("evidence") or []:
            key = (evidence.get("kind"), evidence.get("ref"), evidence.get("date"))
            if isinstance(evidence, dict) and key not in seen:
                seen.add(key)
                found.append(evidence)
        stack.extend(reversed(item.get("parts") or []))
    return found


TABLES = {"bills": service.bills, "payments": service.payments, "incidents": service.incidents}


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
        {"code": service.subject_ref_of(connection, code), "page": page, "table": table},
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
) -> Response:
    """One evidence record of the explanation (bill with payments, incident, report, account)."""
    code = service.resolve_subject(connection, principal, code)
    record = customers.evidence(connection, principal, code, kind, ref, on)
    return render(request, "partials/evidence.html", {"kind": kind, "ref": ref, "record": record})


@router.post("/subjects/{code}/overrides")
def request_override(
    request: Request,
    code: SubjectCode,
    connection: Db,
    principal: Requester,
    policy: Annotated[str, Form(max_length=64, pattern=NO_NUL)],
    level: Annotated[Level, Form()],
    reason: Annotated[str, Form(max_length=500, pattern=NO_NUL)],
    expires_on: Annotated[dt.date, Form()],
) -> Response:
    day = today()
    code = service.resolve_subject(connection, principal, code)
    overrides.request_override(
        connection,
        principal,
        code=code,
        policy=policy_at(policy, day).policy,
        level=level,
        reason=reason,
        expires_on=expires_on,
        today=day,
    )
    ref = service.subject_ref_of(connection, code)
    return RedirectResponse(f"/subjects/{ref}?policy={policy}", status_code=303)


# ---- overrides -------------------------------------------------------------------------


@router.get("/overrides")
def overrides_page(
    request: Request,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    state: OverrideState | None = OverrideState.REQUESTED,
    all: bool = False,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    items, total = overrides.list_overrides(
        connection,
        principal,
        state=None if all else state,
        offset=offset,
        limit=PAGE,
        today=today(),
        rule=masking(settings),
    )
    return render(
        request,
        "overrides.html",
        {
            "items": items,
            "total": total,
            "offset": offset,
            "all": all,
            "state_labels": STATE_LABELS,
            "page_size": PAGE,
        },
    )


@router.post("/overrides/{override_id}/{decision}")
def decide_override(
    override_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    decision: str,
    connection: Db,
    principal: CurrentPrincipal,
    note: Annotated[str, Form(max_length=500, pattern=NO_NUL)] = "",
) -> Response:
    day = today()
    if decision in ("approve", "reject"):
        overrides.decide(
            connection, principal, override_id, approve=decision == "approve", note=note, today=day
        )
    elif decision == "withdraw":
        overrides.withdraw(connection, principal, override_id, today=day)
    else:
        raise NotFoundError("未找到 / not found")
    return RedirectResponse("/overrides?all=true", status_code=303)


# ---- imports ---------------------------------------------------------------------------


@router.get("/imports")
def imports_page(
    request: Request,
    connection: Db,
    principal: Importer,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    page = importing.import_runs(connection, principal, offset=offset, limit=PAGE)
    return render(request, "imports.html", {"page": page})


@router.post("/imports")
def start_import(
    request: Request,
    principal: Importer,
    settings: AppSettings,
    console: Console,
    files: Annotated[list[UploadFile], File()],
) -> Response:
    upload_id, paths = uploads.save_uploads(
        settings,
        principal,
        [uploads.Upload(f.filename or "", f.file) for f in files],
        console.upload_max_bytes,
    )
    progress = _jobs.start(engine_of(request), settings, principal, upload_id, paths)
    return render(
        request, "partials/import_progress.html", {"upload_id": upload_id, "progress": progress}
    )


@router.get("/imports/jobs/{upload_id}")
def import_progress(request: Request, upload_id: str, principal: Importer) -> Response:
    progress = _jobs.get(upload_id, principal.username)
    if progress is None:
        raise NotFoundError(f"没有该导入任务：{upload_id} / no import job {upload_id}")
    return render(
        request, "partials/import_progress.html", {"upload_id": upload_id, "progress": progress}
    )


# ---- rating runs and policies ----------------------------------------------------------


@router.get("/runs")
def runs_page(
    request: Request,
    connection: Db,
    principal: Reader,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    readable = {u.value for u in principal.readable_utilities}
    runs = rating_runs.visible_runs(connection, readable, offset=offset, limit=PAGE + 1)
    return render(
        request,
        "runs.html",
        {"runs": runs[:PAGE], "has_more": len(runs) > PAGE, "offset": offset, "page_size": PAGE},
    )


@router.get("/policies")
def policies_page(request: Request, principal: Reader) -> Response:
    return render(request, "policies.html", {"policies": shipped()})


@router.get("/policies/{key}")
def policy_page(request: Request, key: str, principal: Reader) -> Response:
    loaded = policy_at(key, None, field="key")
    return render(request, "policy.html", {"loaded": loaded})
