"""Chinese working days: statutory holidays and adjusted working weekends (调休) for deadlines.

The years the ``chinese_calendar`` library knows come from it; other years, and corrections,
from the admin-loaded calendar table (``utilcredit calendar load FILE``). See docs/calendar.md.
"""
