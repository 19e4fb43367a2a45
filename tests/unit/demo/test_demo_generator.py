"""The demo generator: canonical files, valid codes, consistent keys, realistic spread."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import re
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from utilcredit.customers.model import IncidentKind
from utilcredit.demo import HEADERS, KINDS, DemoSpec, generate
from utilcredit.demo import generator as generator_module
from utilcredit.demo.context import build_context
from utilcredit.demo.regions import REGIONS
from utilcredit.demo.simulate import simulate_block
from utilcredit.identifiers import validate_ric, validate_uscc

AS_OF = dt.date(2026, 11, 22)
MEDIUM = DemoSpec(subjects=1500, seed=7, as_of=AS_OF)

Table = list[dict[str, str]]


def read(out: Path, kind: str) -> Table:
    with (out / f"{kind}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Table]:
    out = tmp_path_factory.mktemp("demo")
    counts = generate(MEDIUM, out)
    tables = {kind: read(out, kind) for kind in KINDS}
    assert counts == {kind: len(rows) for kind, rows in tables.items()}
    return tables


def file_bytes(out: Path) -> dict[str, bytes]:
    return {kind: (out / f"{kind}.csv").read_bytes() for kind in KINDS}


def add_months(day: dt.date, n: int) -> dt.date:
    """Calendar month addition clamped to the month's last day (SPEC 3)."""
    index = day.year * 12 + day.month - 1 + n
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def fen(amount: str) -> int:
    """Exact integer fen of a two-decimal amount text (faster than Decimal for big tables)."""
    units, cents = amount.split(".")
    return int(units) * 100 + int(cents)


def arrears_months(due: dt.date, as_of: dt.date) -> int:
    n = 0
    while as_of >= add_months(due, n + 1):
        n += 1
    return n


# -- format ---------------------------------------------------------------------------


def test_headers_are_the_canonical_columns(tmp_path: Path) -> None:
    generate(DemoSpec(subjects=20), tmp_path)
    for kind in KINDS:
        first = (tmp_path / f"{kind}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert first == ",".join(HEADERS[kind])
    assert HEADERS["subjects"] == (
        "code",
        "kind",
        "name",
        "id_type",
        "legal_rep",
        "phone",
        "address",
        "area",
        "founded_on",
    )
    assert HEADERS["credit_reports"] == (
        "subject_code",
        "source",
        "issued_on",
        "has_dishonesty",
        "rating",
        "on_serious_list",
    )


def test_no_temporary_files_left(tmp_path: Path) -> None:
    generate(DemoSpec(subjects=20), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{k}.csv" for k in KINDS)


def test_failure_leaves_no_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generator_module, "BLOCK_SUBJECTS", 50)

    def explode(done: int) -> None:
        if done >= 100:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        generate(DemoSpec(subjects=300), tmp_path, progress=explode)
    assert list(tmp_path.iterdir()) == []


def test_progress_reports_subjects_done(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generator_module, "BLOCK_SUBJECTS", 100)
    seen: list[int] = []
    generate(DemoSpec(subjects=250), tmp_path, progress=seen.append)
    assert seen == [100, 200, 250]


_DAY = r"\d{4}-\d{2}-\d{2}"
_MONEY = r"\d+\.\d{2}"
_ACCOUNT = r"[WP]\d{13}"
# Whole-line patterns of the high-volume files: ISO dates, two-decimal amounts, no quoting.
_LINES = {
    "bills": re.compile(
        rf"{_ACCOUNT}-\d{{6}},{_ACCOUNT},{_DAY},{_DAY},\d+,(m³|kWh),{_MONEY},{_DAY}"
    ),
    "payments": re.compile(rf"{_ACCOUNT}-\d{{6}}-[12],{_ACCOUNT}-\d{{6}},{_DAY},{_MONEY}"),
    "reminders": re.compile(rf"{_ACCOUNT}-C\d{{2}},{_ACCOUNT},{_DAY},(sms|phone|wechat|letter)"),
}


def test_dates_amounts_and_booleans_are_canonical_text(tmp_path: Path) -> None:
    generate(DemoSpec(subjects=500), tmp_path)
    for kind, pattern in _LINES.items():
        lines = (tmp_path / f"{kind}.csv").read_text(encoding="utf-8").splitlines()[1:]
        assert lines and all(map(pattern.fullmatch, lines)), kind
    money = re.compile(_MONEY)
    for incident in read(tmp_path, "incidents"):
        assert incident["amount"] == "" or money.fullmatch(incident["amount"])
        assert re.fullmatch(_DAY, incident["occurred_on"])
    for report in read(tmp_path, "credit_reports"):
        assert report["has_dishonesty"] in {"true", "false"}
        assert report["on_serious_list"] in {"true", "false"}
        assert report["rating"] in {"", "A", "B", "C", "D"}
        assert re.fullmatch(_DAY, report["issued_on"])
    for account in read(tmp_path, "accounts"):
        assert re.fullmatch(_DAY, account["opened_on"])
        assert account["payment_mode"] in {"prepaid", "postpaid"}


# -- determinism ----------------------------------------------------------------------


def test_same_spec_gives_identical_bytes(tmp_path: Path) -> None:
    spec = DemoSpec(subjects=300)
    generate(spec, tmp_path / "a")
    generate(spec, tmp_path / "b")
    assert file_bytes(tmp_path / "a") == file_bytes(tmp_path / "b")


def test_other_seed_gives_other_data(tmp_path: Path) -> None:
    generate(DemoSpec(subjects=300, seed=1), tmp_path / "a")
    generate(DemoSpec(subjects=300, seed=2), tmp_path / "b")
    a, b = file_bytes(tmp_path / "a"), file_bytes(tmp_path / "b")
    assert a["subjects"] != b["subjects"] and a["bills"] != b["bills"]


def test_workers_do_not_change_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generator_module, "BLOCK_SUBJECTS", 100)
    spec = DemoSpec(subjects=300, region="zhanjiang")
    generate(spec, tmp_path / "one", workers=1)
    generate(spec, tmp_path / "two", workers=2)
    assert file_bytes(tmp_path / "one") == file_bytes(tmp_path / "two")


