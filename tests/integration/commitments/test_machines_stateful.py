"""The application and commitment workflows driven by hypothesis through the real services.

Whatever order of steps a clerk, a reviewer and the calendar take — most of them refused —
every case's history is an unbroken chain of transitions its machine allows ending in its
current state, a refused step changes nothing, a withdrawn application never leaves a breach
behind, and a breach always leaves its 失约 incident.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from tempfile import mkdtemp
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, insert, select, update

from tests.integration.records.builders import Store
from utilcredit.access.model import Principal, Role
from utilcredit.applications import service as applications
from utilcredit.applications import zones as application_zones
from utilcredit.applications.model import APPLICATION_MACHINE, ApplicationStatus
from utilcredit.applications.service import NewApplication
from utilcredit.applications.tables import ApplicationRow
from utilcredit.applications.zones import ZoneEdit
from utilcredit.commitments import obligations as commitment_obligations
from utilcredit.commitments import service as commitments
from utilcredit.commitments.model import COMMITMENT_MACHINE
from utilcredit.commitments.tables import CommitmentObligationRow
from utilcredit.config import RecordsSettings
from utilcredit.customers.model import CommitmentStatus, Utility
from utilcredit.customers.tables import CommitmentRow, CreditReportRow, IncidentRow, SubjectRow
from utilcredit.db import import_all_tables, make_engine
from utilcredit.errors import UtilcreditError
from utilcredit.policies.model.credit_application import AddressType, Business
from utilcredit.records.tables import CaseEventRow
from utilcredit.workflow import Machine

SETTINGS = RecordsSettings()
CLERK = Principal(1, "clerk", "clerk", frozenset({Role.OPERATOR}), frozenset({Utility.POWER}))
REVIEWER = Principal(2, "rev", "rev", frozenset({Role.REVIEWER}), frozenset({Utility.POWER}))
CODE = "91440800MA4UTEST1X"
FIELDS = {
    "unit_name": "湛江示范石化有限公司",
    "legal_rep_id_type": "居民身份证",
    "legal_rep_id_number": "11010519491231002X",
    "relation": "租户",
}
MACHINES: dict[str, Machine[Any]] = {
    "application": APPLICATION_MACHINE,
    "commitment": COMMITMENT_MACHINE,
}
STATUS: dict[str, type[StrEnum]] = {
    "application": ApplicationStatus,
    "commitment": CommitmentStatus,
}
ADDRESSES = ("石化大道 1 号", "石化大道 2 号")


class CounterWorkflows(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.engine = make_engine(f"sqlite:///{Path(mkdtemp()) / 'store.db'}")
        import_all_tables().create_all(self.engine)
        self.today = dt.date(2027, 2, 20)
        with self.engine.begin() as connection:
            store = Store(connection, code=CODE)
            store.account("P-1", utility="power", opened=dt.date(2012, 1, 1))
            connection.execute(update(SubjectRow).values(founded_on=dt.date(2010, 1, 1)))
            connection.execute(
                insert(CreditReportRow).values(
                    subject_id=store.subject_id,
                    source="creditchina",
                    issued_on=self.today,
                    has_dishonesty=False,
                    on_serious_list=False,
                )
            )
            application_zones.set_zone(
                connection, None, ZoneEdit("zhanjiang-power", "湛江经济技术开发区", "石化产业园区")
            )

    def teardown(self) -> None:
        self.engine.dispose()

    def _ids(self, table: Any) -> list[int]:
        with self.engine.connect() as connection:
            return [row[0] for row in connection.execute(select(table.id).order_by(table.id))]

    def _snapshot(self) -> tuple[Any, ...]:
        with self.engine.connect() as connection:
            states = [
                tuple(connection.execute(select(t.id, t.status).order_by(t.id)).all())
                for t in (ApplicationRow, CommitmentRow)
            ]
            events = connection.execute(select(func.count()).select_from(CaseEventRow))
            incidents = connection.execute(select(func.count()).select_from(IncidentRow))
            return (*states, events.scalar_one(), incidents.scalar_one())

    def _try(self, step: Any, label: str) -> None:
        before = self._snapshot()
        try:
            with self.engine.begin() as connection:
                step(connection)
        except UtilcreditError as error:
            event(f"refused: {error.code}")
            assert self._snapshot() == before
            return
        event(f"done: {label}")

    @initialize()
    def first_application(self) -> None:
        self.submit(0)

    @rule(address=st.sampled_from(range(len(ADDRESSES))))
    def submit(self, address: int) -> None:
        new = NewApplication(
            CODE,
            "zhanjiang-power",
            Business.NEW_CONNECTION,
            ADDRESSES[address],
            self.today,
            park="石化产业园区",
        )
        self._try(lambda c: applications.submit(c, CLERK, new, today=self.today), "submit")

    @rule(
        data=st.data(),
        action=st.sampled_from(
            ["survey", "check", "sign", "accept", "connect", "reject", "withdraw"]
        ),
    )
    def advance_application(self, data: st.DataObject, action: str) -> None:
        ids = self._ids(ApplicationRow)
        if not ids:
            return
        application = data.draw(st.sampled_from(ids))
        steps = {
            "survey": lambda c: applications.survey(
                c, CLERK, application, today=self.today, address_type=AddressType.RENTED
            ),
            "check": lambda c: applications.check(c, CLERK, application, today=self.today),
            "sign": lambda c: applications.sign(
                c,
                CLERK,
                application,
                values=FIELDS,
                made_on=self.today,
                today=self.today,
                settings=SETTINGS,
            ),
            "accept": lambda c: applications.accept(c, CLERK, application, today=self.today),
            "connect": lambda c: applications.connect(
                c, CLERK, application, connected_on=self.today, today=self.today
            ),
            "reject": lambda c: applications.reject(
                c, CLERK, application, today=self.today, reason="材料不符"
            ),
            "withdraw": lambda c: applications.withdraw(c, CLERK, application, today=self.today),
        }
        self._try(steps[action], action)

    @rule(data=st.data())
    def clerk_runs_the_counter(self, data: st.DataObject) -> None:
        """The usual path at once (each step still checked alone), so later states are reached."""
        for action in ("survey", "check", "sign", "accept", "connect"):
            self.advance_application(data, action)

    @rule(data=st.data(), action=st.sampled_from(["fulfil", "breach", "withdraw"]))
    def decide_commitment(self, data: st.DataObject, action: str) -> None:
        ids = self._ids(CommitmentRow)
        if not ids:
            return
        commitment = data.draw(st.sampled_from(ids))
        steps = {
            "fulfil": lambda c: commitments.fulfil(c, CLERK, commitment, today=self.today),
            "breach": lambda c: commitments.breach(
                c, REVIEWER, commitment, today=self.today, unfulfilled="未补齐产权证明"
            ),
            "withdraw": lambda c: commitments.withdraw(
                c, CLERK, commitment, today=self.today, reason="申请撤回"
            ),
        }
        self._try(steps[action], f"commitment {action}")

    @rule(days=st.sampled_from([1, 30, 200, 400]))
    def time_passes(self, days: int) -> None:
        self.today += dt.timedelta(days=days)
        self._try(lambda c: commitment_obligations.advance(c, self.today), "calendar")

    @invariant()
    def histories_are_unbroken_chains(self) -> None:
        with self.engine.connect() as connection:
            for case_type, table in (
                ("application", ApplicationRow),
                ("commitment", CommitmentRow),
            ):
                for case_id, status in connection.execute(select(table.id, table.status)):
                    steps = connection.execute(
                        select(
                            CaseEventRow.action, CaseEventRow.from_status, CaseEventRow.to_status
                        )
                        .where(CaseEventRow.case_type == case_type, CaseEventRow.case_id == case_id)
                        .order_by(CaseEventRow.id)
                    ).all()
                    assert steps and steps[0].from_status is None
                    state = steps[0].to_status
                    for action, source, target in steps[1:]:
                        assert source == state
                        if source != target:
                            assert source is not None
                            machine = MACHINES[case_type]
                            assert machine.target(STATUS[case_type](source), action) == target
                        state = target
                    assert state == status

    @invariant()
    def nothing_is_owed_on_an_ended_commitment(self) -> None:
        with self.engine.connect() as connection:
            owed = connection.execute(
                select(func.count())
                .select_from(CommitmentObligationRow)
                .join(CommitmentRow, CommitmentRow.id == CommitmentObligationRow.commitment_id)
                .where(
                    CommitmentRow.status.in_(["breached", "withdrawn", "expired"]),
                    CommitmentObligationRow.status.in_(["open", "pending"]),
                )
            ).scalar_one()
        assert owed == 0

    @invariant()
    def every_breach_left_its_incident_and_no_withdrawal_did(self) -> None:
        with self.engine.connect() as connection:
            breached = connection.execute(
                select(func.count()).where(CommitmentRow.status == CommitmentStatus.BREACHED.value)
            ).scalar_one()
            incidents = connection.execute(
                select(func.count()).where(IncidentRow.kind == "commitment_breach")
            ).scalar_one()
        assert incidents == breached


CounterWorkflows.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_counter_workflows = CounterWorkflows.TestCase
