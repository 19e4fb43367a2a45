"""The policy linter: line numbers for schema errors, sound rule checks, shipped files clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from utilcredit.policies.analysis import implies
from utilcredit.policies.linter import Finding, Severity, check, check_bytes
from utilcredit.policies.loader import shipped_policy_root
from utilcredit.policies.model.conditions import (
    CountBounds,
    LatePaymentCountTest,
    NoOverdueInWindowTest,
    Window,
)

SHIPPED_FILES = sorted(Path(str(shipped_policy_root())).glob("*/*.yaml"))

HEADER = """\
key: test-water
title: 测试
version: "1"
effective_from: 2024-01-01
utility: water
report_sources: [jiangsu]
fallback_level: yellow
levels: [green, blue, yellow, red, black]
clauses:
"""
GREEN = """\
  - id: G1
    text: 无违约
    test: {type: incident_count, kinds: [violation], window: {years: 1}, count: {max: 0}}
"""


def lint(clauses: str) -> list[Finding]:
    return check_bytes((HEADER + GREEN + clauses).encode(), "test.yaml")


def codes(findings: list[Finding]) -> set[tuple[str, str | None]]:
    return {(f.code, f.clause_id) for f in findings}


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=[p.parent.name for p in SHIPPED_FILES])
def test_shipped_policies_have_no_errors(path: Path) -> None:
    findings = check(path)
    assert not [f for f in findings if f.severity == Severity.ERROR], findings


def test_shipped_findings_name_the_known_problems_of_the_seeds() -> None:
    by_key = {p.parent.name: codes(check(p)) for p in SHIPPED_FILES}
    assert ("shadowed", "R7") in by_key["lianshui-water"]  # DN160 is inside "DN160 and larger"
    assert ("shadowed", "R7") not in by_key["huaiyin-power"]  # 1 at 10 kV vs 2 at 10 kV: disjoint
    assert ("gap", "B1") in by_key["suizhou-water"]  # arrears 2–5 months fire nothing
    assert ("redundant-branch", "K7") in by_key["lianshui-water"]


def test_yaml_syntax_error_has_its_line() -> None:
    broken = HEADER + GREEN + "  - id: Y1\n    text: [unclosed\n"
    (finding,) = check_bytes(broken.encode(), "broken.yaml")
    assert finding.code == "yaml"
    assert finding.line == HEADER.count("\n") + GREEN.count("\n") + 3


def test_schema_error_points_at_the_offending_node() -> None:
    clauses = """\
  - id: Y1
    text: 欠费
    test:
      type: arrears_months
      months: {min: 3, max: 2}
"""
    (finding,) = lint(clauses)
    assert finding.severity == Severity.ERROR and finding.code == "schema"
    assert finding.line == HEADER.count("\n") + GREEN.count("\n") + 5
    assert "min 3 > max 2" in finding.message


def test_unknown_incident_kind_is_named_with_its_line() -> None:
    clauses = """\
  - id: R1
    text: 偷水
    test:
      type: any_of
      tests:
        - {type: incident_count, kinds: [violation], window: {years: 1}, count: {min: 2}}
        - {type: incident_count, kinds: [water_theft], window: {years: 1}, count: {min: 1}}
"""
    findings = lint(clauses)
    unknown = [f for f in findings if f.code == "unknown-kind"]
    assert len(unknown) == 1
    assert "'water_theft'" in unknown[0].message
    assert unknown[0].line == HEADER.count("\n") + GREEN.count("\n") + 7


def test_trigger_that_fires_for_everyone_is_an_error() -> None:
    clauses = """\
  - id: Y1
    text: 任何人
    test: {type: late_payment_count, window: {years: 1}, count: {min: 0}}
"""
    assert ("always-fires", "Y1") in codes(lint(clauses))


def test_shadowing_needs_containment_on_the_same_measure() -> None:
    contained = """\
  - id: R1
    text: 三次
    test: {type: late_payment_count, window: {years: 1}, count: {min: 3}}
  - id: K1
    text: 两次（三年）
    test: {type: late_payment_count, window: {years: 3}, count: {min: 2}}
"""
    assert ("shadowed", "R1") in codes(lint(contained))
    # The worse clause looks at a narrower window: R1 can fire without it.
    narrower = contained.replace("{years: 3}", "{years: 1}")
    narrower = narrower.replace("{years: 1}, count: {min: 3}", "{years: 3}, count: {min: 3}")
    assert ("shadowed", "R1") not in codes(lint(narrower))


def test_level_whose_clauses_are_all_shadowed_is_unreachable() -> None:
    clauses = """\
  - id: Y1
    text: 一次DN160
    test:
      {type: incident_count, kinds: [outage_caused], window: {years: 1}, count: {min: 1},
       asset_class: {scale: DN, min: 160, max: 160}}
  - id: K1
    text: DN100以上
    test:
      {type: incident_count, kinds: [outage_caused], window: {years: 1}, count: {min: 1},
       asset_class: {scale: DN, min: 100}}
