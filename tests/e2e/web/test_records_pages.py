"""The register's console pages over HTTP (SQLite and PostgreSQL): the list, a record, the
queue, the dashboard card and the subject page's records; every form with its CSRF token, its
refusals (403, 404, the services' 422 shown on the form with what was typed) and its result."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from tests.e2e.web.records_world import (
    PDF,
    PERSON,
    SETTINGS,
    SHAOGUAN,
    SUBJECT,
    RecordsWorld,
    build_records_world,
)
from tests.integration.records.builders import PASSWORD, Store
from tests.support import console
from tests.support.apps import app_for
from utilcredit.config import Settings
from utilcredit.policies.model.dishonesty import DishonestyClass, DishonestyKind
from utilcredit.records import derivation, repairs, service
from utilcredit.records.model import ObjectionStatus, RecordStatus, RepairDecision, RepairStatus
from utilcredit.web.casework import (
    CLASS_EN,
    DECISION_EN,
    KIND_EN,
    OBJECTION_STATUS_EN,
    RECORD_STATUS_EN,
    REPAIR_STATUS_EN,
)

# Stored names no page may show (the words people read are the labels).
RAW_VALUES = sorted(
    {
        *(s.value for s in RecordStatus),
        *(s.value for s in ObjectionStatus),
        *(s.value for s in RepairStatus),
        *(d.value for d in RepairDecision),
        *(k.value for k in DishonestyKind),
        *(c.value for c in DishonestyClass),
    }
)
RAW = re.compile(r"(?<![\w-])(" + "|".join(RAW_VALUES) + r")(?![\w-])")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def world(engine: Engine, data_dir: Path) -> RecordsWorld:
    return build_records_world(engine, data_dir, overdue_objection=True)


@pytest.fixture
def app(engine: Engine, data_dir: Path, world: RecordsWorld) -> FastAPI:
    settings = Settings(
        data_dir=data_dir, database_url=engine.url.render_as_string(hide_password=False)
    )
    return app_for(settings, engine)


def log_in(app: FastAPI, username: str, lang: str | None = None) -> console.Session:
    return console.log_in(app, username, lang, password=PASSWORD)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._hidden += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    """What a reader sees of a page: its text, without tags, attributes or scripts."""
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def assert_no_raw_values(html: str) -> None:
    assert RAW.findall(visible(html)) == []


def ids(html: str, css: str = "record-row") -> list[int]:
    return [int(i) for i in re.findall(rf'class="{css}[^"]*" data-id="(\d+)"', html)]


def section(html: str, element_id: str) -> str:
    """The element with ``element_id`` (a section, form or table: none of them nests)."""
    start = html.rindex("<", 0, html.index(f'id="{element_id}"'))
    tag = re.match(r"<(\w+)", html[start:])
    assert tag is not None
    return html[start : html.index(f"</{tag.group(1)}>", start)]


def status_of(engine: Engine, record_id: int) -> str:
    with engine.connect() as connection:
        return service.record_view(connection, None, record_id).record.status


# ---- the list --------------------------------------------------------------------------


def test_the_list_shows_labels_and_filters(app: FastAPI, world: RecordsWorld) -> None:
    reviewer = log_in(app, "rev")
    page = reviewer.get("/records")
    assert page.status_code == 200
    text = visible(page.text)
    for label in ("失信记录", "欠费经催告逾期未缴", "窃水/窃电", "一般", "公示中", "待确认"):
        assert label in text
    assert_no_raw_values(page.text)
    assert '<a href="/records">失信记录</a>' in page.text  # the navigation entry
    # The reviewer's utility only: the power candidate is not listed.
    assert ids(page.text) == [world.theft, world.person_record, world.arrears]
    row = page.text[page.text.index(f'data-id="{world.arrears}"') :]
    assert f'href="/subjects/{SUBJECT}?policy=shaoguan-water"' in row
    assert str(world.today - dt.timedelta(days=110)) in row

    def listed(query: str) -> list[int]:
        response = reviewer.get(f"/records?{query}")
        assert response.status_code == 200, response.text
        return ids(response.text)

    assert listed("status=candidate") == [world.theft]
    assert listed("kind=arrears") == [world.arrears]
    assert listed("class=general&status=published") == [world.arrears]
    assert listed("class=serious") == []
    assert listed("policy=zhanjiang-power") == []
    assert listed("overdue=true") == [world.person_record]
    assert listed(f"subject={world.subject_id}") == [world.theft, world.arrears]
    refused = reviewer.get("/records?status=bogus")
    assert refused.status_code == 422
    assert "取值无效" in visible(refused.text)

    office = log_in(app, "office")
    assert ids(office.get("/records").text) == [
        world.power,
        world.theft,
        world.person_record,
        world.arrears,
    ]


def test_the_list_pages_and_keeps_its_filters(
    app: FastAPI, engine: Engine, world: RecordsWorld
) -> None:
    with engine.begin() as connection:
        store = Store(connection, code="91440200MA4UTEST2X")
        store.account("SG-2")
        for n in range(21):
            store.incident("SG-2", "violation", world.today - dt.timedelta(n))
    with engine.begin() as connection:
        derived = derivation.derive(connection, SHAOGUAN, world.today, settings=SETTINGS).created
    assert len(derived) == 21
    reviewer = log_in(app, "rev")
    first = reviewer.get("/records?status=candidate")
    assert len(ids(first.text)) == 20
    following = re.search(r'href="(/records\?[^"]*)" rel="next"', first.text)
    assert following is not None
    assert "status=candidate" in following.group(1)
    second = reviewer.get(following.group(1).replace("&amp;", "&"))
    assert len(ids(second.text)) == 2  # 21 violations and the theft
    assert set(ids(first.text)) | set(ids(second.text)) == {*derived, world.theft}
    assert 'rel="next"' not in second.text
    assert 'rel="prev"' in second.text


# ---- a record --------------------------------------------------------------------------


def test_the_record_page_shows_fields_evidence_history_and_deadlines(
    app: FastAPI, world: RecordsWorld
) -> None:
    operator = log_in(app, "op")
    page = operator.get(f"/records/{world.arrears}")
    assert page.status_code == 200
    text = visible(page.text)
    for expected in (
        "D1 无正当理由欠缴水费数额较大，经催告后超过一个月仍未缴纳",
        '种子001"二、工作任务"',
        "示范供水有限公司",
        "91440200617512345J",
        "shaoguan-water 2022.1",
        "12000.00",
        "韶关示范实业有限公司",
        "按规则提出候选",
        "待确认 → 已认定",
        "已认定 → 公示中",
        "催告",
        "账单",
    ):
        assert expected in text, expected
    assert_no_raw_values(page.text)
    bill = re.search(r'href="(/subjects/[^"]*evidence\?kind=bill&amp;ref=(B\d+))"', page.text)
    assert bill is not None
    panel = operator.get(bill.group(1).replace("&amp;", "&"))
    assert panel.status_code == 200 and bill.group(2) in panel.text
    assert "缴费期限" in panel.text and "amount_fen" not in panel.text
    assert 'id="deadlines"' not in page.text  # nothing is due on this record
    # The operator may object and apply; the commitment prints through the API route.
    assert 'id="objection-form"' in page.text and 'id="repair-form"' in page.text
    link = f"/api/records/{world.arrears}/repair-commitment?format=pdf"
    assert link in page.text
    printed = operator.get(link.replace("pdf", "html"))
    assert printed.status_code == 200 and "信用修复承诺书" in printed.text
    assert 'id="confirm-form"' not in page.text

    # An objection past its five working days: due date and working days, in red.
    overdue = operator.get(f"/records/{world.person_record}")
    deadlines = section(overdue.text, "deadlines")
    assert "异议处理决定" in visible(deadlines)
    assert re.search(r'class="deadline overdue-row"', deadlines)
    assert re.search(r'<span class="overdue">已超期 \d+ 个工作日</span>', deadlines)
    attachment = re.search(r'href="/api/attachments/(\d+)" download>说明.pdf', overdue.text)
    assert attachment is not None
    # The console's session reads the attachment through the API route, as a download.
    download = operator.get(f"/api/attachments/{attachment.group(1)}")
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-disposition"].startswith("attachment")


def test_a_repair_in_progress_shows_its_deadline_in_working_days(
    app: FastAPI, engine: Engine, world: RecordsWorld, data_dir: Path
) -> None:
    world.pay_arrears(engine)
    with engine.begin() as connection:
        repair = repairs.apply_repair(
            connection,
            world.people.operator,
            world.arrears,
            statement="已缴清欠费",
            commitment_signed_on=world.today,
            today=world.today,
            settings=SETTINGS,
            folder=data_dir,
        )
    page = log_in(app, "rev").get(f"/records/{world.arrears}")
    row = section(page.text, "deadlines")
    assert "修复申请受理" in visible(row)
    assert str(repair.accept_due_on) in row
    assert re.search(r"<td>3</td>", row)  # three working days to accept
    assert "overdue" not in row
    assert 'id="repair-accept-form"' in page.text


def test_another_utilitys_record_answers_404(
    app: FastAPI, engine: Engine, world: RecordsWorld
) -> None:
    water = log_in(app, "rev")
    page = water.get(f"/records/{world.power}")
    assert page.status_code == 404
    assert "没有该失信记录" in visible(page.text)
    refused = water.post(f"/records/{world.power}/confirm", {"note": "确认"})
    assert refused.status_code == 404
    assert status_of(engine, world.power) == "candidate"
    power = log_in(app, "prev")
    assert power.get(f"/records/{world.arrears}").status_code == 404
    assert power.get(f"/records/{world.overdue_objection}").status_code == 404
    assert power.post(f"/objections/{world.overdue_objection}/decision", {}).status_code == 404
    attachment = re.search(
        r"/api/attachments/(\d+)", water.get(f"/records/{world.person_record}").text
    )
    assert attachment is not None
    assert power.get(attachment.group(0)).status_code == 404
    assert power.get("/records/999999").status_code == 404


def test_an_operator_cannot_confirm_and_forms_need_the_csrf_token(
    app: FastAPI, engine: Engine, world: RecordsWorld
) -> None:
    operator = log_in(app, "op")
    denied = operator.post(f"/records/{world.theft}/confirm", {"note": "确认"})
    assert denied.status_code == 403
    assert "无权执行此操作" in visible(denied.text)
    assert 'class="error"' in denied.text
    reviewer = log_in(app, "rev")
    for token in (None, "forged"):
        form = {"note": "确认"} if token is None else {"note": "确认", "csrf_token": token}
        refused = reviewer.post(f"/records/{world.theft}/confirm", form, csrf=False)
        assert refused.status_code == 403
        assert "CSRF" in visible(refused.text)
    upload = reviewer.client.post(
        f"/records/{world.arrears}/objections",
        data={"reason": "认定有误"},
        files=[("files", ("a.pdf", PDF, "application/pdf"))],
        follow_redirects=False,
    )
    assert upload.status_code == 403
    assert status_of(engine, world.theft) == "candidate"
    assert status_of(engine, world.arrears) == "published"


def test_a_reviewer_confirms_and_dismisses_under_an_exemption(
    app: FastAPI, engine: Engine, world: RecordsWorld
) -> None:
    reviewer = log_in(app, "rev")
    form = section(reviewer.get(f"/records/{world.theft}").text, "confirm-form")
    assert "确认认定" in form
    assert 'name="exemption"' not in reviewer.get(f"/records/{world.theft}").text
    done = reviewer.post(f"/records/{world.theft}/confirm", {"note": "事实清楚"})
    assert done.status_code == 303
    assert done.headers["location"] == f"/records/{world.theft}?done=confirmed"
    page = reviewer.get(done.headers["location"])
    assert '<p class="flash" id="flash" role="status">已确认认定</p>' in page.text
    assert 'data-status="published"' in page.text
    assert "事实清楚" in visible(section(page.text, "timeline"))
    assert 'id="confirm-form"' not in page.text

    power = log_in(app, "prev")
    page = power.get(f"/records/{world.power}")
    select = section(page.text, "dismiss-form")
    assert 'value="withdrawn_before_connection"' in select
    assert "种子004 附件3 三、4" in select
    refused = power.post(f"/records/{world.power}/dismiss", {"reason": "", "exemption": ""})
    assert refused.status_code == 422
    error = section(refused.text, "dismiss-form")
    assert "须填写不予认定的理由" in visible(error)
    assert status_of(engine, world.power) == "candidate"
    done = power.post(
        f"/records/{world.power}/dismiss",
        {"reason": "已中止报装", "exemption": "withdrawn_before_connection"},
    )
    assert done.status_code == 303
    page = power.get(done.headers["location"])
    assert "已不予认定" in visible(page.text)
    assert "【豁免：种子004 附件3 三、4】" in visible(section(page.text, "timeline"))
    assert status_of(engine, world.power) == "dismissed"


def test_an_objection_with_its_attachment_then_a_correction(
    app: FastAPI, engine: Engine, world: RecordsWorld
) -> None:
    operator = log_in(app, "op")
    url = f"/records/{world.arrears}/objections"
    not_pdf = operator.post(
        url,
        {"reason": "催告未送达本单位"},
        files=[("files", ("evil.pdf", b"MZ not a pdf", "application/pdf"))],
    )
    assert not_pdf.status_code == 422
    form = section(not_pdf.text, "objection-form")
    assert "不是 PDF、PNG 或 JPEG 文件" in visible(form)
    assert ">催告未送达本单位</textarea>" in form
    assert "请重新选择文件" in form
    filed = operator.post(
        url,
        {"reason": "催告未送达本单位"},
        files=[("files", ("证明.pdf", PDF, "application/pdf"))],
    )
    assert filed.status_code == 303, filed.text
    page = operator.get(filed.headers["location"])
    assert "异议已提交" in visible(page.text)
    assert 'data-status="under_objection"' in page.text
    links = re.findall(r'href="(/api/attachments/\d+)" download>证明.pdf', page.text)
    assert len(links) == 1
    assert operator.get(links[0]).content == PDF
    assert 'id="own-case"' not in page.text  # an operator decides nothing
    again = operator.post(url, {"reason": "再次提出异议"})
    assert again.status_code == 422
    assert "已有处理中的异议" in visible(again.text)

    reviewer = log_in(app, "rev")
    page = reviewer.get(f"/records/{world.arrears}")
    form = section(page.text, "objection-decision-form")
    objection_id = int(re.search(r'action="/objections/(\d+)/decision"', form).group(1))  # type: ignore[union-attr]
    decide = f"/objections/{objection_id}/decision"
    bad = reviewer.post(
        decide, {"decision": "correct", "note": "更正金额", "amount": "abc", "summary": "新摘要"}
    )
    assert bad.status_code == 422
    form = section(bad.text, "objection-decision-form")
    assert "金额无效" in visible(form)
    assert ">更正金额</textarea>" in form and 'value="abc"' in form and ">新摘要</textarea>" in form
    empty = reviewer.post(decide, {"decision": "correct", "note": "更正金额"})
    assert empty.status_code == 422
    assert "更正须给出更正后的内容" in visible(empty.text)
    assert operator.post(decide, {"decision": "remove", "note": "删除"}).status_code == 403
    assert status_of(engine, world.arrears) == "under_objection"
    done = reviewer.post(decide, {"decision": "correct", "note": "更正金额", "amount": "11000.00"})
    assert done.status_code == 303
    page = reviewer.get(done.headers["location"])
    assert "异议已处理" in visible(page.text)
    assert 'data-status="corrected"' in page.text
    corrected = re.search(r'href="/records/(\d+)" id="corrected-record"', page.text)
    assert corrected is not None
    new = reviewer.get(f"/records/{corrected.group(1)}")
    assert "11000.00" in visible(section(new.text, "record-fields"))
    assert f'href="/records/{world.arrears}"' in new.text


def test_an_objection_is_upheld_or_withdrawn(
    app: FastAPI, engine: Engine, world: RecordsWorld
) -> None:
    reviewer = log_in(app, "rev")
    assert world.overdue_objection is not None and world.person_record is not None
    missing = reviewer.post(f"/objections/{world.overdue_objection}/decision", {"note": "维持"})
    assert missing.status_code == 422
    assert "请选择处理决定" in visible(missing.text)
    done = reviewer.post(
        f"/objections/{world.overdue_objection}/decision",
        {"decision": "uphold", "note": "事实清楚，维持"},
    )
    assert done.status_code == 303
    assert done.headers["location"].startswith(f"/records/{world.person_record}?done=")
    assert status_of(engine, world.person_record) == "published"

    operator = log_in(app, "op")
    filed = operator.post(f"/records/{world.person_record}/objections", {"reason": "再次申诉"})
    assert filed.status_code == 303
    page = operator.get(f"/records/{world.person_record}")
    withdraw = re.search(r'action="(/objections/\d+/withdraw)"', page.text)
    assert withdraw is not None
    assert operator.post(withdraw.group(1)).status_code == 303
    page = operator.get(f"/records/{world.person_record}")
    assert "已撤回" in visible(section(page.text, "objections"))
    assert status_of(engine, world.person_record) == "published"


def test_a_refused_repair_keeps_what_was_typed_then_it_is_decided(
    app: FastAPI, engine: Engine, world: RecordsWorld
) -> None:
    operator = log_in(app, "op")
    url = f"/records/{world.arrears}/repairs"
    signed = str(world.today)
    unpaid = operator.post(url, {"statement": "已签订还款计划", "commitment_signed_on": signed})
    assert unpaid.status_code == 422
    form = section(unpaid.text, "repair-form")
    assert "不符合信用修复条件" in visible(form)
    assert "仍有未付清的账单" in visible(form)
    assert ">已签订还款计划</textarea>" in form
    assert f'name="commitment_signed_on" max="{signed}" value="{signed}"' in form
    bad_date = operator.post(url, {"statement": "已缴清", "commitment_signed_on": "2026-13-01"})
    assert bad_date.status_code == 422
    assert "日期无效" in visible(section(bad_date.text, "repair-form"))

    world.pay_arrears(engine)
    applied = operator.post(url, {"statement": "已缴清欠费", "commitment_signed_on": signed})
    assert applied.status_code == 303
    page = operator.get(applied.headers["location"])
    assert "修复申请已提交" in visible(page.text)
    repairs_part = visible(section(page.text, "repairs"))
    assert "已申请" in repairs_part and "✔ 已缴清欠费及违约金" in repairs_part
    repair_id = int(re.search(r'class="case repair" data-id="(\d+)"', page.text).group(1))  # type: ignore[union-attr]
    assert operator.post(f"/repairs/{repair_id}/accept").status_code == 403

    reviewer = log_in(app, "rev")
    assert reviewer.post(f"/repairs/{repair_id}/accept").status_code == 303
    page = reviewer.get(f"/records/{world.arrears}")
    assert "已受理" in visible(section(page.text, "repairs"))
    refused = reviewer.post(f"/repairs/{repair_id}/decision", {"decision": "rejected"})
    assert refused.status_code == 422
    assert "须填写不予修复的理由" in visible(section(refused.text, "repair-decision-form"))
    rejected = reviewer.post(
        f"/repairs/{repair_id}/decision", {"decision": "rejected", "note": "承诺书未盖章"}
    )
    assert rejected.status_code == 303
    assert reviewer.post(f"/repairs/{repair_id}/close").status_code == 303
    page = reviewer.get(f"/records/{world.arrears}")
    part = visible(section(page.text, "repairs"))
    assert "已办结" in part and "不予修复" in part and "承诺书未盖章" in part
    assert status_of(engine, world.arrears) == "published"

    # A new application, withdrawn by the operator.
    assert (
        operator.post(url, {"statement": "重新申请", "commitment_signed_on": signed}).status_code
        == 303
    )
    page = operator.get(f"/records/{world.arrears}")
    withdraw = re.search(r'action="(/repairs/\d+/withdraw)"', page.text)
    assert withdraw is not None
    assert operator.post(withdraw.group(1)).status_code == 303
    with engine.connect() as connection:
        statuses = [r.status for r in service.record_view(connection, None, world.arrears).repairs]
    assert statuses == ["closed", "withdrawn"]


# ---- the queue, the dashboard, the subject page -----------------------------------------


def test_the_queue_puts_the_overdue_first(
    app: FastAPI, engine: Engine, world: RecordsWorld, data_dir: Path
) -> None:
    world.pay_arrears(engine)
    with engine.begin() as connection:
        repair = repairs.apply_repair(
            connection,
            world.people.operator,
            world.arrears,
            statement="已缴清欠费",
            commitment_signed_on=world.today,
            today=world.today,
            settings=SETTINGS,
            folder=data_dir,
        )
    page = log_in(app, "rev").get("/records/queue")
    assert page.status_code == 200
    order = re.findall(r'class="queue-row[^"]*" data-case="([a-z]+-\d+)"', page.text)
    assert order == [
        f"objection-{world.overdue_objection}",
        f"repair-{repair.id}",
        f"record-{world.theft}",
    ]
    assert 'class="queue-row overdue-row"' in page.text
    text = visible(page.text)
    assert "已超期" in text and "修复申请待受理" in text and "候选记录待确认" in text
    assert_no_raw_values(page.text)
    office = log_in(app, "office").get("/records/queue")
    assert f'data-case="record-{world.power}"' in office.text


def test_the_dashboard_counts_open_and_overdue_cases(app: FastAPI, world: RecordsWorld) -> None:
    card = section(log_in(app, "rev").get("/").text, "records-card")
    assert 'href="/records/queue"' in card and 'href="/records?overdue=true"' in card
    assert re.search(r'id="count-candidates">1<', card)
    assert re.search(r'id="count-objections">1<', card)
    assert "其中超期 1" in visible(card)
    office = section(log_in(app, "office").get("/").text, "records-card")
    assert re.search(r'id="count-candidates">2<', office)


def test_the_subject_page_lists_its_records(app: FastAPI, world: RecordsWorld) -> None:
    page = log_in(app, "op").get(f"/subjects/{SUBJECT}?policy=shaoguan-water")
    assert page.status_code == 200
    part = section(page.text, "subject-records")
    assert ids(part, "subject-record") == [world.theft, world.arrears]
    text = visible(part)
    assert "公示中" in text and "欠费经催告逾期未缴" in text and "待确认" in text
    assert f'href="/records/{world.arrears}"' in part
    assert_no_raw_values(part)


def test_a_natural_persons_number_and_name_are_masked(app: FastAPI, world: RecordsWorld) -> None:
    office = log_in(app, "office")  # may not see personal data in clear
    for url in ("/records", f"/records/{world.person_record}", "/records/queue"):
        page = office.get(url)
        assert page.status_code == 200
        assert PERSON not in page.text and "李小龙" not in page.text
        assert "4402031980****1234" in page.text and "李**" in page.text
        assert "/subjects/id-" in page.text
    # A reviewer may see it (the register's rule, as the API shows it), never in a link.
    page = log_in(app, "rev").get(f"/records/{world.person_record}")
    assert PERSON in visible(page.text)
    assert f"/subjects/{PERSON}" not in page.text


def test_the_pages_speak_english_too(app: FastAPI, world: RecordsWorld) -> None:
    page = log_in(app, "rev", lang="en").get(f"/records/{world.arrears}")
    text = visible(page.text)
    for label in ("Published", "Arrears unpaid after a payment demand", "General", "History"):
        assert label in text
    assert "公示中" not in text


@pytest.mark.parametrize(
    ("labels", "values"),
    [
        (RECORD_STATUS_EN, RecordStatus),
        (OBJECTION_STATUS_EN, ObjectionStatus),
        (REPAIR_STATUS_EN, RepairStatus),
        (DECISION_EN, RepairDecision),
        (KIND_EN, DishonestyKind),
        (CLASS_EN, DishonestyClass),
    ],
)
def test_every_value_has_an_english_label(labels: dict[Any, str], values: Any) -> None:
    assert set(labels) == set(values)
