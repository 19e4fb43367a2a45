"""A filled commitment as a printed letter: commitment.html's HTML and the repair wording."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from html.parser import HTMLParser

import jinja2
import pytest
from jinja2 import meta

from utilcredit.commitments.templates import (
    BLANK_FIELD,
    FilledCommitment,
    all_templates,
    fill,
    letter_of,
    template,
)
from utilcredit.documents.model import (
    BLANK_DATE,
    RepairCommitment,
    commitment_letter_context,
    repair_commitment_context,
)
from utilcredit.documents.render import render_html

ZHANJIANG = {
    "unit_name": "湛江市霞山区宏达五金制品有限公司",
    "uscc": "91440803MA4UL0N17X",
    "legal_rep": "李卫东",
    "legal_rep_id_type": "居民身份证",
    "legal_rep_id_number": "440803198001011234",
    "relation": "租户",
}

REPAIR = {
    "unit_name": "韶关市曲江区某某食品有限公司",
    "subject_code": "91440205MA4UL0N17X",
    "legal_rep": "王建国",
    "record_id": "SR-2026-000123",
    "determined_on": "2026年3月5日",
    "record_kind": "违反信用承诺（失约）",
    "rule_text": "对违反信用承诺的行为，依法依规纳入失信记录",
    "determining_unit": "韶关市水务投资集团有限公司",
    "determining_unit_code": "91440200MA51B9T43Q",
    "utility_label": "供水",
}


class _Text(HTMLParser):
    """The visible text of a page, and per element class (``<style>``, ``<title>`` left out)."""

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
        return "".join(piece.strip(" \t\r\n") for piece in self.by_class.get(name, []))

    def texts(self, name: str) -> list[str]:
        return [piece.strip() for piece in self.by_class.get(name, []) if piece.strip()]

    def all(self) -> str:
        return "".join(piece.strip(" \t\r\n") for piece in self.visible)


def page(filled: FilledCommitment, **extra: object) -> _Text:
    letter = letter_of(filled, **extra)  # type: ignore[arg-type]
    parser = _Text()
    parser.feed(render_html("commitment.html", commitment_letter_context(letter)))
    return parser


def test_the_context_is_exactly_what_the_templates_read() -> None:
    env = jinja2.Environment(loader=jinja2.PackageLoader("utilcredit.documents", "templates"))
    assert env.loader is not None
    wanted: set[str] = set()
    for name in ("base.html", "commitment.html"):
        source = env.loader.get_source(env, name)[0]
        wanted |= meta.find_undeclared_variables(env.parse(source))
    wanted.discard("self")
    context = commitment_letter_context(letter_of(fill(template("repair"), REPAIR)))
    assert set(context) == wanted


def test_a_letter_with_label_lines_prints_them_as_a_table() -> None:
    p = page(fill(template("honest-power-zhanjiang"), ZHANJIANG))
    assert p.texts("field-label") == [f.label for f in template("honest-power-zhanjiang").fields]
    assert p.texts("field-value") == list(ZHANJIANG.values())
    assert p.texts("promise") == list(template("honest-power-zhanjiang").paragraphs)
    assert p.text("opening") == "我单位郑重承诺:"
    # The liability is the sixth promise: no section of its own.
    assert "违诺责任" not in p.all()
    assert p.text("liability") == ""


def test_a_letter_with_blanks_in_its_sentences_has_no_table() -> None:
    filled = fill(
        template("general-lianshui-water"), {"unit_name": "涟水县某某公司", "uscc": "91320826X"}
    )
    p = page(filled)
    assert p.texts("field-label") == []
    assert p.text("heading") == "_____单位"
    assert p.texts("opening") == [
        "我单位/公司(名称) 涟水县某某公司, 统一社会信用代码为 91320826X。",
        "郑重承诺如下:",
    ]


def test_the_signature_lines_follow_the_seed() -> None:
    p = page(fill(template("honest-power-zhanjiang"), ZHANJIANG), made_on=dt.date(2026, 5, 6))
    assert p.text("sig-sign") == "法定代表人：(签字)"
    assert p.text("sig-seal") == "单位名称：湛江市霞山区宏达五金制品有限公司(盖章)"
    assert p.text("sig-date") == "2026年5月6日"
    assert p.text("seal-area") == "（盖章处）"
    visible = p.all()
    assert (
        visible.index("法定代表人：") < visible.index("单位名称：") < visible.index("2026年5月6日")
    )


def test_a_form_to_date_by_hand_and_the_code_and_accepting_unit() -> None:
    filled = fill(template("repair"), REPAIR)
    blank = page(filled)
    assert blank.text("sig-date") == "日期：" + BLANK_DATE
    assert blank.text("doc-meta") == ""
    dated = page(
        filled,
        made_on=dt.date(2026, 11, 30),
        code="CN-SG-2026-0001",
        accepting_unit="韶关市水务投资集团有限公司",
    )
    assert dated.text("sig-date") == "日期：2026年11月30日"
    assert dated.text("code") == "承诺编号：CN-SG-2026-0001"
    assert dated.text("accepting-unit") == "受理单位：韶关市水务投资集团有限公司"
    only_code = page(filled, code="CN-1")
    assert only_code.text("doc-meta") == "承诺编号：CN-1"


def test_the_repair_letter_has_its_liability_section_and_closing() -> None:
    p = page(fill(template("repair"), REPAIR))
    visible = p.all()
    assert visible.index("违诺责任") < visible.index(template("repair").liability)
    assert p.text("closing").endswith("特此承诺。")
    assert p.text("heading") == "韶关市水务投资集团有限公司："


def test_values_are_escaped() -> None:
    values = {**ZHANJIANG, "unit_name": '<script>alert("x")</script>某某公司 & 合伙'}
    letter = letter_of(fill(template("honest-power-zhanjiang"), values))
    html = render_html("commitment.html", commitment_letter_context(letter))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_english_appears_only_as_the_line_under_the_title() -> None:
    for t in all_templates():
        values = {f.name: (f.choices[0] if f.choices else "某某") for f in t.fields}
        p = page(fill(t, values), made_on=dt.date(2026, 5, 6))
        assert p.text("doc-title") == t.title
        assert p.text("doc-title-en") == t.title_en
        assert not re.search(r"[A-Za-z]", p.all().replace(t.title_en, "")), t.key


@pytest.mark.parametrize("utility", ["供水", "供电"])
def test_the_repair_template_says_what_repair_commitment_html_says(utility: str) -> None:
    # repair_commitment.html stays the repair letter's own layout; the template holds the same
    # words, so a change to one without the other fails here.
    values = {**REPAIR, "utility_label": utility}
    filled = fill(template("repair"), values)
    parser = _Text()
    c = RepairCommitment(
        subject_name=values["unit_name"],
        subject_code=values["subject_code"],
        legal_rep=values["legal_rep"],
        record_id=values["record_id"],
        record_kind_label=values["record_kind"],
        rule_text=values["rule_text"],
        determined_on=dt.date(2026, 3, 5),
        determining_unit=values["determining_unit"],
        determining_unit_code=values["determining_unit_code"],
        utility_label=utility,
        made_on=None,
    )
    parser.feed(render_html("repair_commitment.html", repair_commitment_context(c)))
    html_text = parser.all()
    texts = [filled.heading, *filled.opening, *filled.paragraphs, filled.liability, filled.closing]
    positions = []
    for text in texts:
        assert text is not None
        assert text in html_text, text
        positions.append(html_text.index(text))
    assert positions == sorted(positions)
    for field in filled.fields:
        assert field.label in html_text, field.label
    labels = [(s.kind, s.label) for s in filled.template.signature]
    assert ("seal", "承诺主体（盖章）") in labels
    assert ("sign", "法定代表人（签字）") in labels
    assert "承诺主体（盖章）：" in html_text
    assert "法定代表人（签字）：" in html_text


def test_an_optional_field_left_out_prints_the_blank_line() -> None:
    values = {k: v for k, v in REPAIR.items() if k not in {"legal_rep", "determined_on"}}
    p = page(fill(template("repair"), values))
    assert p.texts("field-value")[2] == BLANK_FIELD
    assert p.texts("field-value")[4] == BLANK_FIELD


def test_documents_does_not_import_commitments() -> None:
    code = (
        "import sys, utilcredit.documents.render, utilcredit.documents.model; "
        "print(any(m.startswith('utilcredit.commitments') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