def test_invalid_spec_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="region"):
        generate(DemoSpec(subjects=1, region="atlantis"), tmp_path)
    with pytest.raises(ValueError, match="due_day"):
        generate(DemoSpec(subjects=1, due_day=31), tmp_path)


# -- identifiers and keys -------------------------------------------------------------


def test_every_code_is_valid_and_unique(medium: dict[str, Table]) -> None:
    subjects = medium["subjects"]
    for s in subjects:
        if s["kind"] == "legal":
            assert validate_uscc(s["code"]) == s["code"]
            assert s["id_type"] == "" and s["legal_rep"]
        else:
            assert s["kind"] == "natural" and s["id_type"] == "身份证"
            assert validate_ric(s["code"], today=AS_OF) == s["code"]
        assert re.match(r"^1[3-9]\d{9}$", s["phone"])
        division = s["code"][2:8] if s["kind"] == "legal" else s["code"][:6]
        assert division == "320826"  # Lianshui county
    assert len({s["code"] for s in subjects}) == len(subjects)


def test_subject_mix(medium: dict[str, Table]) -> None:
    subjects = medium["subjects"]
    natural = sum(s["kind"] == "natural" for s in subjects)
    assert 0.03 < natural / len(subjects) < 0.08
    prefixes = Counter(s["code"][:2] for s in subjects if s["kind"] == "legal")
    assert prefixes["91"] > len(subjects) * 0.6
    for expected in ("92", "93", "51", "52", "11", "12", "N2", "Y1"):
        assert prefixes[expected] > 0, expected
    areas = {s["area"] for s in subjects}
    assert {"涟城镇", "高沟镇", "陈师街道"} <= areas


def test_unique_keys(medium: dict[str, Table]) -> None:
    for kind, key in (
        ("accounts", "account_no"),
        ("bills", "bill_no"),
        ("payments", "payment_no"),
        ("incidents", "incident_no"),
        ("reminders", "reminder_no"),
    ):
        values = [row[key] for row in medium[kind]]
        assert len(set(values)) == len(values), kind


