from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from utilcredit.errors import ImportFileError
from utilcredit.importing.formats import KINDS, MONEY, FieldError, parse_bool, parse_date
from utilcredit.importing.readers import inspect, kind_of
from utilcredit.importing.validation import normalize_asset_class, parse_row


@pytest.mark.parametrize(
    "raw", ["2026-01-15", "2026/1/15", "20260115", "2026年1月15日", dt.date(2026, 1, 15)]
)
def test_dates_in_the_forms_billing_systems_export(raw: object) -> None:
    assert parse_date(raw) == dt.date(2026, 1, 15)


@pytest.mark.parametrize(
    "raw", ["2026-02-30", "2026-13-01", "15/01/2026", "yesterday", "2026-1-32"]
)
def test_impossible_or_ambiguous_dates_are_rejected(raw: str) -> None:
    with pytest.raises(FieldError):
        parse_date(raw)


def test_leap_day_exists_in_leap_years_only() -> None:
    assert parse_date("2028-02-29") == dt.date(2028, 2, 29)
    with pytest.raises(FieldError):
        parse_date("2027-02-29")


def test_money_is_exact_decimal_with_two_places() -> None:
    assert MONEY("1,234.5") == Decimal("1234.50")
    tenth, fifth = MONEY(Decimal("0.10")), MONEY("0.20")
    assert isinstance(tenth, Decimal) and isinstance(fifth, Decimal)
    assert tenth + fifth == Decimal("0.30")


@pytest.mark.parametrize("raw", ["-0.01", "1.001", "abc", "NaN", "Infinity", True])
def test_bad_money_is_rejected(raw: object) -> None:
    with pytest.raises(FieldError):
        MONEY(raw)


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("是", True), ("0", False), ("否", False)]
)
def test_booleans(raw: str, expected: bool) -> None:
    assert parse_bool(raw) is expected


@pytest.mark.parametrize(
    ("raw", "expected"), [("dn160", "DN160"), ("10KV", "10kV"), ("35 kv", "35kV"), ("低压", "低压")]
)
def test_asset_classes_are_normalised(raw: str, expected: str) -> None:
    assert normalize_asset_class(raw) == expected


def test_a_row_reports_every_bad_field_at_once() -> None:
    raw = {
        "bill_no": "B1",
        "account_no": "A1",
        "period_start": "x",
        "period_end": "2026-01-31",
        "amount": "-3",
    }
    _, problems = parse_row(KINDS["bills"], raw)
    assert {p.field for p in problems} == {"period_start", "amount", "due_on"}


def test_bill_period_must_not_end_before_it_starts() -> None:
    raw = {
        "bill_no": "B1",
        "account_no": "A1",
        "period_start": "2026-02-01",
        "period_end": "2026-01-31",
        "amount": "3",
        "due_on": "2026-02-15",
    }
    _, problems = parse_row(KINDS["bills"], raw)
    assert [p.field for p in problems] == ["period_end"]


@pytest.mark.parametrize(
    ("kind", "needed"),
    [("theft", "amount"), ("outage_caused", "asset_class"), ("facility_damage", "severity")],
)
def test_incidents_carry_what_their_rules_classify_them_by(kind: str, needed: str) -> None:
    raw = {"incident_no": "I1", "account_no": "A1", "kind": kind, "occurred_on": "2026-01-01"}
    _, problems = parse_row(KINDS["incidents"], raw)
    assert [p.field for p in problems] == [needed]


def test_natural_person_with_another_id_type_is_not_checked_as_resident_id() -> None:
    raw = {
        "code": "H12345678",
        "kind": "natural",
        "name": "陈大文",
        "id_type": "港澳居民来往内地通行证",
    }
    values, problems = parse_row(KINDS["subjects"], raw)
    assert problems == []
    assert values["code"] == "H12345678"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("bills.csv", "bills"),
        ("bills_2026-01.csv", "bills"),
        ("credit_reports.jsonl", "credit_reports"),
        ("Subjects.XLSX", "subjects"),
    ],
)
def test_kind_comes_from_the_file_stem(name: str, kind: str) -> None:
    assert kind_of(Path(name)) == kind


def test_unknown_file_stem_is_a_file_error() -> None:
    with pytest.raises(ImportFileError, match="cannot tell the kind"):
        kind_of(Path("customers.csv"))


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        ("名称\n".encode(), "utf-8"),
        (b"\xef\xbb\xbf" + "名称\n".encode(), "utf-8-sig"),
        ("名称\n".encode("gb18030"), "gb18030"),
    ],
)
def test_csv_encoding_is_detected(tmp_path: Path, content: bytes, encoding: str) -> None:
    path = tmp_path / "subjects.csv"
    path.write_bytes(content)
    assert inspect(path).encoding == encoding
