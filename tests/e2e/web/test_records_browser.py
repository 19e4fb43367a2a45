"""The register in a real browser, from filing to the re-rated level: a reviewer confirms a
theft candidate, the operator objects to it with a PDF and the reviewer removes it; the
operator applies to repair the arrears record (refused while the bill is unpaid, with what was
typed kept), the customer pays, the application goes through acceptance, approval and closing,
and the credit file shows the new level with the repair named as the cause.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Browser, expect
from sqlalchemy import Engine

from tests.e2e.web.records_world import PDF, SUBJECT, RecordsWorld, build_records_world
from tests.integration.records.builders import PASSWORD
from tests.support.live import live_server, log_in, log_out
from utilcredit import schema
from utilcredit.access import passwords
from utilcredit.config import Settings
from utilcredit.db import make_engine
from utilcredit.server import create_app


@dataclass(frozen=True)
class RecordsConsole:
    url: str
    world: RecordsWorld
    engine: Engine


@pytest.fixture(scope="module")
def records_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordsConsole]:
    passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    root = tmp_path_factory.mktemp("records-console")
    settings = Settings(data_dir=root / "data", database_url=f"sqlite:///{root / 'store.db'}")
    engine = make_engine(settings.resolved_database_url)
    schema.upgrade(engine)
    world = build_records_world(engine, settings.data_dir)
    with live_server(create_app(settings, engine=engine)) as url:
        yield RecordsConsole(url, world, engine)
    engine.dispose()


def test_objection_and_repair_from_filing_to_the_rerated_level(
    browser: Browser, records_console: RecordsConsole, screenshots: Path, tmp_path: Path
) -> None:
    world = records_console.world
    today = world.today.isoformat()
    context = browser.new_context(
        base_url=records_console.url, viewport={"width": 1360, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    status = page.locator("#record-status")
    flash = page.locator("#flash")

    # The reviewer finds the theft candidate in the queue and confirms it.
    log_in(page, "rev", PASSWORD)
    page.click("header nav a:has-text('失信记录')")
    expect(page.locator(f"tr.record-row[data-id='{world.theft}']")).to_contain_text("待确认")
    page.goto("/records/queue")
    row = page.locator(f"tr.queue-row[data-case='record-{world.theft}']")
    expect(row).to_contain_text("候选记录待确认")
    page.screenshot(path=screenshots / "records-queue.png", full_page=True)
    row.locator(f"a[href='/records/{world.theft}']").click()
    expect(status).to_have_text("待确认")
    page.fill("#confirm-form textarea[name=note]", "窃水事实清楚，予以认定")
    page.click("#confirm-form button[type=submit]")
    expect(flash).to_have_text("已确认认定")
    expect(status).to_have_text("公示中")
    log_out(page)

    # The operator objects, with the meter test report as a PDF.
    report = tmp_path / "表计检定报告.pdf"
    report.write_bytes(PDF)
    log_in(page, "op", PASSWORD)
    page.goto(f"/records/{world.theft}")
    page.fill("#objection-form textarea[name=reason]", "窃水认定有误，系表计故障所致")
    page.set_input_files("#objection-form input[name=files]", str(report))
    page.click("#objection-form button[type=submit]")
    expect(flash).to_have_text("异议已提交")
    expect(status).to_have_text("异议处理中")
    attachment = page.locator("#objections a.attachment")
    expect(attachment).to_have_text("表计检定报告.pdf")
    with page.expect_download() as download:
        attachment.click()
    assert Path(download.value.path()).read_bytes() == PDF
    log_out(page)

    # The reviewer removes the record: its deadline shows in working days.
    log_in(page, "rev", PASSWORD)
    page.goto(f"/records/{world.theft}")
    expect(page.locator("#deadlines")).to_contain_text("异议处理决定")
    page.screenshot(path=screenshots / "record-objection.png", full_page=True)
    page.fill("#objection-decision-form textarea[name=note]", "经核实系表计故障，删除该记录")
    page.click("#objection-decision-form button[value=remove]")
    expect(flash).to_have_text("异议已处理")
    expect(status).to_have_text("已删除")
    expect(page.locator("#timeline")).to_contain_text("删除")
    log_out(page)

    # The operator applies for repair of the arrears record before the bill is paid: refused,
    # with the failing condition on the form and what was typed kept.
    log_in(page, "op", PASSWORD)
    page.goto(f"/records/{world.arrears}")
    commitment = page.locator("#print-commitment")
    href = commitment.get_attribute("href")
    assert href == f"/api/records/{world.arrears}/repair-commitment?format=pdf"
    printed = page.request.get(href)
    assert printed.ok and printed.body().startswith(b"%PDF")
    statement = "已缴清全部欠费及违约金，申请信用修复"
    page.fill("#repair-form textarea[name=statement]", statement)
    page.fill("#repair-form input[name=commitment_signed_on]", today)
    page.click("#repair-form button[type=submit]")
    error = page.locator("#repair-form .form-error")
    expect(error).to_contain_text("不符合信用修复条件")
    expect(error).to_contain_text("仍有未付清的账单")
    expect(page.locator("#repair-form textarea[name=statement]")).to_have_value(statement)
    expect(page.locator("#repair-form input[name=commitment_signed_on]")).to_have_value(today)

    # The customer pays. Still red: the year's three late payments (R2) count until repair.
    world.pay_arrears(records_console.engine)
    page.goto(f"/subjects/{SUBJECT}?policy=shaoguan-water")
    expect(page.locator("#level-badge")).to_have_text("红色")
    page.goto(f"/records/{world.arrears}")
    page.fill("#repair-form textarea[name=statement]", statement)
    page.fill("#repair-form input[name=commitment_signed_on]", today)
    page.click("#repair-form button[type=submit]")  # no proof file: an arrears record needs none
    expect(flash).to_have_text("修复申请已提交")
    repair = page.locator("#repairs .case.repair")
    expect(repair).to_contain_text("已缴清欠费及违约金")
    repair_id = repair.get_attribute("data-id")
    log_out(page)

    # The reviewer accepts, approves and closes.
    log_in(page, "rev", PASSWORD)
    page.goto(f"/records/{world.arrears}")
    page.click("#repair-accept-form button[type=submit]")
    expect(flash).to_have_text("修复申请已受理")
    page.fill("#repair-decision-form textarea[name=note]", "欠费已缴清，准予修复")
    page.click("#repair-decision-form button[value=approved]")
    expect(flash).to_have_text("修复申请已认定")
    expect(status).to_have_text("已修复")
    page.click("#repair-close-form button[type=submit]")
    expect(flash).to_have_text("修复申请已办结")
    expect(page.locator("#repairs")).to_contain_text("准予修复")
    # The repaired bill no longer counts: its evidence card names the record that set it aside.
    page.click("#evidence tr[data-type=bill] a.evidence")
    panel = page.locator("#evidence-panel")
    expect(panel).to_contain_text("已不计入评级")
    expect(panel.locator(f"a[href='/records/{world.arrears}']")).to_be_visible()
    page.screenshot(path=screenshots / "record-repaired.png", full_page=True)

    # The credit file: no longer red, and the level history names the repair.
    page.click("#subject-link")
    expect(page.locator("#level-badge")).to_have_text("黄色")
    cause = f"修复申请 {repair_id} 准予修复失信记录 {world.arrears}"
    newest = page.locator("ol.timeline li").first
    expect(newest).to_contain_text("黄色")
    expect(newest.locator(".cause-case")).to_have_text(cause)
    records = page.locator("#subject-records")
    expect(records.locator(f"tr[data-id='{world.arrears}']")).to_contain_text("已修复")
    expect(records.locator(f"tr[data-id='{world.theft}']")).to_contain_text("已删除")
    context.close()