def test_foreign_keys_are_consistent(medium: dict[str, Table]) -> None:
    subject_codes = {s["code"] for s in medium["subjects"]}
    account_nos = {a["account_no"] for a in medium["accounts"]}
    bill_nos = {b["bill_no"] for b in medium["bills"]}
    assert all(a["subject_code"] in subject_codes for a in medium["accounts"])
    assert all(b["account_no"] in account_nos for b in medium["bills"])
    assert all(p["bill_no"] in bill_nos for p in medium["payments"])
    assert all(i["account_no"] in account_nos for i in medium["incidents"])
    assert all(r["account_no"] in account_nos for r in medium["reminders"])
    assert all(r["subject_code"] in subject_codes for r in medium["credit_reports"])


def test_accounts_mix(medium: dict[str, Table]) -> None:
    accounts = medium["accounts"]
    per_subject = Counter(a["subject_code"] for a in accounts)
    assert set(per_subject.values()) <= {1, 2, 3} and len(per_subject) == MEDIUM.subjects
    utilities: dict[str, set[str]] = defaultdict(set)
    for a in accounts:
        utilities[a["subject_code"]].add(a["utility"])
    water = sum("water" in u for u in utilities.values()) / len(utilities)
    power = sum("power" in u for u in utilities.values()) / len(utilities)
    assert 0.6 < water < 0.8 and 0.6 < power < 0.8
    prepaid = sum(a["payment_mode"] == "prepaid" for a in accounts) / len(accounts)
    assert 0.15 < prepaid < 0.35
    window_start = dt.date(2022, 11, 1)
    opened = [dt.date.fromisoformat(a["opened_on"]) for a in accounts]
    assert any(d < window_start for d in opened) and any(d >= window_start for d in opened)
    assert all(re.match(r"^[WP]320826\d{7}$", a["account_no"]) for a in accounts)


# -- bills and payments ---------------------------------------------------------------


def test_bill_dates_are_ordered_and_within_history(medium: dict[str, Table]) -> None:
    opened = {a["account_no"]: a["opened_on"] for a in medium["accounts"]}
    as_of = AS_OF.isoformat()
    month_ends = set()
    for bill in medium["bills"]:
        start, end, due = bill["period_start"], bill["period_end"], bill["due_on"]
        # ISO dates order as text.
        assert start <= end < due and end < as_of and start > opened[bill["account_no"]]
        assert start[8:] == "01" and due[8:] == "15" and start[:7] == end[:7]
        month_ends.add(end)
        assert fen(bill["amount"]) > 0 and int(bill["usage"]) > 0
    for end in month_ends:  # each period ends on its month's last day
        assert (dt.date.fromisoformat(end) + dt.timedelta(days=1)).day == 1


def test_payments_are_positive_dated_and_never_overpay(medium: dict[str, Table]) -> None:
    bills = {b["bill_no"]: b for b in medium["bills"]}
    as_of = AS_OF.isoformat()
    paid: dict[str, int] = defaultdict(int)
    for p in medium["payments"]:
        amount = fen(p["amount"])
        assert amount > 0
        # ISO dates order as text. Prepaid balances are debited on the period's last day.
        assert bills[p["bill_no"]]["period_end"] <= p["paid_on"] <= as_of
        paid[p["bill_no"]] += amount
    assert all(total <= fen(bills[no]["amount"]) for no, total in paid.items())


def test_prepaid_accounts_pay_before_due(medium: dict[str, Table]) -> None:
    prepaid = {a["account_no"] for a in medium["accounts"] if a["payment_mode"] == "prepaid"}
    bills = {b["bill_no"]: b for b in medium["bills"]}
    for p in medium["payments"]:
        bill = bills[p["bill_no"]]
        if bill["account_no"] in prepaid:
            assert p["paid_on"] <= bill["due_on"]


