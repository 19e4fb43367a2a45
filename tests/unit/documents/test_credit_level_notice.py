"""The credit level notice (信用等级告知书) as a document: its context and HTML (no PDF here:
tests/e2e/web/test_creditfile_pages.py renders one)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from utilcredit.documents.model import (
    LEVEL_BADGE_COLOURS,
    CreditLevelNotice,
    NoticeClauseLine,
    credit_level_notice_context,
)
from utilcredit.documents.render import render_html

TEMPLATE = "credit_level_notice.html"


def notice(**changes: object) -> CreditLevelNotice:
    base = CreditLevelNotice(
        issuer="示范供水有限公司",
        subject_name="示范<公司>",
        subject_code="91320826MA1XXXXXXX",
        address=None,
        utility_label="供水",
        policy_title="示范供水信用评价办法",
        policy_ref="demo-water 2026.1",
        policy_issuer=None,
        level_zh="红色",
        computed_level_zh=None,
        override_note=None,
        as_of=dt.date(2026, 11, 30),
        decided_by=("R2",),
        clauses=(NoticeClauseLine("R2", "红色", "拖欠水费 3 个月以上", "触发", ("3个月",)),),
        next_change_on=dt.date(2027, 2, 28),
        officer="王经办",
        issued_on=dt.date(2026, 12, 1),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_the_notice_prints_the_level_in_its_colour_and_the_seal_area() -> None:
    html = render_html(TEMPLATE, credit_level_notice_context(notice()))
    background, foreground = LEVEL_BADGE_COLOURS["红色"]
    assert f"background-color: {background}; color: {foreground}" in html
    assert "print-color-adjust: exact" in html
    assert "2026年11月30日" in html and "2027年2月28日" in html  # as-of, next change
    assert "2026年12月1日" in html and "王经办" in html and "（盖章处）" in html
    assert "示范&lt;公司&gt;" in html and "示范<公司>" not in html  # escaped
    assert '<th>地址</th><td colspan="3">—</td>' in html  # the unknown address


def test_no_toolbar_unless_asked_and_no_next_change_sentence_when_none() -> None:
    bare = render_html(TEMPLATE, credit_level_notice_context(notice(next_change_on=None)))
    assert 'doc-toolbar">' not in bare and "等级预计可变更日期" not in bare
    shown = render_html(
        TEMPLATE,
        credit_level_notice_context(notice(), toolbar=(("Download PDF", "/x?format=pdf"),)),
    )
    assert '<a href="/x?format=pdf">Download PDF</a>' in shown


def test_an_override_names_the_computed_level_beside_the_one_in_force() -> None:
    context = credit_level_notice_context(
        notice(level_zh="黄色", computed_level_zh="红色", override_note="有效期至2027年1月1日")
    )
    html = render_html(TEMPLATE, context)
    assert context["level"]["name"] == "黄色" and context["computed_level"]["name"] == "红色"
    assert "按评级规则计算的等级为" in html and "有效期至2027年1月1日" in html
