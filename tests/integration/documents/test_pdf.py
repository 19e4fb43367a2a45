"""The PDF of a repair commitment: A4, Chinese text that can be extracted, metadata.

Text extraction proves the CJK font is embedded with a ToUnicode map: without one, pypdf
returns glyph ids or nothing. pypdf puts line breaks where lines wrap and spaces where the title
is letter-spaced (信 用 修 复 …), so the text is compared with all whitespace removed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re

import pypdf
import pytest
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from utilcredit.documents.model import RepairCommitment, repair_commitment_context
from utilcredit.documents.render import render_html, render_pdf

A4_POINTS = (595.28, 841.89)  # 210 mm × 297 mm at 72 pt per inch

RULE = "依法依规将无正当理由欠缴电费，数额较大，经催告后超过六个月仍未缴纳、窃电及违约用电的信息纳入失信记录。"

COMMITMENT = RepairCommitment(
    subject_name="湛江市霞山区<宏达>五金制品有限公司",
    subject_code="91440803MA4UL0N17X",
    legal_rep="李卫东",
    record_id="ZJ-2026-000042",
    record_kind_label="欠缴电费（经催告超过六个月仍未缴纳）",
    rule_text=RULE,
    determined_on=dt.date(2026, 3, 5),
    determining_unit="广东电网有限责任公司湛江供电局",
    determining_unit_code="91440800MA51B9T43Q",
    utility_label="供电",
    made_on=dt.date(2026, 11, 30),
)


def pdf_of(c: RepairCommitment) -> bytes:
    return render_pdf(render_html("repair_commitment.html", repair_commitment_context(c)))


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return pdf_of(COMMITMENT)


@pytest.fixture(scope="module")
def reader(pdf: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(pdf))


def test_it_is_a_one_page_a4_pdf(pdf: bytes, reader: pypdf.PdfReader) -> None:
    assert pdf.startswith(b"%PDF-")
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(A4_POINTS[0], abs=0.5)
    assert float(box.height) == pytest.approx(A4_POINTS[1], abs=0.5)


def test_the_chinese_text_can_be_extracted(reader: pypdf.PdfReader) -> None:
    text = squeeze(reader.pages[0].extract_text())
    for expected in (
        "信用修复承诺书",
        "湛江市霞山区<宏达>五金制品有限公司",  # escaped in HTML, printed as given
        RULE,
        "2026年3月5日",
        "承诺主体（盖章）：湛江市霞山区<宏达>五金制品有限公司",
        "法定代表人（签字）：",
        "日期：2026年11月30日",
        "同意将本承诺书向社会公开（公示）",
    ):
        assert squeeze(expected) in text


def dictionary(value: object) -> DictionaryObject:
    """``value`` (an indirect reference resolved) as a PDF dictionary."""
    if isinstance(value, IndirectObject):
        value = value.get_object()
    assert isinstance(value, DictionaryObject), value
    return value


def test_the_noto_cjk_font_is_embedded_with_a_tounicode_map(reader: pypdf.PdfReader) -> None:
    resources = dictionary(reader.pages[0]["/Resources"])
    fonts = [dictionary(ref) for ref in dictionary(resources["/Font"]).values()]
    cjk = [font for font in fonts if "Noto-Serif-CJK-SC" in str(font["/BaseFont"])]
    assert cjk, [str(font["/BaseFont"]) for font in fonts]
    for font in cjk:
        assert "/ToUnicode" in font
        descendants = font["/DescendantFonts"]
        assert isinstance(descendants, ArrayObject)
        descriptor = dictionary(dictionary(descendants[0])["/FontDescriptor"])
        assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def test_the_metadata_give_the_title_and_the_language(reader: pypdf.PdfReader) -> None:
    assert reader.metadata is not None
    assert reader.metadata.title == "信用修复承诺书"
    assert str(dictionary(reader.trailer["/Root"])["/Lang"]) == "zh-CN"
    # Personal data stay out of the metadata.
    assert COMMITMENT.subject_name not in str(dict(reader.metadata))


def test_a_long_commitment_keeps_the_closing_line_with_the_signature() -> None:
    long = dataclasses.replace(COMMITMENT, rule_text=RULE * 3)
    reader = pypdf.PdfReader(io.BytesIO(pdf_of(long)))
    assert len(reader.pages) == 2
    first, last = (squeeze(page.extract_text()) for page in reader.pages)
    assert "违诺责任" in first
    assert "特此承诺。" not in first
    assert "特此承诺。承诺主体（盖章）" in last
    assert "第2页共2页" in last
