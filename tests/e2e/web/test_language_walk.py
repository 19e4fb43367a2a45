"""Every console page in both languages (issue 14 item 6): no English in the Chinese UI, no
Chinese in the English UI, no untranslated catalogue key.

The walk enumerates the console's GET routes (``app.routes``: the pages of ``utilcredit.web``)
and visits each one in Chinese and in English (cookie ``lang``) as a user holding every role
for both utilities, over a world with data behind most pages: the API tests' customers, two
saved rating runs with their notices, dishonesty records with an objection and a repair, a
pending override and an export batch. A route with path parameters is filled from links the
walk has seen on other pages (matched by the route's own pattern), else from the world's
known values; the few with nothing to fill them stay unvisited and are listed when the test
fails. Downloads (CSV, XLSX, PDF) are not pages and are skipped by their content type.

What counts as a defect, in the page's visible text (no scripts, styles or attributes):

* **a raw catalogue key** (``dashboard.title``): a word shaped ``prefix.name`` whose prefix is
  one of the catalogue's;
* **in the Chinese UI, a stored English value** as a whole word: a level, a utility, a payment
  mode, a status, a column's stored name (:data:`RAW_WORDS`). Words joined to others by ``-``,
  ``_``, ``.``, ``/``, ``:`` or ``@`` are identifiers (``lianshui-water``, ``subjects.csv``,
  ``op-water``), not words, and abbreviations in :data:`ALLOWED` are the same in both
  languages;
* **in the English UI, Chinese characters in the page's chrome**: headings ``h1``–``h3``,
  table headers, labels, buttons, legends, summaries, navigation links and the title. Data
  shown there (a customer's name, a policy's title, a Chinese document's name) is marked
  ``translate="no"`` — HTML's own mark for text that is not to be translated — and is left
  out; so is text in ``<code>`` (literal names to type, like a file's stem).
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.e2e.api.test_notices_api import save_run
from tests.e2e.api.world import PASSWORD, WATER_ONLY, Casework, World, build_world
from tests.support import console
from utilcredit.access import service as access
from utilcredit.access.model import Role
from utilcredit.config import Settings
from utilcredit.customers.model import PaymentMode, SubjectKind, Utility
from utilcredit.localtime import today
from utilcredit.overrides import service as overrides
from utilcredit.overrides.model import OverrideState
from utilcredit.policies.model.levels import Level
from utilcredit.policies.service import policy_at
from utilcredit.rating.runs.model import RunStatus
from utilcredit.server import create_app
from utilcredit.web.i18n import CATALOG

pytestmark = pytest.mark.sqlite_only  # the words on a page do not depend on the store

WALKER = "walker"
# Pages other helpers of issue 14 are rewriting, with what the walk found on them: reported to
# them rather than fixed here, and not failing this test meanwhile (a warning each). Strict:
# an entry whose page has become clean fails the test, so the list only shrinks.
PENDING: dict[tuple[str, str], str] = {}
# Stored values that must never reach the Chinese UI as they are stored.
RAW_WORDS = frozenset(
    {
        *(level.value for level in Level),
        *(utility.value for utility in Utility),
        *(mode.value for mode in PaymentMode),
        *(kind.value for kind in SubjectKind),
        *(state.value for state in OverrideState),
        *(status.value for status in RunStatus),
        "done",
        "pending",
        "running",
        "failed",
        "class",
        "severity",
        "note",
        "source",
        "rating",
        "key",
        "from",
        "to",
        "none",
        "true",
        "false",
        "subjects",
        "accounts",
        "bills",
        "payments",
        "incidents",
    }
)
# The same in both languages: abbreviations and units.
ALLOWED = frozenset({"API", "USCC", "CSV", "XLSX", "PDF", "ID", "JSON", "JSONL", "SMS", "kWh"})
# ASCII boundaries: a stored word shows inside Chinese text too ("没有power账户").
_JOINED = r"A-Za-z0-9_\-./:@"
_WORD = re.compile(rf"(?<![{_JOINED}])[A-Za-z][A-Za-z_]*(?![{_JOINED}])")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_PREFIXES = sorted({key.split(".")[0] for key in CATALOG}, key=len, reverse=True)
_RAW_KEY = re.compile(
    rf"(?<![{_JOINED}])(?:" + "|".join(map(re.escape, _PREFIXES)) + r")\.[a-z_]+(?:\.[a-z_]+)*\b"
)
CHROME = frozenset({"h1", "h2", "h3", "th", "label", "button", "legend", "summary"})
# Not looked at: scripts and styles; literal text to type; and a form's values — a select's
# options list data (areas, policies, the platform's catalogue) and a textarea holds input.
SKIPPED = frozenset(
    {"code", "kbd", "samp", "script", "style", "template", "textarea", "select", "title"}
)
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "source", "wbr", "col", "area"})


class _Page(HTMLParser):
    """The visible text of a page, and which of it is chrome; the links it holds."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.chrome: list[str] = []
        self.links: list[str] = []
        self._stack: list[tuple[str, bool, bool, bool]] = []  # tag, skipped, no-translate, chrome

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a" and found.get("href"):
            self.links.append(str(found["href"]))
        if tag in _VOID:
            return
        skipped, data, chrome = self._state()
        in_nav = tag == "a" and any(t == "nav" for t, *_ in self._stack)
        self._stack.append(
            (
                tag,
                skipped or tag in SKIPPED,
                data or found.get("translate") == "no",
                chrome or tag in CHROME or in_nav,
            )
        )

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                del self._stack[index:]
                return

    def _state(self) -> tuple[bool, bool, bool]:
        if not self._stack:
            return False, False, False
        _, skipped, data, chrome = self._stack[-1]
        return skipped, data, chrome

    def handle_data(self, data: str) -> None:
        skipped, no_translate, chrome = self._state()
        if skipped or no_translate or not data.strip():
            return
        self.text.append(data)
        if chrome:
            self.chrome.append(data)


