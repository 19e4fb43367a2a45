"""The public rules, pure: publication periods, masking, what a commitment shows, the look-up
and the per-client token bucket."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from utilcredit.disclosure.model import (
    CommitmentSource,
    RateLimiter,
    RecordSource,
    Subject,
    TokenBucket,
    commitment_entry,
    in_period,
    parse_lookup,
    record_entry,
    record_period,
    shown_subject,
)
from utilcredit.errors import FieldInvalidError
from utilcredit.identifiers import DEFAULT_MASKING, MaskingRule

D = dt.date
DAY = dt.timedelta(days=1)
TODAY = D(2026, 11, 30)
PERSON = Subject("natural", "420101198101011111", "王小明")
COMPANY = Subject("legal", "91440200617512345J", "韶关示范制衣有限公司")

RECORD = RecordSource(
    id=7,
    utility="water",
    subject=COMPANY,
    kind="arrears",
    record_class="general",
    status="published",
    policy_key="shaoguan-water",
    rule_id="D1",
    rule_text="欠缴水费经催告后超过一个月仍未缴纳",
    determining_unit="韶关示范供水有限公司",
    determining_unit_code="91440200MA4UNIT01X",
    determined_on=D(2026, 10, 1),
    publish_from=D(2026, 10, 1),
    publish_until=D(2027, 9, 30),
    publication_stopped_on=None,
)
COMMITMENT = CommitmentSource(
    code="CN-1",
    utility="water",
    subject=COMPANY,
    commitment_type="approval_substitute",
    reason="暂无法提供物业权属证明",
    made_on=D(2026, 3, 1),
    valid_until=D(2027, 3, 1),
    status="in_force",
    status_on=D(2026, 3, 2),
    accepting_unit="韶关示范供水有限公司",
    accepting_unit_code="91440200MA4UNIT01X",
    disclosure="public",
)


def test_the_spec_masking_example() -> None:
    shown = shown_subject(PERSON, DEFAULT_MASKING)
    assert shown.code_shown == "4201011981****1111"
    assert shown.subject_shown == "王**"
    assert (shown.lookup_code, shown.lookup_name) == (None, None)


def test_masking_is_configurable() -> None:
    shown = shown_subject(PERSON, MaskingRule(keep_head=6, keep_tail=0))
    assert shown.code_shown == "420101****"


def test_legal_persons_are_shown_in_full_and_findable() -> None:
    shown = shown_subject(COMPANY, DEFAULT_MASKING)
    assert (shown.subject_shown, shown.code_shown) == (COMPANY.name, COMPANY.code)
    assert (shown.lookup_code, shown.lookup_name) == (COMPANY.code, COMPANY.name)


@pytest.mark.parametrize(
    ("start", "end", "day", "expected"),
    [
        (D(2026, 1, 1), D(2026, 12, 31), D(2026, 1, 1), True),  # first day
        (D(2026, 1, 1), D(2026, 12, 31), D(2026, 12, 31), True),  # last day
        (D(2026, 1, 1), D(2026, 12, 31), D(2027, 1, 1), False),
        (D(2026, 1, 1), D(2026, 12, 31), D(2025, 12, 31), False),
        (D(2026, 1, 1), None, D(2099, 1, 1), True),  # open-ended
        (None, None, D(2026, 1, 1), False),  # never
    ],
)
def test_in_period(start: D | None, end: D | None, day: D, expected: bool) -> None:
    assert in_period(start, end, day) is expected


def test_a_stopped_publication_ends_the_day_before() -> None:
    stopped = replace(RECORD, publication_stopped_on=D(2026, 11, 1))
    assert record_period(stopped) == (D(2026, 10, 1), D(2026, 10, 31))
    assert record_entry(stopped, D(2026, 10, 31), DEFAULT_MASKING) is not None
    assert record_entry(stopped, D(2026, 11, 1), DEFAULT_MASKING) is None


def test_stopped_on_its_first_day_is_never_public() -> None:
    assert record_period(replace(RECORD, publication_stopped_on=RECORD.publish_from)) is None


def test_minor_records_are_never_public() -> None:
    minor = replace(RECORD, record_class="minor", publish_from=None)
    assert record_period(minor) is None
    assert record_entry(minor, TODAY, DEFAULT_MASKING) is None


@pytest.mark.parametrize(
    "status",
    ["candidate", "confirmed", "under_objection", "repaired", "removed", "corrected", "expired"],
)
def test_only_published_records_are_public(status: str) -> None:
    assert record_entry(replace(RECORD, status=status), TODAY, DEFAULT_MASKING) is None


def test_a_record_entry_shows_the_rule_and_period_but_no_internal_data() -> None:
    entry = record_entry(RECORD, TODAY, DEFAULT_MASKING)
    assert entry is not None
    assert entry.source_key == "record:7"
    assert entry.title == "欠费经催告逾期未缴"
    assert entry.details["class"] == "一般"
    assert RECORD.rule_text in entry.details["basis"]
    assert entry.details["period"] == "2026-10-01 至 2027-09-30"
    assert (entry.shown_from, entry.shown_until) == (RECORD.publish_from, RECORD.publish_until)


@pytest.mark.parametrize("disclosure", ["not_public", "on_request"])
def test_commitments_not_marked_public_are_not_shown(disclosure: str) -> None:
    assert (
        commitment_entry(replace(COMMITMENT, disclosure=disclosure), TODAY, DEFAULT_MASKING) is None
    )


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        ("made", False),
        ("withdrawn", False),
        ("in_force", True),
        ("fulfilled", True),
        ("breached", True),
        ("expired", True),
    ],
)
def test_commitment_statuses(status: str, shown: bool) -> None:
    entry = commitment_entry(replace(COMMITMENT, status=status), TODAY, DEFAULT_MASKING)
    assert (entry is not None) is shown


def test_a_commitment_is_public_within_its_validity() -> None:
    assert commitment_entry(COMMITMENT, D(2027, 3, 1), DEFAULT_MASKING) is not None
    assert commitment_entry(COMMITMENT, D(2027, 3, 2), DEFAULT_MASKING) is None
    assert commitment_entry(COMMITMENT, D(2026, 2, 28), DEFAULT_MASKING) is None
    lasting = commitment_entry(
        replace(COMMITMENT, valid_until=None), D(2040, 1, 1), DEFAULT_MASKING
    )
    assert lasting is not None and lasting.details["valid_until"] == "长期"


def test_a_persons_commitment_hides_the_reason() -> None:
    company = commitment_entry(COMMITMENT, TODAY, DEFAULT_MASKING)
    person = commitment_entry(replace(COMMITMENT, subject=PERSON), TODAY, DEFAULT_MASKING)
    assert company is not None and company.details["reason"] == COMMITMENT.reason
    assert person is not None and "reason" not in person.details
    assert person.shown.code_shown == "4201011981****1111"


def test_look_up_by_code_or_exact_name() -> None:
    assert parse_lookup(" 91440200617512345j ").code == "91440200617512345J"
    assert parse_lookup("韶关示范制衣有限公司").name == "韶关示范制衣有限公司"
    assert parse_lookup("9144020061751234").code is None  # 16 characters: a name


@pytest.mark.parametrize("text", ["", "   ", "x" * 201, "a\x00b"])
def test_bad_look_ups_name_the_field(text: str) -> None:
    with pytest.raises(FieldInvalidError) as caught:
        parse_lookup(text)
    assert caught.value.field == "q"


def test_token_bucket_refills_at_its_rate() -> None:
    bucket = TokenBucket(rate=2.0, capacity=2.0, tokens=2.0, updated=0.0)
    assert bucket.take(0.0) == 0 and bucket.take(0.0) == 0
    assert bucket.take(0.0) == pytest.approx(0.5)
    assert bucket.take(0.5) == 0  # half a second: one token back
    assert bucket.take(0.5) > 0


def test_rate_limiter_is_per_client() -> None:
    limiter = RateLimiter(per_minute=60, burst=3)
    assert [limiter.check("a", 0.0) for _ in range(4)] == [0, 0, 0, 1]
    assert limiter.check("b", 0.0) == 0  # another client has its own bucket
    assert limiter.check("a", 1.0) == 0  # one second later: one token


def test_rate_limiter_forgets_idle_clients() -> None:
    limiter = RateLimiter(per_minute=60, burst=1, max_clients=2)
    limiter.check("a", 0.0)
    limiter.check("b", 0.0)
    limiter.check("c", 5.0)  # a and b are full again: forgotten
    assert set(limiter._buckets) == {"c"}
