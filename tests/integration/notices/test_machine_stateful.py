"""The notice workflow driven by hypothesis through the real services and adapters.

Whatever happens — endpoints down or failing, workers dying mid-send, operators resending,
cancelling, printing and posting, most steps refused — no notice is lost, every notice's
history is an unbroken chain of transitions the machine allows ending in its status, a refused
step changes nothing, no e-mail is sent twice, and every sent SMS reached the gateway.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from tempfile import mkdtemp

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import select

from tests.integration.notices.world import NOW, SENDING, World, channel_settings, save_run
from tests.support.channels import GatewayTestServer, SmtpTestServer
from utilcredit.customers.tables import SubjectRow
from utilcredit.db import import_all_tables, make_engine
from utilcredit.errors import UtilcreditError
from utilcredit.notices import contacts as notice_contacts
from utilcredit.notices import repository as outbox
from utilcredit.notices import service as notices
from utilcredit.notices.adapters import adapters_from
from utilcredit.notices.dispatch import DispatchReport, _claim, dispatch_once
from utilcredit.notices.model import NOTICE_MACHINE, NoticeChannel, NoticeStatus, Outgoing
from utilcredit.notices.repository import NoticeFilter
from utilcredit.notices.tables import NoticeAttemptRow, NoticeRow

CLAIM = 60


class Outbox(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.engine = make_engine(f"sqlite:///{Path(mkdtemp()) / 'store.db'}")
        import_all_tables().create_all(self.engine)
        self.gateway = GatewayTestServer()
        self.gateway.start()
        self.smtp = SmtpTestServer()
        self.smtp.start()
        self.settings = channel_settings(
            self.gateway, self.smtp, claim_seconds=CLAIM, max_attempts=3, daily_cap=50
        )
        self.adapters = adapters_from(self.settings)
        world = World(self.engine)
        world.subject("红甲", arrears_months=4)
        world.subject("红乙", arrears_months=4, phone="1381234")  # not a mobile number
        mailed = world.subject("黄丙", arrears_months=2.5)
        with self.engine.begin() as connection:
            code = connection.scalar(select(SubjectRow.code).where(SubjectRow.id == mailed))
            notice_contacts.set_contact(connection, None, str(code), "email", "bing@example.cn")
            notice_contacts.set_opt_out(connection, None, str(code), "sms", opted_out=True)
        save_run(self.engine)
        self.total = len(self._all())
        self.now = NOW

    def teardown(self) -> None:
        for adapter in self.adapters.values():
            adapter.close()
        self.gateway.stop()
        self.smtp.stop()
        self.engine.dispose()

    def _all(self) -> list[outbox.NoticeLine]:
        with self.engine.connect() as connection:
            return list(outbox.iter_notices(connection, NoticeFilter(utilities=["water"])))

    def _pick(self, index: int) -> outbox.NoticeLine:
        found = self._all()
        return found[index % len(found)]

    # ---- steps ---------------------------------------------------------------------------------

    @rule(
        gateway=st.sampled_from(["up", "down", "fail_once"]),
        smtp_down=st.booleans(),
        minutes=st.integers(0, 90),
    )
    def dispatch(self, gateway: str, smtp_down: bool, minutes: int) -> None:
        self.now += dt.timedelta(minutes=minutes)
        self.gateway.down = gateway == "down"
        self.gateway.fail_next = 1 if gateway == "fail_once" else 0
        self.smtp.down = smtp_down
        dispatch_once(self.engine, self.adapters, self.settings, clock=lambda: self.now)

    @rule(send_first=st.booleans())
    def worker_dies_mid_batch(self, send_first: bool) -> None:
        self.gateway.down = self.smtp.down = False
        report = DispatchReport()
        claimed = _claim(
            self.engine, self.adapters, self.settings, SENDING, self.now, "dead", report
        )
        sms = [c for c in claimed if c.channel == "sms" and c.recipient == "13812345678"]
        if send_first and sms:  # the gateway got it; nobody recorded it
            self.adapters[NoticeChannel.SMS].send(
                [Outgoing(sms[0].key, NoticeChannel.SMS, "13812345678", sms[0].body or "")]
            )
        self.now += dt.timedelta(seconds=CLAIM + 1)

    @rule(index=st.integers(0, 50), corrected=st.booleans())
    def resend(self, index: int, corrected: bool) -> None:
        notice = self._pick(index)
        recipient = "13912345678" if corrected and notice.channel == "sms" else None
        self._operator(
            notice, lambda c: notices.resend(c, None, notice.id, recipient=recipient, now=self.now)
        )

    @rule(index=st.integers(0, 50))
    def cancel(self, index: int) -> None:
        notice = self._pick(index)
        self._operator(notice, lambda c: notices.cancel(c, None, notice.id, "客户已当面告知"))

    @rule()
    def print_letters(self) -> None:
        with self.engine.begin() as connection:
            try:
                batch = notices.create_print_batch(connection, None, "water", now=self.now)
            except UtilcreditError:
                return
            notices.mark_batch(connection, None, batch.id, "printed", now=self.now)
            notices.mark_batch(connection, None, batch.id, "posted", now=self.now)

    def _operator(self, notice: outbox.NoticeLine, act: object) -> None:
        before = self._all()
        try:
            with self.engine.begin() as connection:
                act(connection)  # type: ignore[operator]
        except UtilcreditError:
            assert self._all() == before  # a refused step changes nothing

    # ---- what always holds ---------------------------------------------------------------------

    @invariant()
    def nothing_is_lost(self) -> None:
        assert len(self._all()) == self.total

    @invariant()
    def histories_are_unbroken_chains(self) -> None:
        with self.engine.connect() as connection:
            steps = connection.execute(
                select(
                    NoticeAttemptRow.notice_id,
                    NoticeAttemptRow.action,
                    NoticeAttemptRow.from_status,
                    NoticeAttemptRow.to_status,
                ).order_by(NoticeAttemptRow.id)
            ).all()
            status = dict(connection.execute(select(NoticeRow.id, NoticeRow.status)).all())
        at: dict[int, str] = {}
        for notice_id, action, source, target in steps:
            assert source == at.get(notice_id, NoticeStatus.QUEUED.value)
            assert NOTICE_MACHINE.target(NoticeStatus(source), action).value == target
            at[notice_id] = target
        for notice_id, current in status.items():
            assert at.get(notice_id, NoticeStatus.QUEUED.value) == current

    @invariant()
    def no_email_twice_and_every_sent_sms_reached_the_gateway(self) -> None:
        ids = [m["Message-ID"] for m in self.smtp.messages]
        assert len(ids) == len(set(ids))
        for notice in self._all():
            if notice.channel == "sms" and notice.status in ("sent", "delivered"):
                assert notice.key in self.gateway.sent


TestOutbox = Outbox.TestCase
TestOutbox.settings = settings(
    max_examples=5,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
