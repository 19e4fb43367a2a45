"""The evidence of an explanation as the credit file shows it: one record (a bill with its
payments, an incident, an account, a public credit report) as labelled facts in the page's
language, with amounts in 元, usage in m³ or kWh, dates as dates and every stored value
(utility, payment mode, incident kind, severity, report source, yes/no) in words.

The facts are built here, not in the template, so the words and units are checked without a
browser (tests/e2e/web/test_creditfile_pages.py) and the template only lays them out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from utilcredit.customers.model import IncidentKind
from utilcredit.rating.evaluator import INCIDENT_KIND_ZH
from utilcredit.web.casework import RecordLabels
from utilcredit.web.formats import date_text, money, quantity
from utilcredit.web.i18n import Translator
from utilcredit.web.rendering import EVIDENCE_FIELDS, UTILITY_LABELS

# Which fields of each kind of record are shown, in reading order (ids, timestamps and the
# unit column, printed with the usage, are left out).
FIELDS_BY_KIND: dict[str, tuple[str, ...]] = {
    "bill": (
        "bill_no",
        "account_no",
        "period_start",
        "period_end",
        "usage_milli",
        "amount_fen",
        "due_on",
        "set_aside_by",
    ),
    "incident": (
        "incident_no",
        "account_no",
        "kind",
        "occurred_on",
        "amount_fen",
        "asset_class",
        "severity",
        "note",
        "set_aside_by",
    ),
    "account": ("account_no", "utility", "opened_on", "payment_mode", "address", "area"),
    "report": ("source", "issued_on", "has_dishonesty", "on_serious_list", "rating"),
}

#: The kinds of evidence record, as the heading of the record names them.
KIND_LABELS: dict[str, tuple[str, str]] = {
    "bill": ("账单", "Bill"),
    "incident": ("事件", "Incident"),
    "account": ("户号", "Account"),
    "report": ("公共信用报告", "Credit report"),
    "commitment": ("信用承诺", "Commitment"),
    "application": ("申请", "Application"),
}

# Stored values of the credit file → (中文, English). A value not listed (a source a
# deployment added) is shown as stored: it is a name, not one of these words.
VALUE_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "payment_mode": {"prepaid": ("预付费", "Prepaid"), "postpaid": ("后付费", "Postpaid")},
    "severity": {"minor": ("轻微", "Minor"), "serious": ("严重", "Serious")},
    "source": {
        "creditchina": ("信用中国", "Credit China"),
        "jiangsu": ("信用江苏", "Credit Jiangsu"),
        "hubei": ("信用湖北", "Credit Hubei"),
        "guangdong": ("信用广东", "Credit Guangdong"),
    },
    "channel": {
        "sms": ("短信", "SMS"),
        "wechat": ("微信", "WeChat"),
        "email": ("电子邮件", "E-mail"),
        "phone": ("电话", "Phone"),
        "call": ("电话", "Phone"),
        "letter": ("书面函件", "Letter"),
        "visit": ("上门送达", "In person"),
    },
    "utility": dict(UTILITY_LABELS),
    "bool": {"True": ("是", "Yes"), "False": ("否", "No")},
}


def value_word(t: Translator, kind: str, value: Any) -> str:
    """A stored value in words (``('payment_mode', 'postpaid')`` → 后付费 / Postpaid); a
    value without words is shown as stored, nothing as a dash."""
    if value is None or value == "":
        return "—"
    words = VALUE_WORDS[kind].get(str(value))
    return t.pick(*words) if words else str(value)


def incident_kind_word(t: Translator, value: str) -> str:
    try:
        kind = IncidentKind(value)
    except ValueError:
        return value
    return t.pick(INCIDENT_KIND_ZH[kind], value.replace("_", " ").capitalize())


@dataclass(frozen=True, slots=True)
class FileLabels:
    """The credit file's stored values in the page's language, for its templates:
    ``fl('channel', 'sms')`` → 短信 / SMS, ``fl('bool', True)`` → 是 / Yes,
    ``fl.incident_kind('theft')`` → 窃水/电 / Theft."""

    t: Translator

    def __call__(self, kind: str, value: Any) -> str:
        return value_word(self.t, kind, value)

    def incident_kind(self, value: str) -> str:
        return incident_kind_word(self.t, value)


@dataclass(frozen=True, slots=True)
class Fact:
    """One line of an evidence record: its label, its value as shown, and a link if any."""

    key: str
    label: str
    value: str
    href: str | None = None


def _fact_value(t: Translator, key: str, value: Any, row: Mapping[str, Any], utility: str) -> str:
    if value is None or value == "":
        return "—"
    if key.endswith("_fen"):
        return money(value, t.lang)
    if key == "usage_milli":
        return quantity(value, row.get("unit"), utility)
    if isinstance(value, bool):
        return value_word(t, "bool", value)
    if isinstance(value, dt.date):
        return date_text(value)
    if key == "kind":
        return incident_kind_word(t, str(value))
    if key in ("payment_mode", "severity", "source", "utility"):
        return value_word(t, key, value)
    return str(value)


def _fact(t: Translator, key: str, row: Mapping[str, Any], utility: str) -> Fact:
    zh, en = EVIDENCE_FIELDS.get(key, ("—", "—"))
    value = row.get(key)
    if key == "set_aside_by" and value is not None:
        return Fact(key, t.pick(zh, en), RecordLabels(t).case("record", value), f"/records/{value}")
    return Fact(key, t.pick(zh, en), _fact_value(t, key, value, row, utility))


def _payment_amount(payment: Mapping[str, Any]) -> Any:
    # The bill's payments are read by attribute (``amount``), the bill itself by column
    # (``amount_fen``): accept either name for the same yuan value.
    return payment["amount"] if "amount" in payment else payment["amount_fen"]


def _bill_totals(
    t: Translator, row: Mapping[str, Any], payments: Sequence[Mapping[str, Any]]
) -> list[Fact]:
    """What was paid of a bill and what is still owed, from its payments."""
    paid = sum((Decimal(_payment_amount(p)) for p in payments), Decimal("0.00"))
    owed = max(Decimal(row["amount_fen"]) - paid, Decimal("0.00"))
    return [
        Fact("paid", t.pick("已缴金额", "Paid"), money(paid, t.lang)),
        Fact("owed", t.pick("欠费金额", "Owed"), money(owed, t.lang)),
    ]


def evidence_facts(t: Translator, kind: str, record: Mapping[str, Any]) -> list[Fact]:
    """The facts of an evidence record (``creditfile.service.evidence``'s answer) to show."""
    row: Mapping[str, Any] = record["row"]
    utility = str(record.get("utility") or row.get("utility") or "")
    keys = FIELDS_BY_KIND.get(kind, ())
    # "Set aside by record —" would read as if it were; only a bill or incident set aside says so.
    shown = [key for key in keys if key in row and (key != "set_aside_by" or row[key] is not None)]
    facts = [_fact(t, key, row, utility) for key in shown]
    if kind == "bill" and row.get("amount_fen") is not None:
        facts += _bill_totals(t, row, record.get("payments") or [])
    return facts


def evidence_title(t: Translator, kind: str, ref: str) -> str:
    """The heading of an evidence record: its kind and reference (a report by its source)."""
    zh, en = KIND_LABELS.get(kind, ("证据", "Evidence"))
    shown = value_word(t, "source", ref) if kind == "report" else ref
    return f"{t.pick(zh, en)} {shown}"


@dataclass(frozen=True, slots=True)
class PaymentFact:
    payment_no: str
    paid_on: str
    amount: str


def payment_facts(t: Translator, record: Mapping[str, Any]) -> list[PaymentFact]:
    """A bill's payments as the evidence record lists them."""
    return [
        PaymentFact(
            str(p["payment_no"]), date_text(p["paid_on"]), money(_payment_amount(p), t.lang)
        )
        for p in record.get("payments") or []
    ]
