"""The console in a real browser: log in, search, read a credit file and its explanation,
request and approve an override, import a file with a bad row and download the reject report.

Run with ``UTILCREDIT_SCREENSHOTS=docs/screenshots`` to refresh the documentation screenshots.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e.api.world import AS_OF, PASSWORD, WATER_ONLY, uscc
from tests.e2e.web.conftest import LiveConsole
from tests.support.live import log_in, log_out
from utilcredit.documents.model import LEVEL_BADGE_COLOURS

# How many lines each text of the cells matching a selector takes (one rect per line box).
LINES_OF_TEXT = """(selector) => Array.from(document.querySelectorAll(selector)).flatMap(cell => {
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  const counts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) { continue; }
    const range = document.createRange();
    range.selectNodeContents(node);
    counts.push(range.getClientRects().length);
  }
  return counts;
})"""


def new_page(browser: Browser, console: LiveConsole) -> Page:
    context = browser.new_context(
        base_url=console.url, viewport={"width": 1360, "height": 900}, accept_downloads=True
    )
    return context.new_page()


def test_operator_and_reviewer_work_through_the_console(
    browser: Browser, live_console: LiveConsole, screenshots: Path
) -> None:
    page = new_page(browser, live_console)
    page.goto("/login")
    expect(page.locator("h1")).to_have_text("登录")
    page.screenshot(path=screenshots / "login.png")
    log_in(page, "op-water", PASSWORD)

    # Dashboard with live distributions (charts drawn by ECharts from local assets).
    page.goto("/")
    expect(page.locator("#dist-water-level canvas")).to_be_visible()
    page.screenshot(path=screenshots / "dashboard.png", full_page=True)

    # Search a customer and open the credit file.
    page.goto("/subjects")
    page.fill("#q", "甲水业")
    page.click("form.search button")
    result = page.locator("#results a", has_text="涟水县甲水业用户公司")
    expect(result).to_be_visible()
    page.screenshot(path=screenshots / "search.png")
    result.click()
    expect(page.locator("h1")).to_have_text("涟水县甲水业用户公司")

    page.goto(f"/subjects/{WATER_ONLY}?policy=lianshui-water&as_of={AS_OF}")
    badge = page.locator("#level-badge")
    expect(badge).to_have_text("黑色")
    fired = page.locator("tr.clause[data-clause=K1]")
    expect(fired).to_contain_text("触发")
    chip = fired.locator("a.evidence").first
    chip.click()
    # The record opens in the row right under the clause that cites it, in words and units;
    # the same chip closes it again.
    opened = page.locator("tr.clause[data-clause=K1] + tr.evidence-row")
    expect(opened).to_be_visible()
    expect(opened).to_contain_text("B1")
    expect(opened).to_contain_text("元")
    expect(chip).to_have_attribute("aria-expanded", "true")
    clause_box, card_box = fired.bounding_box(), opened.bounding_box()
    assert clause_box is not None and card_box is not None
    assert abs(card_box["y"] - (clause_box["y"] + clause_box["height"])) < 2
    chip.click()
    expect(opened).to_be_hidden()
    expect(chip).to_have_attribute("aria-expanded", "false")
    chip.click()
    expect(opened).to_contain_text("B1")
    # Level and result stay on one line each ("绿色", "不满足"), at the desktop width.
    lines = page.evaluate(LINES_OF_TEXT, "table.clauses tr.clause:not(.quiet) td.nowrap")
    assert lines and max(lines) == 1, lines
    expect(page.locator("#table-bills table")).to_contain_text("B1-25")
    expect(page.locator("#table-reminders")).to_be_visible()
    page.screenshot(path=screenshots / "credit-file.png", full_page=True)

    # The credit level notice: an A4 document whose level keeps its colour in print.
    notice_href = page.locator("#notice-link").get_attribute("href")
    assert notice_href is not None
    page.goto(notice_href)
    expect(page.locator("h1.doc-title")).to_have_text("信用等级告知书")
    page.emulate_media(media="print")
    big = page.locator(".level-badge.big")
    expect(big).to_have_text("黑色")
    hexa = LEVEL_BADGE_COLOURS["黑色"][0].lstrip("#")
    rgb = ", ".join(str(int(hexa[i : i + 2], 16)) for i in (0, 2, 4))
    expect(big).to_have_css("background-color", f"rgb({rgb})")
    expect(page.locator(".doc-toolbar")).to_be_hidden()
    page.emulate_media(media="screen")
    page.screenshot(path=screenshots / "credit-level-notice.png", full_page=True)

    # Request an override (the operator), expiry in 60 days.
    page.goto(f"/subjects/{WATER_ONLY}?policy=lianshui-water")
    page.click("#override-form-box summary")
    page.select_option("#override-form select[name=level]", "red")
    page.fill("#override-form textarea[name=reason]", "已签订分期还款协议，首期已缴")
    expiry = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    page.fill("#override-form input[name=expires_on]", expiry)
    page.click("#override-form button[type=submit]")
    expect(page.locator("tr.override-row[data-state=requested]")).to_be_visible()
    log_out(page)

    # The reviewer approves it; the level in force changes, the computed one stays beside it.
    log_in(page, "rev-water", PASSWORD)
    page.goto("/overrides")
    row = page.locator("tr.override-row[data-state=requested]", has_text=WATER_ONLY)
    row.locator("input[name=note]").fill("协议属实")
    page.screenshot(path=screenshots / "overrides.png")
    row.locator("button.approve").click()
    expect(
        page.locator("tr.override-row[data-state=approved]", has_text=WATER_ONLY)
    ).to_be_visible()
    page.goto(f"/subjects/{WATER_ONLY}?policy=lianshui-water")
    expect(page.locator("#level-badge")).to_have_text("红色")
    expect(page.locator("#computed-badge")).to_have_text("黑色")
    expect(page.locator("#override-in-force")).to_contain_text("已签订分期还款协议")

    # English switch.
    page.click("header a.lang")
    expect(page.locator("#level-badge")).to_have_text("Red")
    page.click("header a.lang")
    page.close()


def test_import_with_a_bad_row_and_the_reject_report(
    browser: Browser, live_console: LiveConsole, screenshots: Path, tmp_path: Path
) -> None:
    upload = tmp_path / "subjects.csv"
    upload.write_text(
        f"code,kind,name\n{uscc(500)},legal,涟水县导入测试公司\n913208260000000099,legal,校验位错误公司\n",
        encoding="utf-8",
    )
    page = new_page(browser, live_console)
    log_in(page, "op-water", PASSWORD)
    page.goto("/imports")
    page.set_input_files("#import-files", str(upload))
    page.click("#import-form button[type=submit]")
    link = page.locator("#reject-report")
    expect(link).to_be_visible(timeout=20_000)
    expect(page.locator("#import-result")).to_contain_text("subjects")
    page.screenshot(path=screenshots / "import.png", full_page=True)
    with page.expect_download() as download_info:
        link.click()
    content = Path(download_info.value.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content)))
    assert [(r["file"], r["row"], r["field"]) for r in rows] == [("subjects.csv", "3", "code")]
    page.close()


def test_policy_criteria_and_runs_pages(
    browser: Browser, live_console: LiveConsole, screenshots: Path
) -> None:
    page = new_page(browser, live_console)
    log_in(page, "office", PASSWORD)
    page.goto("/policies/lianshui-water")
    expect(page.frame_locator("iframe.criteria").locator("body")).to_contain_text("黑色")
    page.screenshot(path=screenshots / "policy.png")
    page.goto("/runs")
    expect(page.locator("main")).to_contain_text("暂无评级运行记录")
    page.goto("/docs")
    expect(page.locator(".swagger-ui")).to_be_visible()
    page.screenshot(path=screenshots / "api-docs.png")
    page.close()
