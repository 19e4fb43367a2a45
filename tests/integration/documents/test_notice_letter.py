"""The letters sent by post: the written notice of a credit level (书面告知函) and a plain letter
(the printed payment demand, 欠费催告函), one at a time, and a print batch mixing both.

As in test_pdf.py, the text read back with pypdf is compared with all whitespace removed (pypdf
breaks lines where they wrap and spaces the letter-spaced title). One notice letter, one plain
letter and one batch are rendered to PDF, once each; the escaping test renders HTML only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re

import pypdf
import pytest
from pypdf.generic import DictionaryObject

from utilcredit.documents.model import (
    NOT_STATED,
    FiredClause,
    NoticeLetter,
    PlainLetter,
    PrintListLine,
    notice_batch_context,
    notice_letter_context,
    plain_letter_context,
    zh_ordinal,
)
from utilcredit.documents.render import render_html, render_pdf

A4_POINTS = (595.28, 841.89)  # 210 mm × 297 mm at 72 pt per inch

CLAUSES = (
    FiredClause(
        clause_id="R2",
        text="无正当理由欠缴水费，经催告后超过三个月仍未缴清的",
        evidence=(
            "账单 B-001 应缴 1,234.56 元，到期日 2026年6月30日，未缴清",
            "账单 B-002 应缴 987.00 元，到期日 2026年7月31日，未缴清",
        ),
    ),
    FiredClause(
        clause_id="R5",
        text="一年内两次以上擅自改装、迁移或者拆除供水计量装置的",
        evidence=("事件 I-17 2026年3月2日 擅自改装供水计量装置，已责令改正",),
    ),
)
PARAGRAPHS = (
    "请于2026年11月28日前缴清上述欠费并纠正违约用水行为；整改完成后，可向我公司申请信用修复。",
    "对评定结果有异议的，可于2026年11月28日前持相关证明材料到办理地点提出异议，"
    "我公司自收到异议之日起十个工作日内书面答复。",
)
LETTER = NoticeLetter(
    letter_no="GZH-2026-00000042",
    sender="涟水县涟缘水务有限公司",
    sender_hotline="0517-82345678",
    sender_office="涟水县安东北路18号涟缘水务营业厅二楼客户服务中心",
    recipient_name="涟水县<宏达>食品有限公司",
    recipient_code="91320826MA1XYZ1234",
    postal_address="江苏省淮安市涟水县红日大道99号宏达食品有限公司财务部",
    utility_label="供水",
    policy_title="涟水县供水信用等级评价办法（试行）",
    policy_issuer="涟水县水利局",
    level_zh="红色",
    previous_level_zh="黄色",
    as_of=dt.date(2026, 10, 31),
    fired=CLAUSES,
    paragraphs=PARAGRAPHS,
    next_change_on=dt.date(2027, 1, 31),
    reply_by=dt.date(2026, 11, 28),
    dated_on=dt.date(2026, 11, 14),
)
PLAIN = PlainLetter(
    letter_no="CGH-2026-00000007",
    sender="涟水县涟缘水务有限公司",
    recipient_name="涟水县<清源>餐饮管理有限公司",
    postal_address="江苏省淮安市涟水县五岛湖路6号",
    title="欠费催告函",
    paragraphs=(
        "涟水县<清源>餐饮管理有限公司：",
        "截至2026年11月10日，你单位尚欠水费2,468.00元（账单B-003，到期日2026年9月30日）。",
        "请于2026年11月24日前缴清上述欠费；逾期仍未缴清的，我公司将依照供用水合同的约定"
        "及有关规定处理，由此产生的后果由你单位承担。",
        "特此催告。",
    ),
    dated_on=dt.date(2026, 11, 14),
)
BATCH: tuple[NoticeLetter | PlainLetter, ...] = (
    LETTER,
    dataclasses.replace(
        LETTER,
        letter_no="GZH-2026-00000043",
        recipient_name="王某某",
        recipient_code="320826********1234",
        postal_address=None,
        level_zh="黑色",
        previous_level_zh=None,
    ),
    dataclasses.replace(
        LETTER,
        letter_no="GZH-2026-00000044",
        recipient_name="涟水县清源餐饮管理有限公司",
        postal_address="江苏省淮安市涟水县五岛湖路6号",
        fired=CLAUSES[:1],
    ),
    PLAIN,
)
LINES = tuple(
    PrintListLine(
        letter_no=letter.letter_no,
        recipient_name=letter.recipient_name,
        postal_address=letter.postal_address,
        kind_label="书面告知函" if isinstance(letter, NoticeLetter) else "催告",
    )
    for letter in BATCH
)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def page_texts(pdf: bytes) -> list[str]:
    return [squeeze(page.extract_text()) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture(scope="module")
def letter_pdf() -> bytes:
    return render_pdf(render_html("notice_letter.html", notice_letter_context(LETTER)))


@pytest.fixture(scope="module")
def plain_pdf() -> bytes:
    return render_pdf(render_html("plain_letter.html", plain_letter_context(PLAIN)))


@pytest.fixture(scope="module")
def batch_pdf() -> bytes:
    context = notice_batch_context("供水书面告知函打印批次", BATCH, LINES, dt.date(2026, 11, 14))
    return render_pdf(render_html("notice_batch.html", context))


def test_the_letter_is_an_a4_pdf_with_its_title_and_language(letter_pdf: bytes) -> None:
    assert letter_pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(letter_pdf))
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(A4_POINTS[0], abs=0.5)
        assert float(page.mediabox.height) == pytest.approx(A4_POINTS[1], abs=0.5)
    assert reader.metadata is not None
    assert reader.metadata.title == "供水信用等级书面告知函"
    root = reader.trailer["/Root"].get_object()
    assert isinstance(root, DictionaryObject)
    assert str(root["/Lang"]) == "zh-CN"
    # Personal data stay out of the metadata.
    assert LETTER.recipient_name not in str(dict(reader.metadata))


def test_the_letter_says_the_level_the_clauses_the_facts_and_the_deadlines(
    letter_pdf: bytes,
) -> None:
    text = "".join(page_texts(letter_pdf))
    expected = [
        LETTER.sender,
        "告知函编号：GZH-2026-00000042",
        LETTER.postal_address,
        "供水信用等级书面告知函",
        "涟水县<宏达>食品有限公司（统一社会信用代码/证件号码：91320826MA1XYZ1234）：",
        "根据《涟水县供水信用等级评价办法（试行）》（涟水县水利局），截至2026年10月31日，"
        "你（单位）的供水信用等级为红色（此前为黄色）",
        "（一）" + CLAUSES[0].text,
        "（二）" + CLAUSES[1].text,
        *(line for clause in CLAUSES for line in clause.evidence),
        *PARAGRAPHS,
        "重要期限",
        "整改、异议、修复申请期限2026年11月28日",
        "等级预计可变更日期2027年1月31日",
        "咨询电话0517-82345678",
        f"办理地点{LETTER.sender_office}",
        "告知单位（盖章）：涟水县涟缘水务有限公司",
        "日期：2026年11月14日",
    ]
    for piece in expected:
        assert piece is not None
        assert squeeze(piece) in text, piece
    assert text.count("红色") >= 2  # the statement and the badge


def test_the_plain_letter_has_the_letterhead_the_window_its_text_and_the_seal(
    plain_pdf: bytes,
) -> None:
    reader = pypdf.PdfReader(io.BytesIO(plain_pdf))
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(A4_POINTS[0], abs=0.5)
        assert float(page.mediabox.height) == pytest.approx(A4_POINTS[1], abs=0.5)
    assert reader.metadata is not None
    assert reader.metadata.title == PLAIN.title
    assert PLAIN.recipient_name not in str(dict(reader.metadata))

    text = "".join(page_texts(plain_pdf))
    expected = [
        PLAIN.sender,
        PLAIN.postal_address,
        f"{PLAIN.recipient_name}收",
        f"函件编号：{PLAIN.letter_no}",
        "日期：2026年11月14日",
        PLAIN.title,
        *PLAIN.paragraphs,
        f"发函单位（盖章）：{PLAIN.sender}",
    ]
    for piece in expected:
        assert piece is not None
        assert squeeze(piece) in text, piece
    # Nothing of the notice letter: no level, no clauses, no deadlines box, no hotline.
    for absent in ("信用等级", "重要期限", "统一社会信用代码", "告知函", "咨询电话"):
        assert absent not in text, absent


def test_the_batch_has_the_print_list_then_each_letter_on_its_own_pages(batch_pdf: bytes) -> None:
    reader = pypdf.PdfReader(io.BytesIO(batch_pdf))
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(A4_POINTS[0], abs=0.5)
        assert float(page.mediabox.height) == pytest.approx(A4_POINTS[1], abs=0.5)
    pages = page_texts(batch_pdf)
    assert len(pages) >= len(BATCH) + 1

    # The first page is the print list: every letter, with its recipient, address and kind.
    print_list = pages[0]
    assert "打印清单" in print_list
    assert f"共{len(BATCH)}封" in print_list
    assert "函件编号" in print_list
    assert "统一社会信用代码/证件号码" not in print_list  # no letter starts on it
    for number, line in enumerate(LINES, start=1):
        row = f"{number}{line.letter_no}{line.recipient_name}{line.postal_address or NOT_STATED}"
        assert squeeze(row + line.kind_label) in print_list

    # Then every letter starts a page of its own, in the batch's order, and its pages name only
    # it (the footer of a letter's pages gives its number and its own page count).
    first_pages = []
    for letter in BATCH:
        on = [n for n, text in enumerate(pages) if n > 0 and letter.letter_no in text]
        assert on, letter.letter_no
        first_pages.append(on[0])
        start = pages[on[0]]
        if isinstance(letter, NoticeLetter):
            assert "供水信用等级书面告知函" in start
            assert f"{letter.recipient_name}（统一社会信用代码/证件号码：" in start
            assert f"告知函编号：{letter.letter_no}第1页" in start
        else:
            assert letter.title in start
            assert squeeze(letter.paragraphs[0]) in start
            assert "统一社会信用代码" not in start
            assert f"函件编号：{letter.letter_no}第1页" in start
        others = [other.letter_no for other in BATCH if other is not letter]
        assert not any(other in pages[n] for n in on for other in others)
    assert first_pages == sorted(set(first_pages))
    assert first_pages[0] == 1

    # What differs between the letters is printed in each.
    second, third = pages[first_pages[1]], pages[first_pages[2]]
    assert "等级为黑色（首次评定）" in second
    assert NOT_STATED in second  # no postal address
    assert CLAUSES[1].text not in third
    plain = "".join(pages[first_pages[3] :])
    for piece in (PLAIN.postal_address, *PLAIN.paragraphs, f"发函单位（盖章）：{PLAIN.sender}"):
        assert piece is not None
        assert squeeze(piece) in plain, piece
    assert "重要期限" not in plain


def test_every_value_is_escaped_in_the_html() -> None:
    script = "<script>alert('x')</script>"
    letter = dataclasses.replace(
        LETTER,
        recipient_name=f"涟水县{script}公司",
        postal_address=script,
        fired=(FiredClause(clause_id=script, text=script, evidence=(script,)),),
        paragraphs=(script,),
        sender_office=script,
    )
    plain = dataclasses.replace(
        PLAIN,
        recipient_name=f"涟水县{script}公司",
        postal_address=script,
        title=script,
        paragraphs=(script, script),
    )
    lines = [
        PrintListLine(one.letter_no, one.recipient_name, script, script) for one in (letter, plain)
    ]
    for html in (
        render_html("notice_letter.html", notice_letter_context(letter)),
        render_html("plain_letter.html", plain_letter_context(plain)),
        render_html(
            "notice_batch.html",
            notice_batch_context(script, [letter, plain], lines, dt.date(2026, 11, 14)),
        ),
    ):
        assert "<script" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html


def test_unknown_values_print_not_stated_and_the_first_rating_says_so() -> None:
    letter = dataclasses.replace(
        LETTER, postal_address=None, next_change_on=None, previous_level_zh=None, policy_issuer=None
    )
    fields = notice_letter_context(letter)["letter"]
    assert fields["postal_address"] == NOT_STATED
    assert fields["next_change_on"] == NOT_STATED
    assert fields["reply_by"] == "2026年11月28日"
    assert [clause["number"] for clause in fields["fired"]] == ["（一）", "（二）"]
    html = render_html("notice_letter.html", notice_letter_context(letter))
    assert "《涟水县供水信用等级评价办法（试行）》，截至2026年10月31日" in html
    assert "（首次评定）" in html


def test_each_letter_of_a_batch_says_its_kind_and_only_a_salutation_is_not_indented() -> None:
    context = notice_batch_context("批次", BATCH, LINES, dt.date(2026, 11, 14))
    assert [fields["kind"] for fields in context["letters"]] == [
        "notice",
        "notice",
        "notice",
        "plain",
    ]
    fields = plain_letter_context(PLAIN)["letter"]
    assert fields == context["letters"][3]
    assert [(p["salutation"], p["closing"]) for p in fields["paragraphs"]] == [
        (True, False),
        (False, False),
        (False, False),
        (False, True),
    ]
    no_salutation = plain_letter_context(dataclasses.replace(PLAIN, postal_address=None))
    assert no_salutation["letter"]["postal_address"] == NOT_STATED
    assert not any(
        p["salutation"]
        for p in plain_letter_context(dataclasses.replace(PLAIN, paragraphs=PLAIN.paragraphs[1:]))[
            "letter"
        ]["paragraphs"]
    )
    html = render_html("plain_letter.html", plain_letter_context(PLAIN))
    assert '<p class="no-indent salutation">涟水县&lt;清源&gt;餐饮管理有限公司：</p>' in html
    assert '<p class="paragraph closing">特此催告。</p>' in html


def test_the_print_list_must_list_the_letters_of_the_batch() -> None:
    with pytest.raises(ValueError, match="print list"):
        notice_batch_context("批次", BATCH, LINES[:2], dt.date(2026, 11, 14))
    with pytest.raises(ValueError, match="print list"):
        notice_batch_context("批次", BATCH, tuple(reversed(LINES)), dt.date(2026, 11, 14))


@pytest.mark.parametrize(
    ("n", "ordinal"),
    [
        (1, "（一）"),
        (10, "（十）"),
        (12, "（十二）"),
        (20, "（二十）"),
        (99, "（九十九）"),
        (100, "（100）"),
    ],
)
def test_clauses_are_numbered_the_chinese_way(n: int, ordinal: str) -> None:
    assert zh_ordinal(n) == ordinal
