"""What a demo run derives from its spec once per process: the history window's months, every
day's ISO text, the region and its county weights, the incident notes.

Every block of the simulation reads the same :class:`Context`; building it once keeps the bill
loop free of date arithmetic and date formatting.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from utilcredit.customers.model import Utility
from utilcredit.demo.profiles import SEASON
from utilcredit.demo.regions import Region, get_region
from utilcredit.demo.spec import DemoSpec
from utilcredit.demo.vocab import incident_notes


@dataclass(frozen=True, slots=True)
class Month:
    tag: str  # 202610, part of the bill number
    period: str  # "period_start,period_end" as it appears in a bills line
    due: str
    end_ord: int
    due_ord: int


@dataclass(frozen=True, slots=True)
class Context:
    """Everything derived from the spec once per process, shared by all blocks."""

    seed: int
    region: Region
    as_of_ord: int
    months: tuple[Month, ...]  # the history window, oldest first
    first_month_ord: int  # first day of the window
    month_starts: tuple[int, ...]  # ordinal of each month's first day, for bisect
    day_base: int
    day_str: tuple[str, ...]  # ISO text of every day from day_base to as_of
    # Per utility and window month: (tag, period, due text, end ordinal, due ordinal,
    # seasonal factor); flat tuples because the bill loop unpacks one per bill.
    month_rows: dict[Utility, tuple[tuple[str, str, str, int, int, float], ...]]
    notes: dict[Utility, dict[str, tuple[str, ...]]]
    county_cum: tuple[float, ...]

    def day(self, ordinal: int) -> str:
        return self.day_str[ordinal - self.day_base]


def _add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + delta
    return index // 12, index % 12 + 1


def build_context(spec: DemoSpec) -> Context:
    region = get_region(spec.region)
    as_of = spec.as_of
    # A month is billed once it is over: the last bill is for the last month ending before
    # as_of.
    last_year, last_month = _add_months(as_of.year, as_of.month, -1)
    months: list[Month] = []
    starts: list[int] = []
    for back in range(spec.years * 12 - 1, -1, -1):
        year, month = _add_months(last_year, last_month, -back)
        start = dt.date(year, month, 1)
        ny, nm = _add_months(year, month, 1)
        end = dt.date(ny, nm, 1) - dt.timedelta(days=1)
        due = dt.date(ny, nm, spec.due_day)
        months.append(
            Month(
                f"{year}{month:02d}",
                f"{start.isoformat()},{end.isoformat()}",
                due.isoformat(),
                end.toordinal(),
                due.toordinal(),
            )
        )
        starts.append(start.toordinal())
    first = starts[0]
    as_of_ord = as_of.toordinal()
    day_str = tuple(dt.date.fromordinal(o).isoformat() for o in range(first, as_of_ord + 1))
    month_rows = {
        u: tuple(
            (m.tag, m.period, m.due, m.end_ord, m.due_ord, SEASON[u][int(m.tag[4:]) - 1])
            for m in months
        )
        for u in (Utility.WATER, Utility.POWER)
    }
    total = sum(region.county_weights)
    county_cum: list[float] = []
    acc = 0
    for w in region.county_weights:
        acc += w
        county_cum.append(acc / total)
    return Context(
        seed=spec.seed,
        region=region,
        as_of_ord=as_of_ord,
        months=tuple(months),
        first_month_ord=first,
        month_starts=tuple(starts),
        day_base=first,
        day_str=day_str,
        month_rows=month_rows,
        notes={u: incident_notes(u) for u in (Utility.WATER, Utility.POWER)},
        county_cum=tuple(county_cum),
    )
