"""A subject's public credit report (公共信用信息报告) as the platform answers it or as a
downloaded report is loaded by hand. Pure: an object or bytes in, a checked report out.

The platform's JSON (``GET reports/{code}``), which a downloaded report is also written in:

    {"subject_code": "9144…", "name": "…", "source": "creditchina", "issued_on": "2026-11-28",
     "has_dishonesty": false, "on_serious_list": false, "rating": "A",
     "records": [{"kind": "…", "summary": "…", "determined_on": "2026-01-05"}]}

``rating`` (A-D where the source rates) and ``records`` may be absent. A report loaded by hand
may also be a CSV file in the import's ``credit_reports`` layout (SPEC 5.2: subject_code,
source, issued_on, has_dishonesty, rating, on_serious_list), one line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass, field
from typing import Any

from utilcredit.errors import FieldInvalidError

RATINGS = ("A", "B", "C", "D")
_TRUE = {"true", "1", "yes", "是", "y"}
_FALSE = {"false", "0", "no", "否", "n"}


@dataclass(frozen=True, slots=True)
class PublicReport:
    subject_code: str
    source: str
    issued_on: dt.date
    has_dishonesty: bool
    on_serious_list: bool
    rating: str | None = None
    name: str | None = None
    records: tuple[dict[str, str], ...] = field(default_factory=tuple)

    def summary(self) -> dict[str, Any]:
        """What the check keeps of the report (``credit_checks.result``)."""
        return {
            "subject_code": self.subject_code,
            "name": self.name,
            "source": self.source,
            "issued_on": self.issued_on.isoformat(),
            "has_dishonesty": self.has_dishonesty,
            "on_serious_list": self.on_serious_list,
            "rating": self.rating,
            "records": list(self.records),
        }


def report_of(body: dict[str, Any], *, code: str, today: dt.date) -> PublicReport:
    """The report in ``body``, checked to be the subject's and no later than today."""
    found = str(body.get("subject_code") or "").strip()
    if found != code:
        raise FieldInvalidError(
            "subject_code",
            f"报告主体「{found or '(空)'}」不是核查对象 {code} / the report is about"
            f" {found or 'nobody'}, not {code}",
        )
    issued_on = _date(body.get("issued_on"))
    if issued_on > today:
        raise FieldInvalidError(
            "issued_on", f"报告日期 {issued_on} 晚于今天 / the report is dated after today"
        )
    rating = body.get("rating") or None
    if rating is not None and str(rating).upper() not in RATINGS:
        raise FieldInvalidError("rating", f"信用等级「{rating}」应为 A-D / rating must be A-D")
    records = body.get("records") or []
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise FieldInvalidError("records", "records 应为对象数组 / records must be objects")
    source = str(body.get("source") or "platform").strip()[:32]
    return PublicReport(
        subject_code=code,
        source=source,
        issued_on=issued_on,
        has_dishonesty=_flag(body, "has_dishonesty"),
        on_serious_list=_flag(body, "on_serious_list"),
        rating=None if rating is None else str(rating).upper(),
        name=str(body["name"]) if body.get("name") else None,
        records=tuple({str(k): str(v) for k, v in r.items()} for r in records),
    )


def read_report(raw: bytes, name: str, *, code: str, today: dt.date) -> PublicReport:
    """A downloaded report loaded by hand: the platform's JSON, or one CSV line."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError as error:
            raise FieldInvalidError(
                "file", f"{name}：编码应为 UTF-8 或 GB18030 / must be UTF-8 or GB18030"
            ) from error
    if name.lower().endswith(".csv"):
        lines = list(csv.DictReader(io.StringIO(text, newline="")))
        if len(lines) != 1:
            raise FieldInvalidError(
                "file", f"{name}：应恰有一行报告 / must hold exactly one report line"
            )
        return report_of(dict(lines[0]), code=code, today=today)
    try:
        body = json.loads(text)
    except ValueError as error:
        raise FieldInvalidError(
            "file", f"{name}：不是 JSON 报告 / not a JSON report: {error}"
        ) from error
    if not isinstance(body, dict):
        raise FieldInvalidError("file", f"{name}：应为 JSON 对象 / must be a JSON object")
    return report_of(body, code=code, today=today)


def _date(value: object) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise FieldInvalidError(
            "issued_on", f"报告日期「{value}」应为 YYYY-MM-DD / issued_on must be YYYY-MM-DD"
        ) from None


def _flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise FieldInvalidError(name, f"{name}「{value}」应为 true/false / must be true or false")
