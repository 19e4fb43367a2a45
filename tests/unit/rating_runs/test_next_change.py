"""Next change: the date a level improves by time alone, worked out by hand from SPEC 3 windows.

"Within one year" at D is D − 1 year < date ≤ D, so a record dated d counts until d + 1 year − 1
day and is gone on d + 1 year (the day after Feb 28 when d is Feb 29).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

from tests.unit.rating.rating_histories import AS_OF, History
from utilcredit.customers.model import CommitmentStatus, Utility
from utilcredit.policies.loader import load_policy
from utilcredit.policies.model.conditions import CommitmentGivenTest, NoOverdueInWindowTest, Window
from utilcredit.policies.model.levels import Level
from utilcredit.policies.model.policy import Clause
from utilcredit.rating.evaluator import evaluate
from utilcredit.rating.explain import explain_dict, explain_text
from utilcredit.rating.next_change import candidate_dates, known_at, next_change

LIANSHUI = load_policy("lianshui-water").policy


def clean() -> History:
    return History.clean(Utility.WATER, "jiangsu")


def test_two_late_payments_heal_when_the_later_one_leaves_the_year() -> None:
    # Y2 (2 late payments in 1 year) fires: yellow. When the first leaves, one late payment is
    # left: Y2 clears but B1 (no late payment in 1 year) fails, so still yellow (fallback). When
    # the second leaves on 2027-02-16, B1 holds again: blue (G2, 3 years, still fails).
    history = clean().late(dt.date(2025, 12, 1), dt.date(2026, 2, 16))
    change = next_change(history.build(), LIANSHUI, AS_OF)
    assert change.level == Level.YELLOW
    assert change.on == dt.date(2027, 2, 16)
    assert change.to_level == Level.BLUE
    assert change.sentence_zh() == "黄色，若无新增失信行为，将于2027-02-16起恢复为蓝色"
    assert set(change.leaving) == {"B001", "B002"}


def test_three_late_payments_red_improves_to_yellow_when_the_first_leaves() -> None:
    # R2 is 3–5 late payments; when the oldest leaves, 2 remain and Y2 fires: yellow.
    history = clean().late(dt.date(2025, 9, 10), dt.date(2025, 10, 10), dt.date(2026, 1, 10))
    change = next_change(history.build(), LIANSHUI, AS_OF)
    assert (change.level, change.on, change.to_level) == (
        Level.RED,
        dt.date(2026, 9, 10),
        Level.YELLOW,
    )


def test_a_record_of_february_29_leaves_on_march_1() -> None:
    as_of = dt.date(2028, 6, 30)
    history = clean().late(dt.date(2028, 2, 29))  # one late payment: B1 fails → yellow
    change = next_change(history.build(), LIANSHUI, as_of)
    assert change.level == Level.YELLOW
    assert change.on == dt.date(2029, 3, 1)
    assert evaluate(history.build(), LIANSHUI, dt.date(2029, 2, 28)).level == Level.YELLOW
    assert evaluate(history.build(), LIANSHUI, dt.date(2029, 3, 1)).level == Level.BLUE


def test_unpaid_arrears_never_heal_by_time_and_the_sentence_says_so() -> None:
    history = clean().unpaid(dt.date(2026, 3, 15))  # 3 months unpaid at AS_OF: red (R1)
    change = next_change(history.build(), LIANSHUI, AS_OF)
    assert change.level == Level.RED
    assert change.on is None and change.to_level is None
    assert change.arrears_bills == ("B001",)
    assert "欠费不随时间消除" in change.sentence_zh()
    assert change.sentence_zh().startswith("红色，")


def test_a_missing_report_does_not_heal_by_time() -> None:
    history = clean().without_reports()  # B3 unknown: fallback yellow, nothing will change it
    change = next_change(history.build(), LIANSHUI, AS_OF)
    assert change.level == Level.YELLOW and change.on is None and not change.arrears_bills
    assert "不会随时间自动恢复" in change.sentence_zh()


def test_green_has_nothing_to_improve() -> None:
    change = next_change(clean().build(), LIANSHUI, AS_OF)
    assert change.level == Level.GREEN and change.on is None
    assert change.sentence_zh() == "绿色"


def test_records_after_the_as_of_date_are_not_assumed() -> None:
    # A bill due after D that is unpaid in the file would become late later; "nothing new
    # happens" means future bills are paid on time, so it does not delay the forecast.
    history = clean().late(dt.date(2026, 2, 16)).unpaid(dt.date(2026, 12, 15))
    change = next_change(history.build(), LIANSHUI, AS_OF)
    assert change.on == dt.date(2027, 2, 16)
    assert all(b.due_on <= AS_OF for b in known_at(history.build(), AS_OF).bills)


def test_a_bill_due_today_unpaid_becomes_late_tomorrow_and_delays_healing() -> None:
    # Due on D is not late yet, but with no payment it is late from D + 1: counted, it keeps
    # B1 failing for a year after its due date.
    history = clean().late(dt.date(2026, 2, 16)).unpaid(AS_OF)
    change = next_change(history.build(), LIANSHUI, AS_OF)
    assert change.on is None  # and it is arrears now, which never heal
    assert change.arrears_bills == ("B002",)


def test_candidates_cover_each_window_exit_and_are_after_the_as_of_date() -> None:
    history = clean().late(dt.date(2025, 12, 1))
    days = candidate_dates(history.build(), LIANSHUI, AS_OF)
    assert dt.date(2026, 12, 1) in days  # leaves "1 year"
    assert dt.date(2028, 12, 1) in days  # leaves "3 years"
    assert all(day > AS_OF for day in days)


def test_explanation_shows_the_next_change_in_text_and_json() -> None:
    history = clean().late(dt.date(2025, 12, 1), dt.date(2026, 2, 16))
    credit_file = history.build()
    evaluation = evaluate(credit_file, LIANSHUI, AS_OF)
    change = next_change(credit_file, LIANSHUI, AS_OF, evaluation)
    text = explain_text(evaluation, LIANSHUI, next_change=change)
    assert "预计：黄色，若无新增失信行为，将于2027-02-16起恢复为蓝色" in text.splitlines()
    data = explain_dict(evaluation, LIANSHUI, next_change=change)
    assert json.loads(json.dumps(data))["next_change"] == {
        "on": "2027-02-16",
        "to_level": "blue",
        "leaving": ["B001", "B002"],
        "arrears_bills": [],
        "reason": None,
        "sentence": "黄色，若无新增失信行为，将于2027-02-16起恢复为蓝色",
    }
    assert "next_change" not in explain_dict(evaluation, LIANSHUI)
    assert "预计" not in explain_text(evaluation, LIANSHUI)


def test_a_late_settlement_leaving_a_no_overdue_window_is_a_change() -> None:
    # B1 read as "no bill overdue at any moment of the year": a bill due 2024-01-31 and settled
    # on 2025-09-15 was overdue inside the year until that day leaves it, on 2026-09-15 — long
    # before its due date leaves G2's three years (2027-01-31).
    b1 = LIANSHUI.clause("B1").model_copy(
        update={"test": NoOverdueInWindowTest(type="no_overdue_in_window", window=Window(years=1))}
    )
    policy = LIANSHUI.model_copy(
        update={"clauses": tuple(b1 if c.id == "B1" else c for c in LIANSHUI.clauses)}
    )
    history = clean().bill(due=dt.date(2024, 1, 31), paid={dt.date(2025, 9, 15): "100.00"})
    change = next_change(history.build(), policy, AS_OF)
    assert (change.level, change.on, change.to_level) == (
        Level.YELLOW,
        dt.date(2026, 9, 15),
        Level.BLUE,
    )
    assert change.leaving == ("B001",)


# A clause that reads commitments: Lianshui with a yellow trigger Y90 that fires while a
# commitment of a given type stands (as a policy could mark subjects under a credit-repair
# commitment); the level improves when it stops standing.
_REPAIR = LIANSHUI.model_copy(
    update={
        "clauses": (
            *LIANSHUI.clauses,
            Clause(
                id="Y90",
                text="under a credit-repair commitment",
                test=CommitmentGivenTest(type="commitment_given", types=("credit_repair",)),
            ),
        )
    }
)


def test_a_commitment_ending_its_validity_is_a_change() -> None:
    history = clean().commitment(
        dt.date(2026, 1, 1), valid_until=dt.date(2026, 9, 30), commitment_type="credit_repair"
    )
    change = next_change(history.build(), _REPAIR, AS_OF)
    assert (change.level, change.on, change.to_level) == (
        Level.YELLOW,
        dt.date(2026, 10, 1),  # it stands through its last valid day
        Level.GREEN,
    )
    assert dt.date(2026, 10, 1) in candidate_dates(history.build(), _REPAIR, AS_OF)


def test_an_end_dated_after_the_as_of_date_is_not_assumed() -> None:
    """A breach recorded for a day after D has not happened at D: "if nothing new happens" the
    commitment stands on until its validity ends (the breach is left out like a later record)."""
    history = clean().commitment(
        dt.date(2026, 1, 1),
        valid_until=dt.date(2026, 9, 30),
        status=CommitmentStatus.BREACHED,
        status_on=dt.date(2026, 7, 15),
        commitment_type="credit_repair",
    )
    change = next_change(history.build(), _REPAIR, AS_OF)
    assert (change.on, change.to_level) == (dt.date(2026, 10, 1), Level.GREEN)
    frozen = known_at(history.build(), AS_OF).commitments
    assert [c.status for c in frozen] == [CommitmentStatus.IN_FORCE]
    # a breach on or before D stands as recorded: nothing fires, green already
    history.commitments[0] = replace(history.commitments[0], status_on=AS_OF)
    assert next_change(history.build(), _REPAIR, AS_OF).level == Level.GREEN


def test_a_commitment_made_after_the_as_of_date_is_not_assumed() -> None:
    history = clean().commitment(dt.date(2026, 7, 1), commitment_type="credit_repair")
    assert known_at(history.build(), AS_OF).commitments == ()
    assert next_change(history.build(), _REPAIR, AS_OF).level == Level.GREEN
