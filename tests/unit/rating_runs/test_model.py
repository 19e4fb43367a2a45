"""The compact stored form of a rating, level-change causes, transition tallies and formats."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.unit.rating.rating_histories import AS_OF, History
from utilcredit.customers.model import IncidentKind, Utility
from utilcredit.policies.loader import load_policy
from utilcredit.policies.model.levels import Level
from utilcredit.rating.batch import SubjectRating, summarize
from utilcredit.rating.evaluator import evaluate
from utilcredit.rating.runs.format import format_matrix
from utilcredit.rating.runs.model import (
    Cause,
    EncodedRating,
    TransitionTally,
    change_cause,
    decode,
    encode,
    level_counts,
)

LIANSHUI = load_policy("lianshui-water").policy
CLAUSE_IDS = [c.id for c in LIANSHUI.clauses]


def rating_of(history: History) -> SubjectRating:
    return summarize(evaluate(history.build(), LIANSHUI, AS_OF))


@pytest.mark.parametrize(
    "history",
    [
        History.clean(Utility.WATER, "jiangsu"),
        History.clean(Utility.WATER, None),  # unknown report clauses
        History.clean(Utility.WATER, "jiangsu").late(dt.date(2026, 3, 1), dt.date(2026, 4, 1)),
        History.clean(Utility.WATER, "jiangsu")
        .unpaid(dt.date(2025, 11, 1))
        .incident(IncidentKind.THEFT, dt.date(2026, 1, 5), amount="20000"),
    ],
)
def test_a_stored_rating_decodes_to_exactly_what_was_stored(history: History) -> None:
    rating = rating_of(history)
    encoded = encode(rating)
    assert len(encoded.statuses) == len(CLAUSE_IDS)
    assert decode(rating.subject_code, CLAUSE_IDS, encoded) == rating


def test_the_stored_form_is_compact_and_keeps_only_fired_evidence() -> None:
    rating = rating_of(
        History.clean(Utility.WATER, "jiangsu").late(dt.date(2026, 3, 1), dt.date(2026, 4, 1))
    )
    encoded = encode(rating)
    assert encoded.level == "yellow"
    assert encoded.statuses[CLAUSE_IDS.index("Y2")] == "F"
    assert encoded.statuses[CLAUSE_IDS.index("B1")] == "X"
    assert encoded.measures.split(",")[CLAUSE_IDS.index("Y2")] == "2"
    assert encoded.evidence == '{"Y2":["B001","B002"]}'
    assert encode(rating_of(History.clean(Utility.WATER, "jiangsu"))).evidence is None


def test_a_row_that_does_not_match_the_run_clauses_is_refused() -> None:
    with pytest.raises(ValueError, match="does not match"):
        decode("X", CLAUSE_IDS, EncodedRating("green", "HH", ",", None))


def test_change_cause_names_clauses_that_began_or_stopped_firing_or_holding() -> None:
    before = {"B1": "H", "Y2": "C", "R2": "F", "B3": "H"}
    after = {"B1": "X", "Y2": "F", "R2": "C", "B3": "U"}
    assert change_cause(before, after) == Cause(
        fired=("Y2",), cleared=("R2",), unmet=("B1", "B3"), met=()
    )
    assert change_cause(after, before) == Cause(
        fired=("R2",), cleared=("Y2",), unmet=(), met=("B1", "B3")
    )
    first = change_cause(None, {"G1": "H", "Y1": "F"})
    assert first == Cause(fired=("Y1",))
    assert Cause.from_json(first.to_json()) == first
    assert Cause.from_json(None) == Cause()


def test_transition_tally_counts_cells_and_keeps_samples_of_changed_cells_only() -> None:
    tally = TransitionTally(samples=2)
    for code, a, b in [
        ("A", Level.GREEN, Level.GREEN),
        ("B", Level.GREEN, Level.YELLOW),
        ("C", Level.GREEN, Level.YELLOW),
        ("D", Level.GREEN, Level.YELLOW),
        ("E", None, Level.BLUE),
    ]:
        tally.add(code, a, b)
    result = tally.result()
    assert result.count(Level.GREEN, Level.YELLOW) == 3
    assert result.total == 5 and result.changed == 4
    assert result.samples == {(Level.GREEN, Level.YELLOW): ("B", "C"), (None, Level.BLUE): ("E",)}
    text = format_matrix(result, "t")
    assert "green → yellow (3): B, C" in text
    assert "changed: 4 of 5" in text


def test_level_counts_list_every_level() -> None:
    assert level_counts([Level.RED, "red", Level.GREEN]) == {
        "green": 1,
        "blue": 0,
        "yellow": 0,
        "red": 2,
        "black": 0,
    }
