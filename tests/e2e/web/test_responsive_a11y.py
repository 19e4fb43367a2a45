"""Every main console page and the public site at a phone's width (390 px) and a laptop's
(1366 px): no horizontal page scroll, and axe-core (WCAG 2.1 A/AA) reports nothing serious or
critical.

axe-core comes from npm (package.json; ``./dev setup`` runs ``npm ci``) and is read from
node_modules/: it is a test tool, never served by the console.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, StorageState

from tests.e2e.api.world import AS_OF, PASSWORD, WATER_ONLY
from tests.e2e.web.conftest import LiveConsole
from tests.support.live import log_in

AXE = Path(__file__).resolve().parents[3] / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (390, 1366)
# Who sees every page: the administrator of both utilities; an operator of both for the pages
# that file cases (an administrator files none). None: not logged in.
ADMIN = "admin"
OPERATOR = "op-both"


@dataclass(frozen=True)
class Visit:
    name: str
    path: str
    who: str | None = ADMIN


# The walk: one row per page (the lead adds the pages other parts bring).
PAGES: tuple[Visit, ...] = (
    Visit("dashboard", "/"),
    Visit("search", "/subjects?q=涟水"),
    Visit("credit file", f"/subjects/{WATER_ONLY}?policy=lianshui-water&as_of={AS_OF}"),
    Visit(
        "credit level notice",
        f"/subjects/{WATER_ONLY}/notice?policy=lianshui-water&as_of={AS_OF}",
    ),
    Visit("red and black list", "/lists/red-black"),
    Visit("overrides", "/overrides"),
    Visit("imports", "/imports"),
    Visit("records", "/records"),
    Visit("records queue", "/records/queue"),
    Visit("applications", "/applications"),
    Visit("new application", "/applications/new", OPERATOR),
    Visit("commitments", "/commitments"),
    Visit("notices", "/notices"),
    Visit("print batches", "/print-batches"),
    Visit("batches", "/batches"),
    Visit("exports", "/exports"),
    Visit("checks", "/checks"),
    Visit("runs", "/runs"),
    Visit("policies", "/policies"),
    Visit("policy", "/policies/lianshui-water"),
    Visit("reports", "/reports/monthly"),
    Visit("zones", "/admin/zones"),
    Visit("users", "/admin/users"),
    Visit("user edit", "/admin/users?edit=op-water"),
    Visit("audit log", "/admin/audit"),
    Visit("login", "/login", None),
    Visit("public home", "/public/", None),
    Visit("public commitments", "/public/commitments", None),
    Visit("public records", "/public/records", None),
    Visit("public lookup", f"/public/lookup?q={WATER_ONLY}", None),
    Visit("public policy", "/public/policies/lianshui-water", None),
)

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],  # passes are not listed node by node: quicker
}
SERIOUS = ("serious", "critical")
# What fits across A4 inside the print stylesheet's 12 mm margins, in CSS pixels (96 per inch).
A4_WIDTH = round((210 - 2 * 12) / 25.4 * 96)


def _context(
    browser: Browser, console: LiveConsole, width: int, state: StorageState | None = None
) -> BrowserContext:
    # bypass_csp: the pages allow only their own scripts; axe is injected by the test.
    return browser.new_context(
        base_url=console.url,
        viewport={"width": width, "height": 900},
        bypass_csp=True,
        storage_state=state,
    )


@pytest.fixture(scope="module")
def sessions(browser: Browser, live_console: LiveConsole) -> dict[str | None, StorageState]:
    """Each user of the walk logged in once; both widths reuse the session cookies."""
    if not AXE.exists():
        pytest.fail(f"axe-core not found at {AXE}: run `npm ci` (./dev setup)")
    states: dict[str | None, StorageState] = {}
    for who in {visit.who for visit in PAGES if visit.who is not None}:
        context = _context(browser, live_console, WIDTHS[-1])
        log_in(context.new_page(), who, PASSWORD)
        states[who] = context.storage_state()
        context.close()
    return states


@pytest.fixture(scope="module", params=WIDTHS, ids=lambda w: f"{w}px")
def pages(
    request: pytest.FixtureRequest,
    browser: Browser,
    live_console: LiveConsole,
    sessions: dict[str | None, StorageState],
) -> Iterator[tuple[int, dict[str | None, Page]]]:
    """One page per user of the walk (and one anonymous) at a width."""
    width: int = request.param
    users = {visit.who for visit in PAGES}
    opened = {
        who: _context(browser, live_console, width, sessions.get(who)).new_page() for who in users
    }
    yield width, opened
    for page in opened.values():
        page.context.close()


def _overflow(page: Page) -> dict[str, Any]:
    """The page's scroll width against the window's, and the widest offenders if it scrolls."""
    result: dict[str, Any] = page.evaluate(
        """() => {
            const limit = window.innerWidth;
            const wide = [...document.querySelectorAll('body *')]
              .filter(e => e.getBoundingClientRect().right > limit + 1)
              .filter(e => !e.closest('.table-scroll, nav'))
              .slice(0, 5)
              .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                   + (e.className && typeof e.className === 'string'
                      ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
                   + ' ' + Math.round(e.getBoundingClientRect().right));
            // A navigation link two lines high has wrapped (the old header: a character a line).
            const wrapped = [...document.querySelectorAll('header nav a')]
              .filter(a => a.getBoundingClientRect().height
                           > 2 * parseFloat(getComputedStyle(a).fontSize))
              .map(a => a.textContent.trim());
            return {scroll: document.documentElement.scrollWidth, window: limit, wide, wrapped};
        }"""
    )
    return result


def _axe(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    return [
        f"{v['id']} ({v['impact']}): "
        + json.dumps([n["target"] for n in v["nodes"][:4]], ensure_ascii=False)
        for v in found["violations"]
        if v["impact"] in SERIOUS
    ]


def test_every_page_fits_the_width_and_passes_axe(
    pages: tuple[int, dict[str | None, Page]],
) -> None:
    width, opened = pages
    problems: list[str] = []
    for visit in PAGES:
        page = opened[visit.who]
        response = page.goto(visit.path)
        if response is None or not response.ok:
            problems.append(f"{visit.name} @{width}px: HTTP {response and response.status}")
            continue
        page.wait_for_load_state("networkidle")
        measured = _overflow(page)
        if measured["scroll"] > measured["window"]:
            problems.append(
                f"{visit.name} @{width}px scrolls sideways: {measured['scroll']} > "
                f"{measured['window']} {measured['wide']}"
            )
        if measured["wrapped"]:
            problems.append(f"{visit.name} @{width}px navigation wraps: {measured['wrapped']}")
        problems.extend(f"{visit.name} @{width}px axe {line}" for line in _axe(page))
    assert not problems, "\n".join(problems)


def test_the_skip_link_comes_first_and_leads_to_the_content(
    pages: tuple[int, dict[str | None, Page]],
) -> None:
    _, opened = pages
    for who, path in ((ADMIN, "/"), (None, "/public/")):
        page = opened[who]
        page.goto(path)
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => [document.activeElement.className, document.activeElement.textContent,"
            " document.activeElement.getAttribute('href')]"
        )
        assert focused == ["skip-link", "跳到正文", "#main"], path
        assert page.locator("main#main").count() == 1
        assert page.locator(".skip-link").is_visible()  # shown while focused


def test_printing_drops_the_controls_and_keeps_the_level_colour(
    pages: tuple[int, dict[str | None, Page]],
) -> None:
    width, opened = pages
    page = opened[ADMIN]
    page.goto(PAGES[2].path)  # the credit file
    screen = page.locator("#level-badge").evaluate("e => getComputedStyle(e).backgroundColor")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_WIDTH, "height": 900})
    try:
        for hidden in ("header.top", "form", "button", "select"):
            assert not page.locator(hidden).first.is_visible(), hidden
        badge = page.locator("#level-badge")
        assert badge.is_visible()
        style = badge.evaluate(
            "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).printColorAdjust]"
        )
        assert style == [screen, "exact"]
        table = page.locator("table.clauses")
        assert table.evaluate("e => e.getBoundingClientRect().width") >= A4_WIDTH * 0.9
        assert page.evaluate("() => document.documentElement.scrollWidth") <= A4_WIDTH
    finally:
        page.emulate_media(media="screen")
        page.set_viewport_size({"width": width, "height": 900})
