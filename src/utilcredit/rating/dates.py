"""Calendar arithmetic of SPEC 3 (the classic trap: whole calendar months, Feb 29)."""

from __future__ import annotations

import calendar
import datetime as dt


def _clamped(year: int, month: int, day: int) -> dt.date:
    """The date, with the day clamped to the month's last day (Jan 31 + 1 month = Feb 28/29)."""
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def add_months(day: dt.date, months: int) -> dt.date:
    """Add calendar months, clamping to the month's end (2026-01-31 + 1 → 2026-02-28)."""
    month_index = day.year * 12 + (day.month - 1) + months
    return _clamped(month_index // 12, month_index % 12 + 1, day.day)


def subtract_years(day: dt.date, years: int) -> dt.date:
    """Go back whole years, clamping Feb 29 to Feb 28 (2028-02-29 − 1 year = 2027-02-28)."""
    return _clamped(day.year - years, day.month, day.day)


def in_years_window(event_on: dt.date, as_of: dt.date, years: int) -> bool:
    """Within N years at D: D − N years < date ≤ D (SPEC 3)."""
    return subtract_years(as_of, years) < event_on <= as_of


def whole_months_elapsed(since: dt.date, as_of: dt.date) -> int:
    """Largest N ≥ 0 with ``add_months(since, N) ≤ as_of`` (SPEC 3, arrears duration)."""
    if as_of <= since:
        return 0
    months = (as_of.year - since.year) * 12 + (as_of.month - since.month)
    # The month difference overshoots by one when the day of month has not been reached yet.
    if add_months(since, months) > as_of:
        months -= 1
    return max(months, 0)
