"""Output schemas of the supervision reports (``/api/reports``). A report is the domain's own
record (``supervision.model.MonthlyReport``, nested dataclasses): it is published as it is,
written once, in the domain."""

from __future__ import annotations

from pydantic import BaseModel, Field

from utilcredit.supervision.model import MonthlyReport


class MonthlyReportsOut(BaseModel):
    """The month's reports, one per utility the reader may read (or the one asked for).

    Counts are integers. A share (``on_time``, ``error_rate``) is ``numerator`` of
    ``denominator`` exactly, with ``display`` the percentage rounded for people (``—`` when
    the denominator is 0)."""

    month: str = Field(description="月份 / month, YYYY-MM (Asia/Shanghai)")
    reports: list[MonthlyReport]