@dataclass
class Findings:
    problems: dict[str, list[str]] = field(default_factory=dict)

    def add(self, where: str, what: str) -> None:
        self.problems.setdefault(where, []).append(what)


def check_page(lang: str, url: str, html: str, findings: Findings) -> list[str]:
    page = _Page()
    page.feed(html)
    text = " ".join(" ".join(page.text).split())
    where = f"{lang} {url}"
    for key in sorted(set(_RAW_KEY.findall(text))):
        if key in CATALOG:
            findings.add(where, f"raw key {key!r}")
    if lang == "zh":
        words = {w for w in _WORD.findall(text) if w not in ALLOWED}
        for word in sorted(w for w in words if w.lower() in RAW_WORDS):
            findings.add(where, f"English {word!r}: …{_around(text, word)}…")
    else:
        for chrome in page.chrome:
            if _CJK.search(chrome):
                findings.add(where, f"Chinese in the chrome: {chrome.strip()[:60]!r}")
    return page.links


def _around(text: str, word: str) -> str:
    found = re.search(rf"(?<![{_JOINED}]){re.escape(word)}(?![{_JOINED}])", text)
    assert found is not None
    return text[max(0, found.start() - 30) : found.end() + 30]


# ---- the routes ---------------------------------------------------------------------------


def console_routes(app: FastAPI) -> list[APIRoute]:
    """The console's GET routes, through included routers too."""

    def walk(routes: list[Any]) -> Iterator[APIRoute]:
        for route in routes:
            if isinstance(route, APIRoute):
                yield route
            elif hasattr(route, "original_router"):  # FastAPI ≥ 0.16x keeps includes apart
                yield from walk(route.original_router.routes)
            elif hasattr(route, "routes"):
                yield from walk(route.routes)

    return [
        route
        for route in walk(app.routes)
        if "GET" in (route.methods or ())
        and route.endpoint.__module__.startswith("utilcredit.web")
        and route.path not in ("/lang/{lang}", "/imports/jobs/{upload_id}")  # redirect; a job
    ]


# ---- the world ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Known:
    """Values for path parameters when no page links to one."""

    values: dict[str, str]


def build(engine: Engine, tmp_path: Path, settings: Settings) -> tuple[World, Known]:
    world = build_world(engine, tmp_path / "export")
    with engine.begin() as connection:
        access.create_user(
            connection,
            username=WALKER,
            display_name=WALKER,
            password=PASSWORD,
            roles=frozenset(Role),
            utilities=frozenset(Utility),
            actor="setup",
        )
    water_run = save_run(engine, "lianshui-water")
    save_run(engine, "huaiyin-power")
    cases = Casework(engine, world, tmp_path / "casework", settings)
    record = cases.published(Utility.WATER)
    cases.objection(Utility.WATER)
    cases.repair(Utility.WATER)
    day = today()
    with engine.begin() as connection:
        overrides.request_override(
            connection,
            world.users["op-water"].principal,
            code=WATER_ONLY,
            policy=policy_at("lianshui-water", day).policy,
            level=Level.YELLOW,
            reason="已与客户签订还款协议",
            expires_on=day + dt.timedelta(days=30),
            today=day,
        )
    known = {
        "code": WATER_ONLY,
        "key": "lianshui-water",
        "run_id": str(water_run),
        "record_id": str(record),
        "table": "bills",
    }
    return world, Known(known)


def log_in(app: FastAPI, lang: str, username: str = WALKER) -> TestClient:
    return console.log_in(app, username, lang).client


