"""Console pages that belong to no one domain: the language switch, signing in and out, the
dashboard and the shipped policies.

The domains' pages have modules of their own, each with its router (registered in
``web/app.py``): the customer lists (``web/search.py``), the credit file
(``web/creditfile.py``), the rating runs (``web/runs.py``), manual levels (``web/overrides.py``),
imports (``web/imports.py``), the register (``web/records.py``), the counter workflow
(``web/applications.py``, ``web/commitments.py`` …) and notices (``web/notices.py`` …).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from utilcredit.access import service as access
from utilcredit.access.model import AccessDeniedError, LoginThrottledError
from utilcredit.config import ConsoleSettings
from utilcredit.http.deps import (
    SESSION_COOKIE,
    Console,
    CurrentPrincipal,
    Db,
    Reader,
    client_address,
)
from utilcredit.http.params import NO_NUL
from utilcredit.localtime import today
from utilcredit.policies.service import policy_at, shipped
from utilcredit.rating import service as rating_service
from utilcredit.rating.runs import reads as rating_runs
from utilcredit.rating.runs.model import RunHeader, RunStatus
from utilcredit.records import service as register
from utilcredit.web.i18n import LANG_COOKIE, LANGUAGES
from utilcredit.web.rendering import render

router = APIRouter(include_in_schema=False)

LOGIN_CSRF_COOKIE = "uc_login_csrf"


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
    trend = trend_by_policy(runs)
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
            "latest_run": runs[0] if runs else None,
            "cases": cases,
        },
    )


def trend_by_policy(runs: Sequence[RunHeader]) -> list[dict[str, Any]]:
    """The trend as one series per policy, each over its own complete runs' dates, oldest
    first: a water run and a power run rate different populations, so one line through both
    would jump between them."""
    series: dict[str, dict[str, Any]] = {}
    for run in reversed(runs):  # ``runs`` is newest first
        if run.status != RunStatus.COMPLETE:
            continue  # a running or failed run counts nothing yet
        line = series.setdefault(
            run.policy_key, {"policy": run.policy_key, "utility": run.utility, "points": []}
        )
        line["points"].append({"run": run.id, "as_of": run.as_of, "levels": run.level_counts})
    return [{"id": f"trend-{i}", **line} for i, line in enumerate(series.values())]


# ---- policies (the rating runs' pages: web/runs.py) ------------------------------------


@router.get("/policies")
def policies_page(request: Request, principal: Reader) -> Response:
    return render(request, "policies.html", {"policies": shipped()})


@router.get("/policies/{key}")
def policy_page(request: Request, key: str, principal: Reader) -> Response:
    loaded = policy_at(key, None, field="key")
    return render(request, "policy.html", {"loaded": loaded})
