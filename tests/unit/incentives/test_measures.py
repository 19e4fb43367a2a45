"""Which measures of a policy apply, and why (issue 11 item 4), pure."""

from __future__ import annotations

from utilcredit.incentives.model import measures_applying
from utilcredit.policies.loader import load_policy
from utilcredit.policies.model.levels import Level
from utilcredit.policies.model.measures import MeasureKind

LIANSHUI = load_policy("lianshui-water").policy
ZHANJIANG = load_policy("zhanjiang-power").policy


def test_honest_customers_get_the_seeds_services_and_red_ones_a_written_notice() -> None:
    green = {e.measure_key: e for e in measures_applying(LIANSHUI, Level.GREEN, ())}
    red = {e.measure_key for e in measures_applying(LIANSHUI, Level.RED, ())}
    yellow = {e.measure_key for e in measures_applying(LIANSHUI, Level.YELLOW, ())}
    assert {"priority_handling", "energy_hosting", "safety_steward"} <= set(green)
    assert green["priority_handling"].basis == "level:green"
    assert green["priority_handling"].kind == MeasureKind.INCENTIVE
    assert red == {"written_notice"} and yellow == {"reminder"}


def test_zhanjiang_measures_follow_the_trustworthy_designation_not_the_level() -> None:
    without = measures_applying(ZHANJIANG, Level.GREEN, ())
    holding = measures_applying(ZHANJIANG, Level.YELLOW, ["trustworthy_subject"])
    assert without == []
    assert {e.measure_key for e in holding} >= {"vip_appointment", "energy_project_priority"}
    assert {e.basis_zh for e in holding} == {"守信用电主体"}
    assert {e.responsible for e in holding} == {"湛江供电局", "湛江市发展和改革局"}
