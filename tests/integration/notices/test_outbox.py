"""Notices from a saved run to the local test servers: planning once, dispatching, faults,
people's rules, letters and print batches, payment demands — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, func, select, update

from tests.integration.notices.world import (
    AS_OF,
    LIANSHUI,
    NOW,
    SENDING,
    World,
    channel_settings,
    channels,
    save_run,
    statuses,
)
from tests.support.channels import GatewayTestServer, SmtpTestServer
from utilcredit.customers.tables import ReminderRow, SubjectRow
from utilcredit.errors import FieldInvalidError, NotFoundError
from utilcredit.identifiers import MaskingRule
from utilcredit.localtime import SHANGHAI
from utilcredit.notices import contacts as notice_contacts
from utilcredit.notices import letters, planning, steps
from utilcredit.notices import repository as outbox
from utilcredit.notices import service as notices
from utilcredit.notices.dispatch import (
    UNKNOWN_OUTCOME,
    Clock,
    DispatchReport,
    _claim,
    dispatch_once,
)
from utilcredit.notices.model import NoticeChannel, Outgoing, mask_recipient
from utilcredit.notices.repository import NoticeFilter
from utilcredit.notices.tables import NoticeAttemptRow, NoticeRow
from utilcredit.rating.runs import service as runs
from utilcredit.rating.sql.engines import ReferenceEngine
from utilcredit.workflow import TransitionRefusedError

RED = ("甲公司", "乙公司", "丙公司")


@pytest.fixture
def gateway() -> Iterator[GatewayTestServer]:
    with GatewayTestServer() as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[SmtpTestServer]:
    with SmtpTestServer() as server:
        yield server


@pytest.fixture
def world(engine: Engine) -> World:
    world = World(engine)
    for name in RED:
        world.subject(name, arrears_months=4)
    world.subject("丁公司", arrears_months=2.5)  # yellow: Y1
    world.subject("戊公司", arrears_months=2.5, phone=None)  # yellow, nobody to text or call
    return world


def clock(at: dt.datetime) -> Clock:
    return lambda: at


def all_notices(engine: Engine) -> list[outbox.NoticeLine]:
    with engine.connect() as connection:
        return list(outbox.iter_notices(connection, NoticeFilter(utilities=["water", "power"])))


# ---- planning ----------------------------------------------------------------------------------


def test_a_run_that_turns_three_subjects_red_queues_three_letters_and_three_sms(
    engine: Engine, world: World
) -> None:
    header, report = save_run(engine)
    assert header.level_counts["red"] == 3
    assert statuses(engine) == {
        ("notice_letter", "letter"): ["queued"] * 3,
        ("letter_pointer", "sms"): ["queued"] * 3,
        ("reminder", "sms"): ["queued"],
    }
    assert report.unreachable == 1
    pointer = next(n for n in all_notices(engine) if n.kind == "letter_pointer")
    assert "红色" in (pointer.body or "") and "书面告知函" in (pointer.body or "")
    assert pointer.recipient == "13812345678"


def test_nothing_is_planned_twice_for_the_same_level_change(engine: Engine, world: World) -> None:
    header, _ = save_run(engine)
    with engine.begin() as connection:
        again = planning.plan_run(connection, header.id, sending=SENDING, now=NOW)
    assert again.planned == [] and again.already == 7
    _, second_run = save_run(engine)  # the same levels again: no level change, no notice
    assert second_run.planned == []
    assert sum(len(v) for v in statuses(engine).values()) == 7


def test_plan_preview_stores_nothing(engine: Engine, world: World) -> None:
    with engine.begin() as connection:
        run_id = runs.begin_run(connection, LIANSHUI, AS_OF, engine="reference", actor="test")
        runs.write_run(connection, run_id, LIANSHUI, ReferenceEngine())
        preview = planning.plan_run(connection, run_id, sending=SENDING, now=NOW, write=False)
    assert len(preview.planned) == 7
    assert statuses(engine) == {}


def test_quiet_hours_hold_back_messages_not_letters(engine: Engine, world: World) -> None:
    late = dt.datetime(2026, 11, 23, 22, 30, tzinfo=SHANGHAI).astimezone(dt.UTC)
    save_run(engine, now=late)
    morning = dt.datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI)
    for notice in all_notices(engine):
        expected = late if notice.channel == "letter" else morning
        assert notice.due_at == expected, notice.channel


# ---- dispatching -------------------------------------------------------------------------------


def test_dispatch_delivers_to_the_test_servers_and_a_second_dispatch_sends_nothing(
    engine: Engine, world: World, gateway: GatewayTestServer
) -> None:
    save_run(engine)
    settings = channel_settings(gateway, None)
    with channels(settings) as adapters:
        first = dispatch_once(engine, adapters, settings, clock=clock(NOW))
        second = dispatch_once(engine, adapters, settings, clock=clock(NOW))
    assert (first.sent, second.claimed, second.sent) == (4, 0, 0)
    assert len(gateway.sent) == 4 and gateway.duplicates == 0
    assert {m["to"] for m in gateway.sent.values()} == {"13812345678"}
    assert all(r.headers["authorization"] == "Bearer test-token" for r in gateway.requests)
    found = statuses(engine)
    assert found[("letter_pointer", "sms")] == ["sent"] * 3
    assert found[("notice_letter", "letter")] == ["queued"] * 3  # letters are posted by people
    sent = [n for n in all_notices(engine) if n.channel == "sms"]
    assert all(n.provider_ref and n.provider_ref.startswith("sms-") for n in sent)


def test_email_goes_over_smtp(
    engine: Engine, world: World, smtp: SmtpTestServer, gateway: GatewayTestServer
) -> None:
    subject = world.subject("己公司", arrears_months=2.5)
    code = _code(engine, subject)
    with engine.begin() as connection:
        notice_contacts.set_contact(connection, None, code, "email", "finance@jigongsi.example.cn")
        notice_contacts.set_opt_out(
            connection, None, code, "sms", opted_out=True, reason="客户要求"
        )
    save_run(engine)
    settings = channel_settings(gateway, smtp)
    with channels(settings) as adapters:
        report = dispatch_once(engine, adapters, settings, clock=clock(NOW))
    assert report.sent == 5
    [mail] = smtp.messages
    assert mail["To"] == "finance@jigongsi.example.cn"
    assert "黄色" in mail["Subject"] + mail.get_content()
    assert "己公司" in mail.get_content()


def _code(engine: Engine, subject_id: int) -> str:
    with engine.connect() as connection:
        return str(connection.scalar(select(SubjectRow.code).where(SubjectRow.id == subject_id)))


def test_an_endpoint_that_is_down_leaves_notices_queued_for_a_retry(
    engine: Engine, world: World, gateway: GatewayTestServer
) -> None:
    save_run(engine)
    gateway.down = True
    settings = channel_settings(gateway, None)
    with channels(settings) as adapters:
        report = dispatch_once(engine, adapters, settings, clock=clock(NOW))
        assert (report.retried, report.sent) == (4, 0)
        sms = [n for n in all_notices(engine) if n.channel == "sms"]
        assert {n.status for n in sms} == {"queued"}
        assert {n.due_at for n in sms} == {NOW + dt.timedelta(minutes=1)}
        assert all("503" in (n.last_error or "") for n in sms)
        gateway.down = False
        assert dispatch_once(engine, adapters, settings, clock=clock(NOW)).sent == 0  # not yet
        later = dispatch_once(
            engine, adapters, settings, clock=clock(NOW + dt.timedelta(minutes=2))
        )
    assert later.sent == 4
    with engine.connect() as connection:
        actions = connection.scalars(
            select(NoticeAttemptRow.action).where(NoticeAttemptRow.notice_id == sms[0].id)
        ).all()
    assert actions == ["claim", "retry", "claim", "accept"]


def test_tries_used_up_make_a_dead_letter_an_operator_resends(
    engine: Engine, world: World, gateway: GatewayTestServer
) -> None:
    save_run(engine)
    gateway.fail_next = 100
    settings = channel_settings(gateway, None, max_attempts=2)
    with channels(settings) as adapters:
        dispatch_once(engine, adapters, settings, clock=clock(NOW))
        report = dispatch_once(engine, adapters, settings, clock=clock(NOW + dt.timedelta(hours=1)))
        assert report.dead == 4
        dead = next(n for n in all_notices(engine) if n.status == "dead")
        gateway.fail_next = 0
        with engine.begin() as connection:
            notices.resend(connection, None, dead.id, now=NOW + dt.timedelta(hours=2))
        report = dispatch_once(engine, adapters, settings, clock=clock(NOW + dt.timedelta(hours=2)))
    assert report.sent == 1
    with engine.connect() as connection:
        assert outbox.get_notice(connection, dead.id).status == "sent"  # type: ignore[union-attr]


def test_an_invalid_number_makes_a_failed_notice_with_the_reason(
    engine: Engine, world: World, gateway: GatewayTestServer
) -> None:
    broken = world.subject("庚公司", arrears_months=4, phone="1381234")
    save_run(engine)
    settings = channel_settings(gateway, None)
    with channels(settings) as adapters:
        report = dispatch_once(engine, adapters, settings, clock=clock(NOW))
    assert (report.failed, report.sent) == (1, 4)
    [failed] = [n for n in all_notices(engine) if n.status == "failed"]
    assert failed.subject_id == broken and "手机号码无效" in (failed.last_error or "")
    assert "1381234" not in {m["to"] for m in gateway.sent.values()}
    with engine.begin() as connection, pytest.raises(FieldInvalidError):
        notices.resend(connection, None, failed.id, recipient="12")
    with engine.begin() as connection:
        notices.resend(connection, None, failed.id, recipient="13912345678", now=NOW)
    with channels(settings) as adapters:
        assert dispatch_once(engine, adapters, settings, clock=clock(NOW)).sent == 1
    assert "13912345678" in {m["to"] for m in gateway.sent.values()}


def test_a_worker_that_died_mid_send(
    engine: Engine, world: World, gateway: GatewayTestServer, smtp: SmtpTestServer
) -> None:
    """Claims of a dead worker run out: SMS are sent again under their key (the gateway sends
    once), e-mails go to the dead letters as "outcome unknown" and are never sent twice."""
    code = _code(engine, world.subjects["丁公司"])
    with engine.begin() as connection:
        notice_contacts.set_contact(connection, None, code, "email", "ding@example.cn")
        notice_contacts.set_opt_out(connection, None, code, "sms", opted_out=True)
    save_run(engine)
    settings = channel_settings(gateway, smtp, claim_seconds=60)
    with channels(settings) as adapters:
        report = DispatchReport()
        claimed = _claim(engine, adapters, settings, SENDING, NOW, "dead-worker", report)
        assert len(claimed) == 4
        # the dead worker got the first SMS out before it died
        first = next(c for c in claimed if c.channel == "sms")
        adapters[NoticeChannel.SMS].send(
            [Outgoing(first.key, NoticeChannel.SMS, first.recipient or "", first.body or "")]
        )
        after = NOW + dt.timedelta(seconds=61)
        report = dispatch_once(engine, adapters, settings, clock=clock(after))
    assert (report.recovered, report.dead, report.sent) == (3, 1, 3)
    assert len(gateway.sent) == 3 and gateway.duplicates == 1
    assert smtp.messages == []
    [dead] = [n for n in all_notices(engine) if n.status == "dead"]
    assert dead.channel == "email" and dead.last_error == UNKNOWN_OUTCOME


def test_the_daily_cap_defers_to_tomorrow_morning(
    engine: Engine, world: World, gateway: GatewayTestServer
) -> None:
    save_run(engine)
    subject = world.subjects["甲公司"]
    with engine.begin() as connection:  # a demand for the same subject, due too
        planning.plan_demands(connection, "lianshui-water", sending=SENDING, now=NOW)
    settings = channel_settings(gateway, None, daily_cap=1)
    with channels(settings) as adapters:
        report = dispatch_once(engine, adapters, settings, clock=clock(NOW))
    assert report.deferred >= 1
    mine = [n for n in all_notices(engine) if n.subject_id == subject and n.channel == "sms"]
    assert sorted(n.status for n in mine) == ["queued", "sent"]
    [waiting] = [n for n in mine if n.status == "queued"]
    assert waiting.due_at == dt.datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI)


# ---- payment demands ---------------------------------------------------------------------------


def test_sent_demands_become_reminders_of_the_credit_file(
    engine: Engine, world: World, gateway: GatewayTestServer
) -> None:
    world.subject("辛公司", arrears_months=0.3)  # 9 days overdue: too young for a demand
    with engine.begin() as connection:
        report = planning.plan_demands(connection, "lianshui-water", sending=SENDING, now=NOW)
    by_channel = sorted(p.draft.channel.value for p in report.planned)
    assert by_channel == ["letter"] + ["sms"] * 4  # 戊公司 has no phone: a 催告函 by post
    body = report.planned[0].body or ""
    assert "1,200.00元" in body and "催告" in body
    settings = channel_settings(gateway, None)
    with channels(settings) as adapters:
        dispatch_once(engine, adapters, settings, clock=clock(NOW))
    with engine.connect() as connection:
        reminders = connection.execute(select(ReminderRow.sent_on, ReminderRow.channel)).all()
    assert reminders == [(dt.date(2026, 11, 23), "sms")] * 4
    with engine.begin() as connection:
        again = planning.plan_demands(connection, "lianshui-water", sending=SENDING, now=NOW)
        later = planning.plan_demands(
            connection, "lianshui-water", sending=SENDING, now=NOW + dt.timedelta(days=10)
        )
        month = planning.plan_demands(
            connection, "lianshui-water", sending=SENDING, now=NOW + dt.timedelta(days=30)
        )
    # ten days on, only 辛公司's bill has grown old enough; a month on, the four sent demands
    # fall due again, while 戊公司's letter still waits to be posted (no second demand)
    assert [p.draft.subject_id for p in later.planned] == [world.subjects["辛公司"]]
    assert (len(again.planned), len(month.planned)) == (0, 4)


# ---- letters and print batches ----------------------------------------------------------------


def test_letters_go_through_a_print_batch_and_are_sent_when_posted(
    engine: Engine, world: World
) -> None:
    save_run(engine)
    with engine.begin() as connection:
        batch = notices.create_print_batch(connection, None, "water", now=NOW)
        letters_in = notices.batch_notices(connection, None, batch.id)
        csv_text = letters.print_list_csv(letters_in)
    assert batch.letters == 3 and {n.status for n in letters_in} == {"batched"}
    assert csv_text.startswith("\ufeff序号") and "甲公司" in csv_text
    with engine.begin() as connection, pytest.raises(TransitionRefusedError):
        notices.mark_batch(connection, None, batch.id, "posted", now=NOW)
    with engine.begin() as connection:
        notices.mark_batch(connection, None, batch.id, "printed", now=NOW)
        posted = notices.mark_batch(connection, None, batch.id, "posted", now=NOW)
    assert posted.status == "posted"
    assert statuses(engine)[("notice_letter", "letter")] == ["sent"] * 3
    with engine.begin() as connection, pytest.raises(NotFoundError):
        notices.create_print_batch(connection, None, "water", now=NOW)  # nothing left


def test_the_letter_pdf_holds_the_level_the_fired_clause_and_the_deadlines(
    engine: Engine, world: World
) -> None:
    save_run(engine)
    letter = next(n for n in all_notices(engine) if n.kind == "notice_letter")
    with engine.connect() as connection:
        pdf = letters.letter_pdf(connection, letter, NOW.date(), MaskingRule())
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    assert "红色" in text
    assert "拖欠水费3个月及以上6个月以内" in text  # R1 as published
    reply_by = letter.variables["reply_by"]
    assert reply_by in text and letter.variables["notice_no"] in text
    assert "涟水县涟缘水务有限公司" in text and "涟水县安东北路1号" in text


# ---- people's rules ----------------------------------------------------------------------------


def test_the_letter_cannot_be_opted_out_of(engine: Engine, world: World) -> None:
    code = _code(engine, world.subjects["甲公司"])
    with engine.begin() as connection, pytest.raises(FieldInvalidError) as error:
        notice_contacts.set_opt_out(connection, None, code, "letter", opted_out=True)
    assert error.value.field == "channel"
    with engine.begin() as connection, pytest.raises(FieldInvalidError):
        notice_contacts.set_contact(connection, None, code, "email", "not-an-address")


def test_lists_mask_contacts(engine: Engine, world: World) -> None:
    save_run(engine)
    sms = next(n for n in all_notices(engine) if n.channel == "sms")
    shown = notices.masked(sms, MaskingRule())
    assert shown.recipient == "138****5678"
    assert mask_recipient("email", "finance@example.cn") == "f***@example.cn"


def test_an_override_is_told_like_a_level_change(engine: Engine, world: World) -> None:
    save_run(engine)
    code = _code(engine, world.subjects["丁公司"])
    with engine.begin() as connection:
        first = planning.plan_override(
            connection,
            override_id=9,
            subject_code=code,
            policy_key="lianshui-water",
            level="red",
            previous="yellow",
            sending=SENDING,
            now=NOW,
        )
        again = planning.plan_override(
            connection,
            override_id=9,
            subject_code=code,
            policy_key="lianshui-water",
            level="red",
            previous="yellow",
            sending=SENDING,
            now=NOW,
        )
    assert {p.draft.key for p in first.planned} == {
        "override:9:notice_letter",
        "override:9:letter_pointer",
    }
    assert again.planned == [] and again.already == 2
    with engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(NoticeRow))
    assert count == 9


def test_a_changed_status_meanwhile_is_a_conflict(engine: Engine, world: World) -> None:
    save_run(engine)
    notice = next(n for n in all_notices(engine) if n.channel == "letter")
    with engine.begin() as connection:
        connection.execute(
            update(NoticeRow).where(NoticeRow.id == notice.id).values(status="cancelled")
        )
    with engine.begin() as connection:
        moved = steps.move(connection, [notice], "cancel", actor="x", now=NOW)
    assert moved == []
