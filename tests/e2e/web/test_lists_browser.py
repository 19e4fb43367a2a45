"""The lists in a real browser: an operator starts a rating run from the console, filters the
customer list by level (htmx swaps the results in place), downloads the export, and finds the
black customer on the red/black list; at 390 px the list and run pages fit the width and
axe-core finds nothing serious (the helpers of ``test_responsive_a11y.py``)."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from playwright.sync_api import Browser, expect

from tests.e2e.api.world import AS_OF, PASSWORD, WATER_ONLY
from tests.e2e.web.conftest import LiveConsole
from tests.e2e.web.test_responsive_a11y import _axe, _overflow
from tests.support.live import log_in


def test_start_a_run_then_filter_export_and_red_black(
    browser: Browser, live_console: LiveConsole
) -> None:
    context = browser.new_context(
        base_url=live_console.url, viewport={"width": 1366, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    log_in(page, "op-water", PASSWORD)

    page.goto("/runs")
    page.select_option("#run-policy", "lianshui-water")
    page.fill("#run-as-of", AS_OF)
    page.click("#start-run button")
    expect(page.locator("h1")).to_contain_text("评级运行")
    # the console rates in a thread of its own; the run's page refreshes itself meanwhile
    expect(page.locator("dl.run-facts")).to_contain_text("已完成", timeout=30_000)
    run_id = int(page.url.rsplit("/", 1)[1])

    page.goto("/subjects")
    before = int(page.locator("#total").get_attribute("data-total") or 0)
    page.select_option("#f-level", "black")
    expect(page).to_have_url(re.compile(r"/subjects\?.*level=black"))  # the filter is shareable
    badges = page.locator("#results td.levels .badge")
    expect(badges.first).to_be_visible()
    assert set(badges.evaluate_all("els => els.map(e => e.dataset.level)")) == {"black"}
    black = int(page.locator("#total").get_attribute("data-total") or 0)
    assert 0 < black < before

    with page.expect_download() as download:
        page.click("#export")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).worksheets[0]
    assert sheet.max_row - 1 == black  # the header, then the filtered list

    page.click("text=红黑名单")
    expect(page.locator("h1")).to_have_text("红黑名单")
    expect(page.locator("#results")).to_contain_text(WATER_ONLY)
    run_page = f"/runs/{run_id}"
    narrow = browser.new_context(
        base_url=live_console.url,
        viewport={"width": 390, "height": 900},
        bypass_csp=True,  # axe is injected by the test
        storage_state=context.storage_state(),
    ).new_page()
    problems: list[str] = []
    for path in (
        "/subjects?level=black",
        "/lists/red-black",
        "/runs",
        run_page,
        f"/runs/compare?a={run_id}&b={run_id}&from=black&to=black",
    ):
        narrow.goto(path)
        narrow.wait_for_load_state("networkidle")
        measured = _overflow(narrow)
        if measured["scroll"] > measured["window"]:
            problems.append(f"{path} scrolls sideways: {measured}")
        problems.extend(f"{path} axe {line}" for line in _axe(narrow))
    assert not problems, "\n".join(problems)
    narrow.context.close()
    context.close()
