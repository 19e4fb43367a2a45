"""The document renderer's HTML: escaping, Chinese dates, the A4 page, the signature block."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import subprocess
import sys
from html.parser import HTMLParser
from importlib import resources

import jinja2
import pytest
from jinja2 import meta

from utilcredit.documents.model import (
    BLANK_DATE,
    NOT_STATED,
    RepairCommitment,
    repair_commitment_context,
    zh_date,
)
from utilcredit.documents.render import render_html

TEMPLATE = "repair_commitment.html"


def commitment(**changes: object) -> RepairCommitment:
    base = RepairCommitment(
        subject_name="韶关市曲江区某某食品有限公司",
        subject_code="91440205MA4UL0N17X",
        legal_rep="王建国",
        record_id="SR-2026-000123",
        record_kind_label="违反信用承诺（失约）",
        rule_text="对违反信用承诺的行为，依法依规纳入失信记录",
        determined_on=dt.date(2026, 3, 5),
        determining_unit="韶关市水务投资集团有限公司",
        determining_unit_code="91440200MA51B9T43Q",
        utility_label="供水",
        made_on=dt.date(2026, 11, 30),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def html_of(c: RepairCommitment) -> str:
    return render_html(TEMPLATE, repair_commitment_context(c))


class _Text(HTMLParser):
    """The visible text of a page per element class (``<style>`` and ``<title>`` left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str]] = []
        self.by_class: dict[str, list[str]] = {}
        self.visible: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in {"meta", "col", "br"}:
            self.stack.append((tag, dict(attrs).get("class") or ""))

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        if any(tag in {"style", "title"} for tag, _ in self.stack):
            return
        self.visible.append(data)
        for _, classes in self.stack:
            for name in classes.split():
                self.by_class.setdefault(name, []).append(data)

    def text(self, name: str) -> str:
        """The text inside elements of class ``name``, without the source's layout blanks."""
        return "".join(piece.strip(" \t\r\n") for piece in self.by_class.get(name, []))


def parse(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


def test_dates_are_written_the_chinese_way() -> None:
    assert zh_date(dt.date(2026, 11, 30)) == "2026年11月30日"
    assert zh_date(dt.date(2026, 3, 5)) == "2026年3月5日"  # no leading zeros


def test_values_are_escaped() -> None:
    html = html_of(commitment(subject_name='<script>alert("x")</script>某某公司 & 合伙'))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;某某公司 &amp; 合伙" in html
    page = parse(html)
    # The parser unescapes: the reader sees the name exactly as given.
    assert page.text("subject-name") == '<script>alert("x")</script>某某公司 & 合伙'


def test_every_field_is_printed_where_it_belongs() -> None:
    page = parse(html_of(commitment()))
    assert page.text("subject-name") == "韶关市曲江区某某食品有限公司"
    assert page.text("subject-code") == "91440205MA4UL0N17X"
    assert page.text("legal-rep") == "王建国"
    assert page.text("record-id") == "SR-2026-000123"
    assert page.text("record-kind") == "违反信用承诺（失约）"
    assert page.text("rule-text") == "对违反信用承诺的行为，依法依规纳入失信记录"
    assert page.text("determined-on") == "2026年3月5日"
    assert page.text("determining-unit") == "韶关市水务投资集团有限公司"
    assert page.text("determining-unit-code") == "91440200MA51B9T43Q"
    assert page.text("addressee") == "韶关市水务投资集团有限公司："
    assert "因上述供水领域失信行为被韶关市水务投资集团有限公司" in "".join(page.visible)


def test_the_signature_block_has_the_seal_and_signature_areas_and_the_date() -> None:
    page = parse(html_of(commitment()))
    assert page.text("sig-seal") == "承诺主体（盖章）：韶关市曲江区某某食品有限公司"
    assert page.text("sig-sign") == "法定代表人（签字）："
    assert page.text("sig-date") == "日期：2026年11月30日"
    assert page.text("seal-area") == "（盖章处）"


def test_unknown_dates_and_a_natural_person() -> None:
    page = parse(html_of(commitment(determined_on=None, made_on=None, legal_rep=None)))
    assert page.text("determined-on") == NOT_STATED
    assert page.text("legal-rep") == NOT_STATED
    # A form printed to be dated by hand: blanks before 年, 月 and 日, no digits.
    assert page.text("sig-date-value") == BLANK_DATE
    assert re.fullmatch(r"\u3000+年\u3000+月\u3000+日", BLANK_DATE)


def test_the_promises_and_the_liability_for_breach() -> None:
    text = "".join(parse(html_of(commitment())).visible)
    for promise in (
        "已主动纠正失信行为、消除不良影响",
        "所提交的信用修复申请材料真实、准确、完整",
        "修复后如再次发生失信行为，自愿接受相关部门依法依规实施的惩戒",
        "同意将本承诺书向社会公开（公示）",
        "撤销信用修复决定",
        "依法承担相应的法律责任",
        "特此承诺。",
    ):
        assert promise in text


def test_english_appears_only_as_the_line_under_the_title() -> None:
    c = commitment()
    page = parse(html_of(c))
    assert page.text("doc-title") == "信用修复承诺书"
    assert page.text("doc-title-en") == "Credit Repair Commitment"
    text = "".join(page.visible).replace("Credit Repair Commitment", "")
    for value in (c.subject_code, c.record_id, c.determining_unit_code):
        text = text.replace(value, "")
    assert not re.search(r"[A-Za-z]", text)


def test_the_page_is_a4_in_chinese_with_the_cjk_fonts() -> None:
    html = html_of(commitment())
    assert '<html lang="zh-CN">' in html
    assert "<title>信用修复承诺书</title>" in html
    page_rule = re.search(r"@page\s*\{(.*?)@bottom-center", html, re.S)
    assert page_rule
    assert "size: A4;" in page_rule.group(1)
    assert "margin: 20mm;" in page_rule.group(1)
    assert 'font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", serif;' in html


def test_the_context_is_exactly_what_the_templates_read() -> None:
    # A key the templates read and the context lacks would fail at render time
    # (StrictUndefined); a key they never read is a field nobody prints.
    env = jinja2.Environment(loader=jinja2.PackageLoader("utilcredit.documents", "templates"))
    assert env.loader is not None
    wanted: set[str] = set()
    for name in ("base.html", TEMPLATE):
        source = env.loader.get_source(env, name)[0]
        wanted |= meta.find_undeclared_variables(env.parse(source))
    wanted.discard("self")
    assert set(repair_commitment_context(commitment())) == wanted


def test_a_missing_value_is_an_error_not_a_blank() -> None:
    context = repair_commitment_context(commitment())
    del context["rule_text"]
    with pytest.raises(jinja2.UndefinedError):
        render_html(TEMPLATE, context)


def test_the_templates_ship_inside_the_package() -> None:
    folder = resources.files("utilcredit.documents").joinpath("templates")
    assert folder.joinpath("base.html").is_file()
    assert folder.joinpath(TEMPLATE).is_file()


def test_importing_the_renderer_does_not_import_weasyprint() -> None:
    code = (
        "import sys, utilcredit.documents.render, utilcredit.documents.model; "
        "print('weasyprint' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
