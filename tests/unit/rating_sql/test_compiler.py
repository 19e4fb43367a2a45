"""The compiler's building blocks against the reference code they reproduce.

The whole-months expression and the amount conditions are evaluated by in-memory SQLite and
DuckDB (no store) and compared with :mod:`utilcredit.rating.dates` and
:class:`~utilcredit.policies.model.conditions.AmountBounds` on random inputs.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import BigInteger, Date, Select, create_engine, literal, select

from utilcredit.policies.loader import list_policies
from utilcredit.policies.model.conditions import AmountBounds
from utilcredit.rating.dates import whole_months_elapsed
from utilcredit.rating.sql.aggregates import _fen_condition
from utilcredit.rating.sql.choice import ENGINE_NAMES, LOCAL_ENGINES, get_engine
from utilcredit.rating.sql.compiler import _whole_months, compile_policy
from utilcredit.rating.sql.engines import duckdb_sql
from utilcredit.rating.sql.vocabulary import Vocabulary

SQLITE = create_engine("sqlite://")
POSTGRESQL = create_engine("postgresql+psycopg://").dialect  # compile only, never connects
DUCK = duckdb.connect()
dates = st.dates(dt.date(2019, 1, 1), dt.date(2030, 12, 31))


def _on_both(query: Select[Any]) -> tuple[Any, Any]:
    with SQLITE.connect() as connection:
        on_sqlite = connection.execute(query).scalar_one()
    text, params = duckdb_sql(query)
    on_duckdb = DUCK.execute(text, params).fetchone()
    assert on_duckdb is not None
    return on_sqlite, on_duckdb[0]


@settings(max_examples=300, deadline=None)
@given(due=dates, as_of=dates)
def test_whole_months_in_sql_equal_the_calendar_rule(due: dt.date, as_of: dt.date) -> None:
    if due >= as_of:  # only bills due before D are in arrears
        due, as_of = as_of - dt.timedelta(days=1), due
    query = select(_whole_months(literal(due, Date), as_of))
    expected = whole_months_elapsed(due, as_of)
    assert _on_both(query) == (expected, expected)


@pytest.mark.parametrize(
    ("due", "as_of", "months"),
    [
        (dt.date(2026, 1, 31), dt.date(2026, 2, 28), 1),
        (dt.date(2026, 3, 31), dt.date(2026, 6, 30), 3),
        (dt.date(2026, 1, 15), dt.date(2026, 2, 15), 1),
        (dt.date(2026, 1, 15), dt.date(2026, 2, 14), 0),
        (dt.date(2027, 2, 28), dt.date(2028, 2, 29), 12),
        (dt.date(2028, 2, 29), dt.date(2029, 2, 28), 12),
    ],
)
def test_whole_months_known_answers(due: dt.date, as_of: dt.date, months: int) -> None:
    assert _on_both(select(_whole_months(literal(due, Date), as_of))) == (months, months)


def _bounds(low: Decimal, high: Decimal, low_inclusive: bool, high_inclusive: bool) -> AmountBounds:
    return AmountBounds(
        **{("gte" if low_inclusive else "gt"): low, ("lte" if high_inclusive else "lt"): high}
    )


bounds = st.builds(
    _bounds,
    st.decimals(Decimal("0"), Decimal("1000"), places=3),
    st.decimals(Decimal("1000.001"), Decimal("2000"), places=3),
    st.booleans(),
    st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(bounds=bounds, fen=st.integers(0, 250_000))
def test_amount_bounds_become_exact_integer_conditions(bounds: AmountBounds, fen: int) -> None:
    expected = bounds.contains(Decimal(fen) / 100)
    query = select(_fen_condition(literal(fen, BigInteger), bounds))
    on_sqlite, on_duckdb = _on_both(query)
    assert bool(on_sqlite) == expected
    assert bool(on_duckdb) == expected


@pytest.mark.parametrize("loaded", list_policies(), ids=lambda loaded: loaded.key)
def test_compiled_sql_has_no_month_difference_function(loaded: Any) -> None:
    vocabulary = Vocabulary(frozenset({"DN160", "10kV", "bogus"}), frozenset({"jiangsu"}))
    statement = compile_policy(loaded.policy, dt.date(2028, 2, 29), vocabulary).statement
    texts = [
        str(statement.compile(dialect=SQLITE.dialect)),
        str(statement.compile(dialect=POSTGRESQL)),
        duckdb_sql(statement)[0],
    ]
    for text in texts:
        lowered = text.lower()
        assert "date_diff" not in lowered
        assert "datediff" not in lowered
        assert "age(" not in lowered


def test_engines_are_chosen_by_name() -> None:
    assert [get_engine(name).name for name in ENGINE_NAMES] == list(ENGINE_NAMES)
    assert "spark" in ENGINE_NAMES and "spark" not in LOCAL_ENGINES
    with pytest.raises(ValueError, match="unknown rating engine"):
        get_engine("flink")