def test_payment_behaviours_are_mixed(medium: dict[str, Table]) -> None:
    bills = {b["bill_no"]: b for b in medium["bills"]}
    late = on_time = 0
    split = Counter(p["bill_no"] for p in medium["payments"])
    for p in medium["payments"]:
        if p["paid_on"] > bills[p["bill_no"]]["due_on"]:
            late += 1
        else:
            on_time += 1
    assert on_time > 10 * late > 0
    assert sum(n == 2 for n in split.values()) > 100  # partial payments


def test_arrears_of_several_ages_at_as_of(medium: dict[str, Table]) -> None:
    paid: dict[str, int] = defaultdict(int)
    for p in medium["payments"]:
        paid[p["bill_no"]] += fen(p["amount"])
    as_of = AS_OF.isoformat()
    oldest_unpaid: dict[str, dt.date] = {}
    for bill in medium["bills"]:  # bills are listed oldest first per account
        if bill["due_on"] < as_of and paid[bill["bill_no"]] < fen(bill["amount"]):
            oldest_unpaid.setdefault(bill["account_no"], dt.date.fromisoformat(bill["due_on"]))
    ages = Counter(arrears_months(due, AS_OF) for due in oldest_unpaid.values())
    assert ages[0] + ages[1] > 0
    assert ages[2] > 0  # yellow band
    assert sum(ages[n] for n in (3, 4, 5)) > 0  # red band
    assert sum(n for age, n in ages.items() if age >= 6) > 0  # black band
    assert len(oldest_unpaid) < 0.15 * len(medium["accounts"])  # most customers are current


def test_usage_is_seasonal(medium: dict[str, Table]) -> None:
    by_month: dict[str, list[int]] = defaultdict(list)
    for bill in medium["bills"]:
        if bill["unit"] == "m³":
            by_month[bill["period_start"][5:7]].append(int(bill["usage"]))
    assert sum(by_month["08"]) / len(by_month["08"]) > sum(by_month["01"]) / len(by_month["01"])


# -- incidents, reminders, reports ----------------------------------------------------


def test_every_incident_kind_present(medium: dict[str, Table]) -> None:
    kinds = Counter(i["kind"] for i in medium["incidents"])
    assert set(kinds) == {k.value for k in IncidentKind}
    assert len(medium["incidents"]) < 0.5 * len(medium["accounts"])


def test_incident_details(medium: dict[str, Table]) -> None:
    utility = {a["account_no"]: a["utility"] for a in medium["accounts"]}
    incidents = medium["incidents"]
    thefts = [
        (utility[i["account_no"]], Decimal(i["amount"])) for i in incidents if i["kind"] == "theft"
    ]
    # Both sides of the water threshold (10,000 CNY) and of Huaiyin's power one (500,000).
    assert any(u == "water" and a < 10_000 for u, a in thefts)
    assert any(u == "water" and a >= 10_000 for u, a in thefts)
    assert any(u == "power" and a < 500_000 for u, a in thefts)
    assert any(u == "power" and a >= 500_000 for u, a in thefts)
    outages = {
        (utility[i["account_no"]], i["asset_class"])
        for i in incidents
        if i["kind"] == "outage_caused"
    }
    assert {a for u, a in outages if u == "water"} <= {"DN160", "DN300"}
    assert {a for u, a in outages if u == "power"} <= {"10kV", "20kV", "35kV"}
    assert len(outages) >= 3
    damage = {i["severity"] for i in incidents if i["kind"] == "facility_damage"}
    assert damage == {"minor", "serious"}
    dates = [dt.date.fromisoformat(i["occurred_on"]) for i in incidents]
    assert max(dates) <= AS_OF
    last_year = sum(d > AS_OF - dt.timedelta(days=365) for d in dates)
    assert 0.15 * len(dates) < last_year < 0.8 * len(dates)  # spread over the history
    assert any(d < AS_OF - dt.timedelta(days=3 * 365) for d in dates)