def make_batch(client: TestClient) -> None:
    """An export batch, from the console's form as an operator makes one."""
    page = client.get("/exports")
    token = re.search(r'data-csrf="([^"]+)"', page.text)
    assert token is not None
    form = {"kind": "payments", "mode": "full", "format": "csv", "as_of": "2026-11-22"}
    done = client.post(
        "/exports", data={**form, "csrf_token": token.group(1)}, follow_redirects=False
    )
    assert done.status_code == 303, done.text


def fill(route: APIRoute, links: set[str], known: Known) -> str | None:
    """A URL for the route: a link seen that matches it, else one from the known values."""
    if not route.param_convertors:
        return route.path
    for link in sorted(links):
        if route.path_regex.match(link.split("?")[0].split("#")[0]):
            return link
    url = route.path
    for name in route.param_convertors:
        if name not in known.values:
            return None
        url = url.replace("{" + name + "}", known.values[name])
    return url


# ---- the walk ------------------------------------------------------------------------------


def test_every_page_speaks_one_language(engine: Engine, tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", database_url=engine.url.render_as_string(hide_password=False)
    )
    _, known = build(engine, tmp_path, settings)
    app = create_app(settings, engine=engine)
    routes = console_routes(app)
    assert len(routes) >= 30  # the walk sees the console, not an empty list
    findings, pending = Findings(), Findings()
    unvisited: set[str] = set()
    visited: set[str] = set()
    for lang in ("zh", "en"):
        client = log_in(app, lang)
        if lang == "zh":
            make_batch(client)
        links: set[str] = {"/"}
        # Pages without parameters first: their links fill the others'.
        for route in sorted(routes, key=lambda r: (bool(r.param_convertors), r.path)):
            url = fill(route, links, known)
            if url is None:
                unvisited.add(route.path)
                continue
            response = client.get(url)
            if not response.headers.get("content-type", "").startswith("text/html"):
                continue  # a download
            assert response.status_code < 500, (url, response.text[:500])
            visited.add(route.path)
            into = pending if (lang, route.path) in PENDING else findings
            found = check_page(lang, route.path, response.text, into)
            links.update(link for link in found if link.startswith("/"))
    assert not findings.problems, (
        "\n".join(
            f"{where}: {what}"
            for where, whats in sorted(findings.problems.items())
            for what in whats
        )
        + f"\n(not visited, nothing to fill them: {sorted(unvisited)})"
    )
    for where, whats in sorted(pending.problems.items()):
        warnings.warn(
            f"reported, pending: {where}: {len(whats)} finding(s), e.g. {whats[0]}", stacklevel=1
        )
    clean = [k for k in PENDING if k[1] in visited and f"{k[0]} {k[1]}" not in pending.problems]
    assert not clean, f"clean now: remove from PENDING {clean}"
    # Refusals speak the page's language too: a subject without an account of the policy's
    # utility, a user without the permission a page needs.
    refusals = Findings()
    for lang in ("zh", "en"):
        other = log_in(app, lang).get(f"/subjects/{WATER_ONLY}?policy=huaiyin-power")
        assert other.status_code in (200, 404)  # the file, saying it is not rated, or not found
        into = pending if (lang, "/subjects/{code}") in PENDING else refusals  # as above
        check_page(lang, "/subjects/{code}", other.text, into)
        denied = log_in(app, lang, "auditor-water").get("/imports")
        assert denied.status_code == 403
        check_page(lang, "/imports as an auditor", denied.text, refusals)
        if lang == "zh":
            assert "没有供电账户" in other.text and "“数据导入”权限" in denied.text
    assert not refusals.problems, refusals.problems
    # The criteria document the policy page frames names report sources, not their keys.
    criteria = log_in(app, "zh").get("/api/policies/lianshui-water/criteria").text
    assert "信用江苏" in criteria and "jiangsu" not in criteria
    # The walk reached the pages this world has data for.
    for path in ("/", "/subjects/{code}", "/records/{record_id}", "/runs/{run_id}", "/imports"):
        assert path in visited


def test_the_checker_finds_what_it_looks_for() -> None:
    """The walk's own check, on pages made to fail it."""
    findings = Findings()
    check_page("zh", "/a", "<h1>dashboard.title</h1><p>没有power账户 · 状态 done</p>", findings)
    check_page(
        "zh", "/b", "<p>lianshui-water · op-water · subjects.csv · <code>bills</code></p>", findings
    )
    check_page("en", "/c", '<h1>客户</h1><h2 translate="no">甲公司</h2><td>乙公司</td>', findings)
    assert set(findings.problems) == {"zh /a", "en /c"}  # identifiers and code pass
    zh_a = findings.problems["zh /a"]
    assert "raw key 'dashboard.title'" in zh_a
    assert any(p.startswith("English 'done'") for p in zh_a)
    assert any(p.startswith("English 'power'") for p in zh_a)  # "没有power账户"
    assert findings.problems["en /c"] == ["Chinese in the chrome: '客户'"]  # not the data
