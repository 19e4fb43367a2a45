"""How the console writes amounts, quantities and dates of the credit file.

Money arrives as :class:`~decimal.Decimal` yuan (the store keeps integer fen, ``db.Money``
scales it) and usage as ``Decimal`` with three places (thousandths). Both are written with
``Decimal`` formatting only, never through ``float``, so 0.10 元 never shows as 0.1 or
0.09999…; thousands are separated with commas, the way Chinese statements print them.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

#: Usage units as billing systems write them → the unit printed (m³ for water, kWh for power).
_UNITS = {
    "m3": "m³",
    "m³": "m³",
    "m^3": "m³",
    "立方米": "m³",
    "方": "m³",
    "kwh": "kWh",
    "千瓦时": "kWh",
    "度": "kWh",
}
#: The unit of a utility's usage when the bill names none.
UTILITY_UNITS = {"water": "m³", "power": "kWh"}

_CENT = Decimal("0.01")


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def yuan_number(value: Any) -> str:
    """``Decimal('1234567.5')`` → ``1,234,567.50`` (two places, thousands separated); ``—``
    when there is no amount."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    return f"{amount.quantize(_CENT, rounding=ROUND_HALF_UP):,.2f}"


def yuan(value: Any) -> str:
    """``Decimal('1234.5')`` → ``1,234.50 元``; ``—`` when there is no amount."""
    number = yuan_number(value)
    return number if number == "—" else f"{number} 元"


def money(value: Any, lang: str) -> str:
    """An amount in the page's language: ``1,234.50 元`` in Chinese, ``CNY 1,234.50`` in
    English (no Chinese character in the English pages)."""
    if lang == "zh":
        return yuan(value)
    number = yuan_number(value)
    return number if number == "—" else f"CNY {number}"


def fen_to_yuan(fen: int) -> str:
    """Integer fen as yuan: ``123456`` → ``1,234.56 元`` (exact: scaled, never divided)."""
    return yuan(Decimal(fen).scaleb(-2))


def unit_label(unit: str | None, utility: str | None = None) -> str:
    """The printed unit of a bill's usage: the bill's own unit normalised (``m3`` → ``m³``,
    ``千瓦时`` → ``kWh``), else the utility's (water m³, power kWh), else nothing."""
    if unit and unit.strip():
        return _UNITS.get(unit.strip().lower(), unit.strip())
    return UTILITY_UNITS.get(utility or "", "")


def quantity(value: Any, unit: str | None = None, utility: str | None = None) -> str:
    """Usage with its unit: ``Decimal('12345.500')`` of water → ``12,345.5 m³`` (up to three
    places, trailing zeros dropped); ``—`` when the bill states no usage."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    text = f"{amount:,.3f}".rstrip("0").rstrip(".")
    label = unit_label(unit, utility)
    return f"{text} {label}" if label else text


def date_text(value: Any) -> str:
    """A date as ``YYYY-MM-DD``; a timestamp as its day (the credit file's facts are days)."""
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
