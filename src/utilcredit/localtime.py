"""Local dates: SPEC 3 counts every window and deadline in Asia/Shanghai calendar days."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def today() -> dt.date:
    """Today's date in Asia/Shanghai, whatever the server's own time zone."""
    return dt.datetime.now(SHANGHAI).date()