"""
    findings = lint(clauses)
    assert ("shadowed", "Y1") in codes(findings)
    assert any(f.code == "unreachable" and "yellow" in f.message for f in findings)
    assert any(f.code == "unreachable" and "red has no clauses" in f.message for f in findings)


def test_gap_reports_the_uncovered_values() -> None:
    clauses = """\
  - id: B1
    text: 一年内无逾期
    test: {type: late_payment_count, window: {years: 1}, count: {max: 0}}
  - id: Y1
    text: 两次
    test: {type: late_payment_count, window: {years: 1}, count: {min: 2, max: 2}}
  - id: R1
    text: 四次及以上
    test: {type: late_payment_count, window: {years: 1}, count: {min: 4}}
"""
    (gap,) = [f for f in lint(clauses) if f.code == "gap"]
    assert gap.clause_id == "B1"
    assert "is 1, 3," in gap.message


def test_filter_on_an_attribute_the_kind_never_carries_is_a_warning() -> None:
    clauses = """\
  - id: R1
    text: 较轻
    test:
      {type: incident_count, kinds: [violation], window: {years: 1}, count: {min: 1},
       severity: minor}
"""
    assert ("filter-kind", "R1") in codes(lint(clauses))


def test_no_overdue_in_window_contains_the_late_payments_of_its_window() -> None:
    def no_overdue(window: Window) -> NoOverdueInWindowTest:
        return NoOverdueInWindowTest(type="no_overdue_in_window", window=window)

    def no_late(window: Window) -> LatePaymentCountTest:
        return LatePaymentCountTest(
            type="late_payment_count", window=window, count=CountBounds(max=0)
        )

    three, one, ever = Window(years=3), Window(years=1), Window(since_opened=True)
    # a bill late inside a window was overdue in it: none overdue in 3 years ⇒ none late in 1
    assert implies(no_overdue(three), no_late(one))
    assert implies(no_overdue(three), no_late(three))
    # a bill due before the window and unpaid into it is no late payment in the window
    assert not implies(no_late(three), no_overdue(three))
    assert not implies(no_overdue(one), no_late(three))
    assert not implies(no_overdue(three), no_late(ever))
    # with no window start, "overdue at some moment" is "settled after the due date"
    assert implies(no_overdue(ever), no_late(ever)) and implies(no_late(ever), no_overdue(ever))


def test_gap_under_a_no_overdue_requirement_names_the_overdue_bills() -> None:
    clauses = """\
  - id: B1
    text: 一年内无欠费
    test: {type: no_overdue_in_window, window: {years: 1}}
  - id: Y1
    text: 逾期一次及以上
    test: {type: late_payment_count, window: {years: 1}, count: {min: 1}}
"""
    (gap,) = [f for f in lint(clauses) if f.code == "gap"]
    assert gap.clause_id == "B1"
    assert "overdue bills within 1y is ≥ 1" in gap.message  # old unpaid bills trigger nothing


def test_a_blue_no_overdue_requirement_can_make_blue_unreachable() -> None:
    clauses = """\
  - id: G2
    text: 一年内无逾期
    test: {type: late_payment_count, window: {years: 1}, count: {max: 0}}
  - id: B1
    text: 三年内无欠费
    test: {type: no_overdue_in_window, window: {years: 3}}
  - id: B2
    text: 一年内无违约
    test: {type: incident_count, kinds: [violation], window: {years: 1}, count: {max: 0}}
"""

    def blue_unreachable(text: str) -> bool:
        return any("blue is never the result" in f.message for f in lint(text))

    assert blue_unreachable(clauses)
    swapped = clauses.replace(
        "{type: late_payment_count, window: {years: 1}, count: {max: 0}}",
        "{type: no_overdue_in_window, window: {years: 1}}",
    ).replace(
        "{type: no_overdue_in_window, window: {years: 3}}",
        "{type: late_payment_count, window: {years: 3}, count: {max: 0}}",
    )
    assert not blue_unreachable(swapped)


def test_an_unknown_template_variable_fails_the_check_at_its_template() -> None:
    notices = """\
notices:
  sender: 测试水务有限公司
  hotline: "12345"
  office: 营业厅
  reply_working_days: 10
  levels:
    - level: yellow
      channels: [sms]
  templates:
    - kind: reminder
      channel: sms
      text: "{subject_name}：您的等级为{level_zh}，欠费{amount_yuan}元"
"""
    findings = check_bytes((HEADER + GREEN + notices).encode(), "test.yaml")
    errors = [f for f in findings if f.severity == Severity.ERROR]
    assert len(errors) == 1
    assert "amount_yuan" in errors[0].message
    assert errors[0].line is not None and errors[0].line >= HEADER.count("\n") + 4
