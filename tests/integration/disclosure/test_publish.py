"""Publishing on both stores: exactly the records in their publication period and the
commitments marked for disclosure reach the published view, masked; the public reads find only
legal persons and only what is shown that day."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Engine, select

from tests.integration.disclosure.world import (
    COMPANY_CODE,
    COMPANY_NAME,
    EXPECTED_COMMITMENTS,
    EXPECTED_RECORD_LABELS,
    INTERNAL,
    OTHER_CODE,
    PERSON_CODE,
    PERSON_MASKED,
    PERSON_NAME,
    PERSON_NAME_MASKED,
    build,
)
from utilcredit.disclosure import reads, service
from utilcredit.disclosure.model import EntryKind
from utilcredit.disclosure.tables import PublicEntryRow
from utilcredit.identifiers import MaskingRule

TODAY = dt.date(2026, 11, 30)


def _rows(engine: Engine) -> list[PublicEntryRow]:
    with engine.connect() as connection:
        return list(connection.execute(select(PublicEntryRow)).all())  # type: ignore[arg-type]


def test_publish_keeps_exactly_what_is_public_that_day(engine: Engine) -> None:
    with engine.begin() as connection:
        _, ids = build(connection, TODAY)
        report = service.publish(connection, TODAY)
    rows = _rows(engine)
    record_keys = {r.source_key for r in rows if r.kind == "record"}
    commitment_keys = {r.source_key for r in rows if r.kind == "commitment"}
    assert record_keys == {f"record:{ids[label]}" for label in EXPECTED_RECORD_LABELS}
    assert commitment_keys == {f"commitment:{code}" for code in EXPECTED_COMMITMENTS}
    assert (report.records, report.commitments) == (
        len(EXPECTED_RECORD_LABELS),
        len(EXPECTED_COMMITMENTS),
    )


def test_natural_persons_are_masked_and_not_findable(engine: Engine) -> None:
    with engine.begin() as connection:
        build(connection, TODAY)
        service.publish(connection, TODAY)
    rows = _rows(engine)
    people = [r for r in rows if r.code_shown == PERSON_MASKED]
    assert len(people) == 2  # a record and a commitment
    for row in people:
        assert row.subject_shown == PERSON_NAME_MASKED
        assert row.lookup_code is None and row.lookup_name is None
        assert "reason" not in row.details  # free text that may name the person
    companies = [r for r in rows if r.lookup_code == COMPANY_CODE]
    assert companies and all(r.subject_shown == COMPANY_NAME for r in companies)
    assert all(r.code_shown == COMPANY_CODE for r in companies)


def test_no_internal_value_is_published(engine: Engine) -> None:
    with engine.begin() as connection:
        build(connection, TODAY)
        service.publish(connection, TODAY)
    text = json.dumps(
        [
            [r.subject_shown, r.code_shown, r.lookup_code, r.lookup_name, r.title, r.details]
            for r in _rows(engine)
        ],
        ensure_ascii=False,
    )
    leaked = {name: value for name, value in INTERNAL.items() if value in text}
    assert leaked == {}


def test_masking_follows_the_configured_rule(engine: Engine) -> None:
    with engine.begin() as connection:
        build(connection, TODAY)
        service.publish(connection, TODAY, rule=MaskingRule(keep_head=6, keep_tail=2))
    codes = {r.code_shown for r in _rows(engine) if r.lookup_code is None}
    assert codes == {PERSON_CODE[:6] + "****" + PERSON_CODE[-2:]}


def test_republishing_replaces_the_view(engine: Engine) -> None:
    with engine.begin() as connection:
        _, ids = build(connection, TODAY)
        service.publish(connection, TODAY)
    later = TODAY + dt.timedelta(days=1)
    with engine.begin() as connection:
        report = service.publish(connection, later)
    keys = {r.source_key for r in _rows(engine)}
    # "ends-today" ended; the "future" record starts; CN-BREACHED-1 is still within validity.
    assert f"record:{ids['ends-today']}" not in keys
    assert f"record:{ids['future']}" in keys
    assert report.removed == len(EXPECTED_RECORD_LABELS) + len(EXPECTED_COMMITMENTS)
    assert len(keys) == report.entries


def test_reads_filter_by_the_day_and_find_only_legal_persons(engine: Engine) -> None:
    with engine.begin() as connection:
        build(connection, TODAY)
        service.publish(connection, TODAY)
    with engine.connect() as connection:
        records = reads.entries(connection, EntryKind.RECORD, TODAY, 1)
        assert records.total == len(EXPECTED_RECORD_LABELS)
        # A day later, without republishing, the entry whose period ended is no longer shown.
        tomorrow = reads.entries(connection, EntryKind.RECORD, TODAY + dt.timedelta(days=1), 1)
        assert tomorrow.total == len(EXPECTED_RECORD_LABELS) - 1
        by_code = reads.look_up(connection, COMPANY_CODE.lower(), TODAY)
        by_name = reads.look_up(connection, COMPANY_NAME, TODAY)
        assert by_code.by_code and not by_name.by_code
        assert len(by_code.entries) == len(by_name.entries) == 3  # two records, a commitment
        assert {e.kind for e in by_code.entries} == {"record", "commitment"}
        other = reads.look_up(connection, OTHER_CODE, TODAY)
        assert len(other.entries) == 3  # a record and two commitments
        assert reads.look_up(connection, PERSON_CODE, TODAY).entries == []
        assert reads.look_up(connection, PERSON_NAME, TODAY).entries == []
        assert reads.look_up(connection, COMPANY_NAME[:-2], TODAY).entries == []  # exact only
        assert reads.published_at(connection) is not None
