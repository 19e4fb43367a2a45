"""The credit file's console pages over HTTP (SQLite and PostgreSQL): the evidence card opened
under the clause that cites it (labels, 元, m³/kWh, dates and values in words, in both
languages), the reminders (催告) table with its pages and tenancy, and the credit level notice
(信用等级告知书) as a page and as a PDF."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import Engine

from tests.e2e.api.world import AS_OF, BOTH, PERSON, WATER_ONLY, build_world
from tests.support import console
from tests.support.apps import app_for
from utilcredit.config import Settings
from utilcredit.customers.model import IncidentKind, PaymentMode, Severity, Utility
from utilcredit.importing.runner import import_paths
from utilcredit.policies.service import policy_at
from utilcredit.web.rendering import LEVEL_LABELS

POLICY = "lianshui-water"
# The facts the evidence cards show, as imported (strings as in a billing export).
BILL = {"no": "B9", "usage": "12345.5", "unit": "m3", "amount": "1234567.89", "paid": "1000.00"}
POWER_BILL = {"no": "E9", "usage": "2000", "amount": "1600.00"}  # no unit: kWh by its utility
THEFT = {"no": "I9", "amount": "5000.00", "severity": "serious"}
REMINDERS_W1 = 25  # more than a page (20)

# Stored names no reader should see: column names and the stored values of the file's enums.
RAW_FIELDS = re.compile(
    r"\b(bill_no|incident_no|account_no|amount_fen|usage_milli|period_start|period_end|due_on"
    r"|occurred_on|asset_class|set_aside_by|payment_mode|issued_on|has_dishonesty"
    r"|on_serious_list)\b"
)
RAW_VALUES = re.compile(
    r"(?<![\w-])("
    + "|".join(
        sorted(
            {
                *(u.value for u in Utility),
                *(m.value for m in PaymentMode),
                *(k.value for k in IncidentKind),
                *(s.value for s in Severity),
                "jiangsu",
                "sms",
                "letter",
                "True",
                "False",
            }
        )
    )
    + r")(?![\w-])"
)
CJK = re.compile(r"[\u4e00-\u9fff]")


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def file_exports(folder: Path) -> Path:
    """Bills with usage, a payment, an incident, reminders and a credit report, on top of the
    API world's accounts (W1 water of WATER_ONLY; W3 water and P3 power of BOTH)."""
    folder.mkdir(parents=True)
    header = ["bill_no", "account_no", "period_start", "period_end", "usage", "unit", "amount"]
    period, due = ["2026-03-01", "2026-03-31"], "2026-04-15"
    _write(
        folder / "bills.csv",
        [
            [*header, "due_on"],
            [BILL["no"], "W1", *period, BILL["usage"], BILL["unit"], BILL["amount"], due],
            [POWER_BILL["no"], "P3", *period, POWER_BILL["usage"], "", POWER_BILL["amount"], due],
        ],
    )
    _write(
        folder / "payments.csv",
        [["payment_no", "bill_no", "paid_on", "amount"], ["PAY-B9", "B9", "2026-04-10", "1000.00"]],
    )
    _write(
        folder / "incidents.csv",
        [
            ["incident_no", "account_no", "kind", "occurred_on", "amount", "severity", "note"],
            [THEFT["no"], "W1", "theft", "2026-05-02", THEFT["amount"], THEFT["severity"], "私接"],
        ],
    )
    reminders = [["reminder_no", "account_no", "sent_on", "channel"]]
    reminders += [
        [f"C{n:02d}", "W1", f"2026-{n % 9 + 1:02d}-{n + 1:02d}", "sms" if n % 2 else "letter"]
        for n in range(REMINDERS_W1)
    ]
    reminders += [["CW3", "W3", "2026-06-01", "sms"], ["CP3", "P3", "2026-06-02", "letter"]]
    _write(folder / "reminders.csv", reminders)
    _write(
        folder / "credit_reports.csv",
        [
            ["subject_code", "source", "issued_on", "has_dishonesty", "on_serious_list", "rating"],
            [WATER_ONLY, "jiangsu", "2026-06-01", "false", "false", "B"],
        ],
    )
    return folder


@pytest.fixture
def app(engine: Engine, tmp_path: Path) -> FastAPI:
    build_world(engine, tmp_path / "world")
    report = import_paths(engine, [file_exports(tmp_path / "file")], actor="setup")
    assert report.ok, [f.rejects for f in report.files]
    settings = Settings(
        data_dir=tmp_path / "data", database_url=engine.url.render_as_string(hide_password=False)
    )
    return app_for(settings, engine)


def log_in(app: FastAPI, username: str, lang: str = "zh") -> TestClient:
    return console.log_in(app, username, lang).client


