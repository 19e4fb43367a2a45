"""The report's pure parts: months in Shanghai time, exact shares, batch error rules, sheets."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from utilcredit.errors import FieldInvalidError
from utilcredit.policies.model.levels import Level
from utilcredit.supervision.model import (
    Month,
    Share,
    batch_line,
    case_section,
    direction,
    exchange_section,
    level_section,
    percent,
)
from utilcredit.supervision.sheets import sheets

SENT = dt.datetime(2026, 11, 5, 4, tzinfo=dt.UTC)


def test_month_parses_and_names_its_field() -> None:
    assert Month.parse("2026-11") == Month(2026, 11)
    for bad in ("2026-13", "2026-00", "2026/11", "26-11", "2026-1", "", "1999-12"):
        with pytest.raises(FieldInvalidError) as caught:
            Month.parse(bad, "month")
        assert caught.value.field == "month"
        assert "YYYY-MM" in str(caught.value) or "month" in str(caught.value)


def test_month_bounds_are_shanghai_midnights() -> None:
    november = Month(2026, 11)
    assert november.start_at() == dt.datetime(2026, 10, 31, 16, tzinfo=dt.UTC)
    assert november.end_at() == dt.datetime(2026, 11, 30, 16, tzinfo=dt.UTC)
    assert november.last_day == dt.date(2026, 11, 30)
    assert Month(2026, 12).next_first_day == dt.date(2027, 1, 1)
    assert Month(2026, 1).previous() == Month(2025, 12)
    assert Month(2024, 2).last_day == dt.date(2024, 2, 29)


@given(st.integers(0, 10_000), st.integers(1, 10_000))
def test_a_share_is_exact_and_only_its_display_is_rounded(a: int, b: int) -> None:
    numerator, denominator = min(a, b), max(a, b)
    share = Share.of(numerator, denominator)
    assert share.fraction == Fraction(numerator, denominator)
    shown = float(share.display.rstrip("%"))
    assert abs(shown - 100 * numerator / denominator) <= 0.05 + 1e-9


def test_percent_rounds_half_up_and_shows_a_dash_for_nothing() -> None:
    assert percent(1, 8) == "12.5%"
    assert percent(1, 16, 1) == "6.3%"  # 6.25 → 6.3 (half up, not to even)
    assert percent(2, 3) == "66.7%"
    assert percent(0, 0) == "—"
    with pytest.raises(ValueError):
        Share.of(3, 2)


def test_directions_follow_the_level_order() -> None:
    assert direction(Level.RED, Level.YELLOW) == "up"
    assert direction(Level.BLUE, Level.BLACK) == "down"
    assert direction(Level.GREEN, Level.GREEN) == "same"
    assert direction(None, Level.GREEN) == "joined"
    assert direction(Level.GREEN, None) == "left"


def test_level_section_lists_every_level_and_counts_moves() -> None:
    section = level_section(
        None,
        None,
        {Level.RED: 2, Level.GREEN: 1},
        {(Level.RED, Level.YELLOW): 1, (Level.YELLOW, Level.RED): 2, (None, Level.GREEN): 1},
    )
    assert [c.level for c in section.distribution] == list(Level)
    assert section.subjects == 3
    assert (section.upgraded, section.downgraded, section.joined) == (1, 2, 1)
    assert section.transitions[0].from_level is None  # joined first, then best from-level


@pytest.mark.parametrize(
    ("status", "returned_rows", "distinct", "errors"),
    [
        ("accepted", 0, 0, 0),
        ("partly_rejected", None, 3, 3),
        ("partly_rejected", 5, 3, 5),  # the platform's own count wins
        ("rejected", None, 0, 10),  # rejected whole without a file: every row
        ("rejected", None, 4, 4),
        ("partly_rejected", 50, 0, 10),  # never more than the batch's rows
    ],
)
def test_batch_errors(status: str, returned_rows: int | None, distinct: int, errors: int) -> None:
    line = batch_line(
        id=1,
        kind="payments",
        utilities="water",
        status=status,
        sent_at=SENT,
        rows=10,
        returned_rows=returned_rows,
        distinct_returned=distinct,
    )
    assert line.answered and line.error_rows == errors
    assert line.error_rate is not None and line.error_rate.fraction == Fraction(errors, 10)


def test_unanswered_batches_stay_out_of_the_rate() -> None:
    sent = batch_line(
        id=2, kind="arrears", utilities="water", status="sent", sent_at=SENT, rows=40,
        returned_rows=None, distinct_returned=0,
    )  # fmt: skip
    done = batch_line(
        id=3, kind="arrears", utilities="water", status="partly_rejected", sent_at=SENT,
        rows=8, returned_rows=None, distinct_returned=1,
    )  # fmt: skip
    section = exchange_section([sent, done])
    assert (section.sent, section.answered, section.rows_answered) == (2, 1, 8)
    assert section.error_rate.display == "12.5%"


def test_sheets_have_chinese_headers_and_one_row_per_report_line() -> None:
    section = case_section(4, 2, 1, 1)
    assert section.on_time.display == "50.0%"
    titles = [s.title for s in sheets([])]
    assert titles == [
        "概览", "等级分布", "等级变动", "失信记录", "异议与修复", "信用承诺", "通知", "报送批次"
    ]  # fmt: skip
    assert all(not s.rows for s in sheets([]))
