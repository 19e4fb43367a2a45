"""How the credit file writes money, usage and dates (web/formats.py): exact, with thousands
separators, in the page's language."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from utilcredit.web.formats import date_text, fen_to_yuan, money, quantity, unit_label, yuan


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("1234567.89"), "1,234,567.89 元"),
        (Decimal("0.1"), "0.10 元"),
        (Decimal("-12.5"), "-12.50 元"),
        (Decimal("999.995"), "1,000.00 元"),  # half up, as the bills round
        (None, "—"),
    ],
)
def test_yuan(value: Decimal | None, shown: str) -> None:
    assert yuan(value) == shown


def test_fen_integers_are_scaled_never_divided() -> None:
    # 0.1 + 0.2 style float errors would show in the last place of a large amount.
    assert fen_to_yuan(123_456_789_012_345_67) == "123,456,789,012,345.67 元"
    assert fen_to_yuan(7) == "0.07 元"


def test_money_in_english_has_no_chinese() -> None:
    assert money(Decimal("1234.5"), "en") == "CNY 1,234.50"
    assert money(Decimal("1234.5"), "zh") == "1,234.50 元"
    assert money(None, "en") == "—"


@pytest.mark.parametrize(
    ("unit", "utility", "label"),
    [
        ("m3", None, "m³"),
        ("立方米", "water", "m³"),
        ("千瓦时", None, "kWh"),
        ("KWH", None, "kWh"),
        (None, "water", "m³"),
        ("", "power", "kWh"),
        ("吨", "water", "吨"),  # a unit the bill names is kept as named
        (None, None, ""),
    ],
)
def test_unit_label(unit: str | None, utility: str | None, label: str) -> None:
    assert unit_label(unit, utility) == label


def test_quantity_drops_trailing_zeros_and_keeps_thousandths() -> None:
    assert quantity(Decimal("12345.500"), "m3") == "12,345.5 m³"
    assert quantity(Decimal("2000.000"), None, "power") == "2,000 kWh"
    assert quantity(Decimal("0.001"), None, "water") == "0.001 m³"
    assert quantity(None, "m3") == "—"


def test_dates_are_days() -> None:
    assert date_text(dt.date(2026, 11, 30)) == "2026-11-30"
    assert date_text(dt.datetime(2026, 11, 30, 23, 59)) == "2026-11-30"
    assert date_text(None) == "—"
