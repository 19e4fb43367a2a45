"""Every commitment template as a filled PDF: A4, and exactly the template's words with the data.

As in test_pdf.py, the text read back with pypdf is compared with all whitespace removed (pypdf
breaks lines where they wrap and spaces the letter-spaced title).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from functools import cache

import pypdf
import pytest
from pypdf.generic import DictionaryObject

from utilcredit.commitments.templates import (
    CommitmentTemplate,
    FilledCommitment,
    all_templates,
    fill,
    letter_of,
)
from utilcredit.documents.model import commitment_letter_context
from utilcredit.documents.render import render_html, render_pdf

A4_POINTS = (595.28, 841.89)  # 210 mm × 297 mm at 72 pt per inch

#: Sample data per field name; a template with a field not listed here fails below.
SAMPLES = {
    "heading_unit": "某某县供水公司",
    "unit_name": "湛江市霞山区<宏达>五金制品有限公司",
    "uscc": "91440803MA4UL0N17X",
    "address": "韶关市浈江区风度北路88号",
    "legal_rep": "李卫东",
    "legal_rep_id_type": "居民身份证",
    "legal_rep_id_number": "440803198001011234",
    "no_title_reason": "厂房为租赁，出租方产权证明正在办理",
    "relation": "租户",
    "subject_code": "91440205MA4UL0N17X",
    "record_id": "SR-2026-000123",
    "determined_on": "2026年3月5日",
    "record_kind": "违反信用承诺（失约）",
    "rule_text": "对违反信用承诺的行为，依法依规纳入失信记录",
    "determining_unit": "韶关市水务投资集团有限公司",
    "determining_unit_code": "91440200MA51B9T43Q",
    "utility_label": "供电",
}
MADE_ON = dt.date(2026, 11, 30)
CODE = "CN-2026-000042"
ACCEPTING_UNIT = "广东电网有限责任公司湛江供电局"
FOOTER = re.compile(r"第\d+页共\d+页")


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def filled_of(t: CommitmentTemplate) -> FilledCommitment:
    missing = [f.name for f in t.fields if f.name not in SAMPLES]
    assert not missing, f"{t.key}: no sample value for {missing}"
    return fill(t, {f.name: SAMPLES[f.name] for f in t.fields})


@cache
def pdf_of(key: str, version: str) -> bytes:
    (t,) = [t for t in all_templates() if (t.key, t.version) == (key, version)]
    letter = letter_of(filled_of(t), code=CODE, made_on=MADE_ON, accepting_unit=ACCEPTING_UNIT)
    return render_pdf(render_html("commitment.html", commitment_letter_context(letter)))


TEMPLATES = [pytest.param(t, id=f"{t.key}/{t.version}") for t in all_templates()]


def expected_text(t: CommitmentTemplate) -> list[str]:
    """What the page must say, in order: the template's words with the sample data put in."""
    filled = filled_of(t)
    pieces = [t.title, t.title_en, f"承诺编号：{CODE}", f"受理单位：{ACCEPTING_UNIT}"]
    if filled.heading is not None:
        pieces.append(filled.heading)
    if t.field_table:
        for field in filled.fields:
            pieces += [field.label, field.value]
    pieces += [*filled.opening, *filled.paragraphs]
    if not t.liability_in_paragraphs:
        pieces += ["违诺责任", filled.liability]
    if filled.closing is not None:
        pieces.append(filled.closing)
    for line in t.signature:
        pieces.append(f"{line.label}：" if line.label else "")
        pieces.append(
            {"seal": filled.committer_name, "sign": "", "date": "2026年11月30日"}[line.kind]
        )
        pieces.append(line.after)
    pieces.append("（盖章处）")
    return [squeeze(piece) for piece in pieces if piece]


def page_texts(pdf: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [squeeze(page.extract_text()) for page in reader.pages]


@pytest.mark.parametrize("t", TEMPLATES)
def test_the_pdf_is_one_a4_page(t: CommitmentTemplate) -> None:
    pdf = pdf_of(t.key, t.version)
    assert pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(A4_POINTS[0], abs=0.5)
        assert float(page.mediabox.height) == pytest.approx(A4_POINTS[1], abs=0.5)
    assert reader.metadata is not None
    assert reader.metadata.title == t.title
    root = reader.trailer["/Root"].get_object()
    assert isinstance(root, DictionaryObject)
    assert str(root["/Lang"]) == "zh-CN"
    assert SAMPLES["unit_name"] not in str(dict(reader.metadata))


@pytest.mark.parametrize("t", TEMPLATES)
def test_the_pdf_says_exactly_the_templates_words_with_the_data(t: CommitmentTemplate) -> None:
    pages = page_texts(pdf_of(t.key, t.version))
    assert FOOTER.search(pages[-1])
    text = "".join(FOOTER.sub("", page) for page in pages)
    expected = expected_text(t)
    # In order, piece after piece …
    position = 0
    for piece in expected:
        found = text.find(piece, position)
        assert found >= 0, f"{t.key}: {piece!r} missing after {text[position : position + 40]!r}"
        position = found + len(piece)
    # … and nothing else: the page is exactly these pieces.
    assert text == "".join(expected)


def test_every_paragraph_of_every_template_is_checked() -> None:
    # The comparison above covers the promises through expected_text; make sure it does not
    # silently skip a template's text because a flag or a field went unnoticed.
    for t in all_templates():
        joined = "".join(expected_text(t))
        for paragraph in filled_of(t).paragraphs:
            assert squeeze(paragraph) in joined
        assert squeeze(filled_of(t).liability) in joined
        assert squeeze(filled_of(t).committer_name) in joined
