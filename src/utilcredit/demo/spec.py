"""What a demo data set is made of: how many subjects, which seed, date, history and region.

The same spec always gives byte-identical files (see :mod:`~utilcredit.demo.generator`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from utilcredit.demo.regions import get_region


@dataclass(frozen=True)
class DemoSpec:
    subjects: int = 5000
    seed: int = 20261122
    as_of: dt.date = dt.date(2026, 11, 22)  # bills up to this date
    years: int = 4  # months of history per account = years*12 (later accounts have fewer)
    # Division codes, area names and credit-report source: lianshui/huaiyin → jiangsu,
    # suizhou → hubei, shaoguan/zhanjiang → guangdong.
    region: str = "lianshui"
    due_day: int = 15  # bills fall due on this day of the month after the period

    def validate(self) -> None:
        if self.subjects < 0:
            raise ValueError("subjects must be >= 0")
        if not 1 <= self.years <= 30:
            raise ValueError("years must be between 1 and 30")
        if not 1 <= self.due_day <= 28:
            raise ValueError("due_day must be between 1 and 28 (valid in every month)")
        if self.as_of.year - self.years < 1999:
            raise ValueError("the history window must start after 1998")
        get_region(self.region)  # raises for an unknown region
