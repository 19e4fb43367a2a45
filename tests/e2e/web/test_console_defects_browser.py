"""The layout side of the console defects of issue 14 (item 7), in a real browser at 1366 px
and 390 px: a long import error wraps in a row of its own instead of squeezing the numbers to
one character per line, and the dashboard draws one trend chart per policy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.api.test_notices_api import save_run
from tests.e2e.api.world import AS_OF, PASSWORD
from tests.e2e.web.conftest import LiveConsole
from tests.support.live import log_in
from utilcredit.db import make_engine

# Width and line count of each cell matching a selector (one client rect per line of text).
CELLS = """(selector) => Array.from(document.querySelectorAll(selector)).map(cell => {
  const range = document.createRange();
  range.selectNodeContents(cell);
  return {width: cell.getBoundingClientRect().width, lines: range.getClientRects().length};
})"""


def new_page(browser: Browser, console: LiveConsole, width: int) -> Page:
    context = browser.new_context(base_url=console.url, viewport={"width": width, "height": 900})
    return context.new_page()


@pytest.mark.parametrize("width", [1366, 390])
def test_a_long_import_error_does_not_squeeze_the_numbers(
    browser: Browser, live_console: LiveConsole, tmp_path: Path, width: int
) -> None:
    # A file of no kind: the reason is long (it lists every kind a file may be named after).
    upload = tmp_path / ("客户清单" + "很长的名字" * 6 + ".csv")
    upload.write_text("统一社会信用代码,名称\n", encoding="utf-8")
    page = new_page(browser, live_console, width)
    log_in(page, "op-water", PASSWORD)
    page.goto("/imports")
    page.set_input_files("#import-files", str(upload))
    page.click("#import-form button[type=submit]")
    outcome = page.locator("#import-outcome")
    expect(outcome).to_have_text("导入失败", timeout=20_000)
    expect(page.locator("#import-result")).to_contain_text(upload.name)
    expect(page.locator("#import-result tr.import-error")).to_contain_text("无法从文件名判断")
    numbers = page.evaluate(CELLS, "#import-result td.num")
    assert numbers and all(cell["lines"] == 1 for cell in numbers), numbers
    # The page itself never scrolls sideways; a wide table scrolls inside its own box.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    page.close()


def test_the_dashboard_draws_a_trend_chart_per_policy(
    browser: Browser, live_console: LiveConsole
) -> None:
    # Two runs of the water policy and one of the power policy, in this module's own store.
    engine = make_engine(f"sqlite:///{live_console.data_dir.parent / 'store.db'}")
    try:
        for policy, day in (("lianshui-water", "2026-10-31"), ("lianshui-water", AS_OF)):
            save_run(engine, policy, plan=False, as_of=dt.date.fromisoformat(day))
        save_run(engine, "huaiyin-power", plan=False, as_of=dt.date.fromisoformat(AS_OF))
    finally:
        engine.dispose()
    page = new_page(browser, live_console, 1366)
    log_in(page, "office", PASSWORD)
    page.goto("/")
    charts = page.locator('div[data-chart="trend"]')
    expect(charts).to_have_count(2)
    assert sorted(charts.evaluate_all("els => els.map(e => e.dataset.policy)")) == [
        "huaiyin-power",
        "lianshui-water",
    ]
    for index in range(2):  # each drawn by ECharts
        expect(charts.nth(index).locator("canvas")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("接入")
    page.close()
