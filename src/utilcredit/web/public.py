"""The public disclosure site under ``/public/`` (公示, SPEC 2.4; docs/disclosure.md): no login.

It reads the published view (``disclosure.reads``) and the shipped policies, nothing else: it
imports no principal, no console module and no internal table (an import contract in
``pyproject.toml``). Every page is rate-limited per client address (a token bucket; 429 with
Retry-After) and carries caching headers: ``Cache-Control: public, max-age``, a strong ETag of
the body (``If-None-Match`` answers 304) and, for the published entries, ``Last-Modified`` the
time the view was rebuilt. The reads are short indexed queries, run on the event loop like the
console's live rating (``http/deps.reading_on_loop``), where a thread hop costs more than the
query.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy import Engine

from utilcredit.config import Settings
from utilcredit.disclosure import reads
from utilcredit.disclosure.model import DETAIL_LABELS, EntryKind, RateLimiter
from utilcredit.errors import FieldInvalidError
from utilcredit.http.paths import PUBLIC_SITE
from utilcredit.localtime import today
from utilcredit.policies.loader import LoadedPolicy
from utilcredit.policies.render import RenderFormat, render
from utilcredit.policies.service import policy_at, policy_version, shipped
from utilcredit.web.public_texts import text

router = APIRouter(prefix=PUBLIC_SITE, include_in_schema=False)
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates" / "public")
LANG_COOKIE = "lang"  # the console's language cookie, read so a reader keeps their language
MAX_PAGE = 100_000


# ---- rate limit, language, caching -------------------------------------------------------------


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _limiter(request: Request) -> RateLimiter:
    """One limiter per application (tests build several)."""
    limiter: RateLimiter | None = getattr(request.app.state, "public_limiter", None)
    if limiter is None:
        console = _settings(request).console
        limiter = RateLimiter(console.public_requests_per_minute, console.public_burst)
        request.app.state.public_limiter = limiter
    return limiter


class RateLimitedError(Exception):
    def __init__(self, retry_after: int, lang: str) -> None:
        self.retry_after = retry_after
        self.lang = lang


def _lang(request: Request) -> str:
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return "en" if chosen == "en" else "zh"


async def admitted(request: Request) -> str:
    """The page's language, once the client's bucket has a token (else 429)."""
    client = request.client.host if request.client else "unknown"
    wait = _limiter(request).check(client, time.monotonic())
    if wait:
        raise RateLimitedError(wait, _lang(request))
    return _lang(request)


Lang = Annotated[str, Depends(admitted)]


def rate_limited(request: Request, error: Exception) -> Response:
    """The 429 page (installed on the application by ``web.app.install_console``)."""
    assert isinstance(error, RateLimitedError)
    body = (
        f'<!doctype html><html lang="{"zh-CN" if error.lang == "zh" else "en"}"><meta '
        f'charset="utf-8"><title>429</title><h1>{text("limit.title", error.lang)}</h1>'
        f"<p>{text('limit.text', error.lang)}</p></html>"
    )
    return HTMLResponse(
        body,
        status_code=429,
        headers={"Retry-After": str(error.retry_after), "Cache-Control": "no-store"},
    )


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _page(
    request: Request,
    lang: str,
    template: str,
    context: dict[str, Any],
    *,
    modified: dt.datetime | None = None,
    status_code: int = 200,
) -> Response:
    """Render, then answer with the caching headers (304 when the client's copy is current)."""
    html = TEMPLATES.get_template(template).render(
        {
            "request": request,
            "lang": lang,
            "t": lambda key: text(key, lang),
            "q": "?lang=en" if lang == "en" else "",
            "path": request.url.path,
            "detail_labels": DETAIL_LABELS,
            **context,
        }
    )
    body = html.encode("utf-8")
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {
        "Cache-Control": f"public, max-age={_settings(request).console.public_max_age_seconds}",
        "ETag": etag,
        "Vary": "Cookie",
    }
    if modified is not None:
        headers["Last-Modified"] = format_datetime(_as_utc(modified), usegmt=True)
    if status_code == 200 and etag in _etags(request.headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    return Response(body, status_code, headers, media_type="text/html; charset=utf-8")


def _etags(header: str | None) -> set[str]:
    if not header:
        return set()
    return {part.strip().removeprefix("W/") for part in header.split(",")}


def _as_utc(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones.
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


# ---- pages -------------------------------------------------------------------------------------


@router.get("/")
async def index(request: Request, lang: Lang) -> Response:
    with _engine(request).connect() as connection:
        published = reads.published_at(connection)
    return _page(
        request,
        lang,
        "index.html",
        {"policies": _latest_policies(), "published_at": published},
        modified=published,
    )


@router.get("/policies/{key}")
async def policy(request: Request, key: str, lang: Lang) -> Response:
    try:
        loaded = policy_at(key, None, field="key")
    except FieldInvalidError:
        return _page(request, lang, "not_found.html", {}, status_code=404)
    return _page(
        request,
        lang,
        "policy.html",
        {"loaded": loaded, "policy": loaded.policy, "criteria": _criteria(key, loaded.version)},
    )


Page = Annotated[int, Query(ge=1, le=MAX_PAGE)]


@router.get("/commitments")
async def commitments(request: Request, lang: Lang, page: Page = 1) -> Response:
    return _entries(request, lang, EntryKind.COMMITMENT, page)


@router.get("/records")
async def records(request: Request, lang: Lang, page: Page = 1) -> Response:
    return _entries(request, lang, EntryKind.RECORD, page)


def _entries(request: Request, lang: str, kind: EntryKind, page: int) -> Response:
    with _engine(request).connect() as connection:
        found = reads.entries(connection, kind, today(), page)
        published = reads.published_at(connection)
    return _page(request, lang, "entries.html", {"page": found}, modified=published)


@router.get("/lookup")
async def lookup(
    request: Request, lang: Lang, q: Annotated[str, Query(max_length=1000)] = ""
) -> Response:
    """By USCC or exact name; an empty query shows the form, a bad one says why (422)."""
    context: dict[str, Any] = {"result": None, "error": None, "query": q}
    if not q.strip():
        return _page(request, lang, "lookup.html", context)
    with _engine(request).connect() as connection:
        try:
            context["result"] = reads.look_up(connection, q, today())
        except FieldInvalidError as error:
            zh, _, en = str(error).partition(" / ")
            context["error"] = zh if lang == "zh" or not en else en
            return _page(request, lang, "lookup.html", context, status_code=422)
        published = reads.published_at(connection)
    return _page(request, lang, "lookup.html", context, modified=published)


# ---- the policies --------------------------------------------------------------------------------


def _latest_policies() -> list[LoadedPolicy]:
    """The version in force of each shipped policy, in key order."""
    return [policy_at(key, None) for key in sorted({item.key for item in shipped()})]


@cache
def _criteria(key: str, version: str) -> Markup:
    """The body of the criteria document ``policies/render.py`` renders from the policy data the
    engine runs (autoescaped there), embedded as it is; once per shipped version."""
    loaded = policy_version(key, version)
    assert loaded is not None  # only called with a shipped policy's key and version
    document = render(loaded.policy, RenderFormat.HTML)
    start = document.index("<body>") + len("<body>")
    return Markup(document[start : document.rindex("</body>")])


def install_public(app: FastAPI) -> None:
    """Mount the public site and its 429 answer on ``app``."""
    app.include_router(router)
    app.add_exception_handler(RateLimitedError, rate_limited)