class _Text(HTMLParser):
    """The visible text of a page, and the texts of its <dt> labels."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.labels: list[str] = []
        self._hidden = 0
        self._in_dt = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._hidden += tag in ("script", "style")
        self._in_dt = self._in_dt or tag == "dt"

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("script", "style")
        self._in_dt = self._in_dt and tag != "dt"

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        self.parts.append(data)
        if self._in_dt:
            self.labels.append(data.strip())


def parsed(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


def visible(html: str) -> str:
    return " ".join(" ".join(parsed(html).parts).split())


def evidence(client: TestClient, code: str, kind: str, ref: str) -> str:
    response = client.get(
        f"/subjects/{code}/evidence",
        params={"kind": kind, "ref": ref, "clause": "K1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200, response.text
    text: str = response.text
    return text


# ---- the evidence card --------------------------------------------------------------------


def test_evidence_cards_in_chinese_words_and_units(app: FastAPI) -> None:
    client = log_in(app, "op-both")
    bill = visible(evidence(client, WATER_ONLY, "bill", BILL["no"]))
    assert "用量 12,345.5 m³" in bill  # thousandths as a quantity, the unit normalised
    assert "金额 1,234,567.89 元" in bill
    assert "已缴金额 1,000.00 元" in bill and "欠费金额 1,233,567.89 元" in bill
    assert "计费起始 2026-03-01" in bill and "缴费期限 2026-04-15" in bill
    assert "PAY-B9 2026-04-10 1,000.00 元" in bill
    power = visible(evidence(client, BOTH, "bill", POWER_BILL["no"]))
    assert "用量 2,000 kWh" in power and "金额 1,600.00 元" in power
    assert "该账单没有缴费记录" in power
    theft = visible(evidence(client, WATER_ONLY, "incident", THEFT["no"]))
    assert "类别 窃水/电" in theft and "情节 严重" in theft and "金额 5,000.00 元" in theft
    account = visible(evidence(client, WATER_ONLY, "account", "W1"))
    assert "供应类型 供水" in account and "缴费方式 后付费" in account
    report = visible(evidence(client, WATER_ONLY, "report", "jiangsu"))
    assert "来源 信用江苏" in report and "有失信行为 否" in report
    labels = parsed(evidence(client, WATER_ONLY, "bill", BILL["no"])).labels
    assert labels and not [label for label in labels if re.search("[A-Za-z]", label)]
    for card in (bill, power, theft, account, report):
        assert RAW_FIELDS.findall(card) == [] and "address" not in card
        assert RAW_VALUES.findall(card) == []
        assert "证据：" in card


def test_evidence_cards_in_english_have_no_chinese_labels(app: FastAPI) -> None:
    client = log_in(app, "op-both", lang="en")
    html = evidence(client, WATER_ONLY, "bill", BILL["no"])
    text = visible(html)
    assert "Usage 12,345.5 m³" in text and "Amount CNY 1,234,567.89" in text
    assert "元" not in text
    labels = parsed(html).labels
    assert labels and not [label for label in labels if CJK.search(label)]
    account = visible(evidence(client, WATER_ONLY, "account", "W1"))
    assert "Utility Water" in account and "Payment mode Postpaid" in account
    assert RAW_FIELDS.findall(text + account) == []


def test_evidence_link_without_scripts_is_a_page(app: FastAPI) -> None:
    client = log_in(app, "op-water")
    response = client.get(
        f"/subjects/{WATER_ONLY}/evidence", params={"kind": "bill", "ref": BILL["no"]}
    )
    assert response.status_code == 200
    assert "<html" in response.text and f'href="/subjects/{WATER_ONLY}"' in response.text
    assert "1,234,567.89 元" in response.text
    assert "evidence-close" not in response.text  # nothing to close: no clause row


def test_evidence_opens_under_the_clause_that_cites_it(app: FastAPI) -> None:
    client = log_in(app, "op-water")
    page = client.get(f"/subjects/{WATER_ONLY}", params={"policy": POLICY, "as_of": AS_OF}).text
    assert 'id="evidence-panel"' not in page  # the panel far below the table is gone
    rows = re.findall(
        r'<tr class="clause [^"]*" data-clause="([^"]+)">(.*?)</tr>\s*(<tr[^>]*>)?', page, re.S
    )
    cited = [(clause, body, after) for clause, body, after in rows if 'a class="evidence"' in body]
    assert cited, "the explanation cites no evidence"
    for clause, body, after in cited:
        # Every chip names its clause, and the clause's own evidence row comes right after it.
        chips = re.findall(r'<a class="evidence" href="([^"]+)" data-clause="([^"]+)"', body)
        assert chips and {c for _, c in chips} == {clause}
        assert all(f"clause={clause}" in href.replace("&amp;", "&") for href, _ in chips)
        assert f'id="evidence-{clause}"' in after and "hidden" in after
    # Level and result never wrap one character per line.
    assert re.search(r'<td class="nowrap"><span class="dot level-', page)
    assert '<script src="/static/creditfile.js" defer></script>' in page
    assert client.get("/static/creditfile.js").status_code == 200


# ---- reminders ------------------------------------------------------------------------------


def _reminder_numbers(html: str) -> list[str]:
    return re.findall(r'<tr class="reminder" id="reminder-([^"]+)"', html)


def test_reminders_are_listed_newest_first_and_paged(app: FastAPI) -> None:
    client = log_in(app, "op-water")
    page = client.get(f"/subjects/{WATER_ONLY}", params={"policy": POLICY}).text
    assert f'hx-get="/subjects/{WATER_ONLY}/table/reminders"' in page
    assert "催告记录" in visible(page)
    first = client.get(f"/subjects/{WATER_ONLY}/table/reminders").text
    second = client.get(f"/subjects/{WATER_ONLY}/table/reminders?offset=20").text
    shown = _reminder_numbers(first) + _reminder_numbers(second)
    assert len(_reminder_numbers(first)) == 20 and len(shown) == REMINDERS_W1
    assert len(set(shown)) == REMINDERS_W1
    dates = re.findall(r'<td class="nowrap">(\d{4}-\d\d-\d\d)</td>', first + second)
    assert dates == sorted(dates, reverse=True)
    assert "offset=20" in first and "offset=0" in second  # the pager links both ways
    text = visible(first)
    assert "短信" in text and "书面函件" in text and "供水" in text
    assert RAW_VALUES.findall(text) == []


def test_reminders_follow_the_readers_utilities(app: FastAPI) -> None:
    both = _reminder_numbers(log_in(app, "op-both").get(f"/subjects/{BOTH}/table/reminders").text)
    power = log_in(app, "op-power").get(f"/subjects/{BOTH}/table/reminders").text
    assert sorted(both) == ["CP3", "CW3"]
    assert _reminder_numbers(power) == ["CP3"]  # the water account's reminder is not theirs


# ---- the credit level notice ----------------------------------------------------------------


def _level_zh(client: TestClient, code: str) -> str:
    page = client.get(f"/subjects/{code}", params={"policy": POLICY, "as_of": AS_OF}).text
    found = re.search(r'id="level-badge" data-level="(\w+)"', page)
    assert found is not None
    return LEVEL_LABELS[found.group(1)][0]


def test_credit_file_links_its_notice_and_pdf(app: FastAPI) -> None:
    client = log_in(app, "op-water")
    page = client.get(f"/subjects/{WATER_ONLY}", params={"policy": POLICY, "as_of": AS_OF}).text
    query = f"policy={POLICY}&amp;as_of={AS_OF}"
    assert f'href="/subjects/{WATER_ONLY}/notice?{query}"' in page
    assert f'href="/subjects/{WATER_ONLY}/notice?{query}&format=pdf"' in page


def test_notice_page_is_the_a4_document(app: FastAPI) -> None:
    client = log_in(app, "op-water")
    level = _level_zh(client, WATER_ONLY)
    response = client.get(
        f"/subjects/{WATER_ONLY}/notice", params={"policy": POLICY, "as_of": AS_OF}
    )
    assert response.status_code == 200
    html = response.text
    text = visible(html)
    sender = policy_at(POLICY, None).policy.notices
    assert sender is not None
    assert "信用等级告知书" in text and "涟水县甲水业用户公司" in text
    assert 'class="level-badge big"' in html and f">{level}</span>" in html
    assert "print-color-adjust: exact" in html and "size: A4" in html
    assert "2026年11月22日" in text  # the as-of date, written the Chinese way
    assert sender.sender in text  # the issuing utility
    assert re.search(r'class="sig-fill officer">op-water<', html)  # the officer who printed it
    assert "（盖章处）" in text
    assert "评定依据" in text and "K1" in text
    assert "format=pdf" in html  # the toolbar's PDF link (screen only)


def test_notice_of_a_person_is_masked(app: FastAPI) -> None:
    client = log_in(app, "op-water")
    opened = client.get(f"/subjects/{PERSON}", params={"policy": POLICY}, follow_redirects=False)
    ref = opened.headers["location"].split("?")[0].removeprefix("/subjects/")
    html = client.get(f"/subjects/{ref}/notice", params={"policy": POLICY}).text
    assert "信用等级告知书" in html and PERSON not in html and "张三丰" not in html


def test_notice_refuses_another_utilitys_subject(app: FastAPI) -> None:
    client = log_in(app, "op-power")
    response = client.get(f"/subjects/{WATER_ONLY}/notice", params={"policy": POLICY})
    assert response.status_code == 404


@pytest.mark.sqlite_only  # the PDF renderer is the same on either store
def test_notice_pdf_is_rendered_like_the_letters(app: FastAPI) -> None:
    client = log_in(app, "op-water")
    level = _level_zh(client, WATER_ONLY)
    response = client.get(
        f"/subjects/{WATER_ONLY}/notice",
        params={"policy": POLICY, "as_of": AS_OF, "format": "pdf"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
    assert "信用等级告知书" in text and "涟水县甲水业用户公司" in text
    assert level in text and "盖章处" in text and "op-water" in text
    assert "下载" not in text  # the screen's toolbar is not printed