def test_reminders_follow_arrears(medium: dict[str, Table]) -> None:
    reminders = medium["reminders"]
    assert reminders
    assert {r["channel"] for r in reminders} == {"sms", "phone", "wechat", "letter"}
    assert all(dt.date.fromisoformat(r["sent_on"]) <= AS_OF for r in reminders)


def test_credit_reports(medium: dict[str, Table]) -> None:
    reports = medium["credit_reports"]
    legal = sum(s["kind"] == "legal" for s in medium["subjects"])
    with_report = len({r["subject_code"] for r in reports})
    assert 0.78 < with_report / legal < 0.92
    assert {r["source"] for r in reports} == {"jiangsu"}
    assert Counter(r["rating"] for r in reports).most_common(1)[0][0] == "A"
    dishonest = sum(r["has_dishonesty"] == "true" for r in reports)
    assert 0 < dishonest < 0.1 * len(reports)
    for r in reports:
        if r["on_serious_list"] == "true":
            assert r["has_dishonesty"] == "true"
    issued = [dt.date.fromisoformat(r["issued_on"]) for r in reports]
    assert max(issued) <= AS_OF
    assert any(d >= AS_OF - dt.timedelta(days=5) for d in issued)


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_every_region(tmp_path: Path, region: str) -> None:
    generate(DemoSpec(subjects=60, region=region), tmp_path)
    info = REGIONS[region]
    divisions = {c.division for c in info.counties}
    towns = {t for c in info.counties for t in c.towns}
    for s in read(tmp_path, "subjects"):
        assert s["code"][2:8] in divisions if s["kind"] == "legal" else s["code"][:6] in divisions
        assert s["area"] in towns and s["address"].startswith(info.province + info.city)
    assert {r["source"] for r in read(tmp_path, "credit_reports")} == {info.credit_source}


def test_region_towns_are_unambiguous() -> None:
    for region in REGIONS.values():
        towns = [t for c in region.counties for t in c.towns]
        assert len(towns) == len(set(towns)), region.key


def test_command_line_entry_point(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from utilcredit.demo.__main__ import main

    assert main([str(tmp_path), "--subjects", "30", "--region", "suizhou", "--years", "1"]) == 0
    assert "rows/s" in capsys.readouterr().out
    assert {r["source"] for r in read(tmp_path, "credit_reports")} == {"hubei"}


@settings(max_examples=60, deadline=None)
@given(
    as_of=st.dates(min_value=dt.date(2012, 1, 1), max_value=dt.date(2040, 12, 31)),
    seed=st.integers(min_value=0, max_value=2**31),
    years=st.integers(min_value=1, max_value=3),
    due_day=st.integers(min_value=1, max_value=28),
)
def test_every_as_of_date_generates_rows_dated_no_later_than_it(
    as_of: dt.date, seed: int, years: int, due_day: int
) -> None:
    """The README's first command runs on any day (it failed on the 1st of some months)."""
    spec = DemoSpec(subjects=300, seed=seed, as_of=as_of, years=years, due_day=due_day)
    rows = simulate_block(build_context(spec), 0, 0, spec.subjects)
    dates = [line.split(",")[2] for line in rows.payments]
    dates += [line.split(",")[2] for line in rows.reminders]
    assert rows.bills
    assert all(dt.date.fromisoformat(day) <= as_of for day in dates)


def test_legal_persons_are_founded_before_their_first_account_opened(tmp_path: Path) -> None:
    generate(DemoSpec(subjects=200), tmp_path)
    subjects = list(csv.DictReader((tmp_path / "subjects.csv").open(encoding="utf-8")))
    accounts = list(csv.DictReader((tmp_path / "accounts.csv").open(encoding="utf-8")))
    first_opened: dict[str, str] = {}
    for account in accounts:
        code = account["subject_code"]
        first_opened[code] = min(first_opened.get(code, "9999"), account["opened_on"])
    legal = [s for s in subjects if s["kind"] == "legal"]
    assert legal and all(
        s["founded_on"] and s["founded_on"] <= first_opened[s["code"]] for s in legal
    )
    assert all(s["founded_on"] == "" for s in subjects if s["kind"] == "natural")
