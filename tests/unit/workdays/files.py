"""Calendar load files the workdays tests share.

The 2027 schedule is invented for the tests (the State Council had not published it when they
were written): New Year, Spring Festival with one adjusted Saturday, National Day with two.
"""

from __future__ import annotations

SCHEDULE_2027_ROWS = [
    ("2027-01-01", "holiday", "元旦"),
    ("2027-01-02", "holiday", "元旦"),
    ("2027-01-03", "holiday", "元旦"),
    *((f"2027-02-{day:02d}", "holiday", "春节") for day in range(6, 15)),
    ("2027-02-20", "workday", "春节调休上班"),
    ("2027-09-26", "workday", "国庆节调休上班"),
    *((f"2027-10-{day:02d}", "holiday", "国庆节") for day in range(1, 8)),
    ("2027-10-09", "workday", "国庆节调休上班"),
]


def calendar_csv(rows: list[tuple[str, str, str]], header: str = "date,kind,name") -> bytes:
    return ("\n".join([header, *(",".join(row) for row in rows)]) + "\n").encode("utf-8")


SCHEDULE_2027 = calendar_csv(SCHEDULE_2027_ROWS)
