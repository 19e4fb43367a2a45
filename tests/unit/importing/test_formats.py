from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from utilcredit.errors import ImportFileError
from utilcredit.importing.formats import KINDS, MONEY, FieldError, parse_bool, parse_date
from utilcredit.importing.readers.source import inspect, kind_of
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


@pytest.mark.parametrize(
    "raw", ["1e400", "99999999999999999999", "9" * 5000, "1E+15", "1e999999999999999999"]
)
def test_amounts_beyond_any_bill_are_rejected_not_overflowed(raw: str) -> None:
    with pytest.raises(FieldError, match="number too large"):
        MONEY(raw)
    assert MONEY("999999999999999.99") == Decimal("999999999999999.99")


def test_a_reason_quotes_a_long_value_briefly() -> None:
    with pytest.raises(FieldError) as caught:
        parse_date("x" * 4000)
    assert len(str(caught.value)) < 200


def test_code_references_have_a_length_limit() -> None:
    _, problems = parse_row(KINDS["accounts"], {"subject_code": "9" * 65})
    assert [p.reason for p in problems if p.field == "subject_code"] == [
        "长度超过64 / longer than 64 characters"
    ]


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("x" * 4097, "a field is longer than 4096 characters"),
        ("bad \udce9 byte", "cannot be decoded"),
        ("lone \ud800", "cannot be decoded"),
        ("nul \x00", "NUL"),
        (["a", "list"], "not a list or an object"),
        ({"an": "object"}, "not a list or an object"),
    ],
)
def test_cells_that_cannot_be_stored_are_rejected_before_parsing(cell: object, reason: str) -> None:
    _, problems = parse_row(
        KINDS["subjects"], {"code": "H12345678", "kind": "natural", "name": cell}
    )
    [problem] = problems
    assert problem.field == "name" and reason in problem.reason
    assert problem.value is not None and "\x00" not in problem.value
    assert problem.value.encode("utf-8")  # storable text: no lone surrogate left


@pytest.mark.parametrize(
    ("content", "encoding", "clean"),
    [
        (b"code\nCaf\xe9\n", "utf-8", False),  # Latin-1: neither UTF-8 nor GB18030
        ("名称\n".encode() + b"\x00\n", "utf-8", False),  # valid UTF-8, but a NUL
        ("名称\n".encode("gb18030") + b"\xff\n", "gb18030", False),  # GB18030, one bad byte
        ("名称\n".encode(), "utf-8", True),
    ],
)
def test_text_that_does_not_decode_cleanly_is_read_row_by_row(
    tmp_path: Path, content: bytes, encoding: str, clean: bool
) -> None:
    path = tmp_path / "subjects.csv"
    path.write_bytes(content)
    source = inspect(path)
    assert (source.encoding, source.clean, source.encoding_problem) == (encoding, clean, None)


def test_utf16_is_refused_with_the_accepted_encodings(tmp_path: Path) -> None:
    path = tmp_path / "subjects.csv"
    path.write_bytes("code,kind,name\n".encode("utf-16"))
    problem = inspect(path).encoding_problem
    assert problem is not None and "UTF-8 (with or without BOM) or GB18030" in problem
