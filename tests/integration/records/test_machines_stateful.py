"""The record, objection and repair workflows driven by hypothesis through the real services.

Whatever order of steps an operator, a reviewer and the calendar take — most of them refused —
no record is lost, every case's history is an unbroken chain of transitions its machine
allows ending in its current state (no state skipped), every step is audited once, and a
refused step changes nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from tempfile import mkdtemp
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import func, select

from tests.integration.records.builders import Store, pay
from utilcredit.access.model import Principal, Role
from utilcredit.audit.tables import AuditEntryRow
from utilcredit.config import RecordsSettings
from utilcredit.customers.model import Utility
from utilcredit.db import import_all_tables, make_engine
from utilcredit.errors import UtilcreditError
from utilcredit.policies.loader import load_policy
from utilcredit.records import derivation, objections, repairs, service
from utilcredit.records.attachments import Upload
from utilcredit.records.model import (
    OBJECTION_MACHINE,
    RECORD_MACHINE,
    REPAIR_MACHINE,
    ObjectionStatus,
    RecordStatus,
    RepairDecision,
    RepairStatus,
)
from utilcredit.records.objections import Correction, ObjectionDecision
from utilcredit.records.tables import CaseEventRow, DishonestyRecordRow, ObjectionRow, RepairRow

SETTINGS = RecordsSettings()
POLICY = load_policy("shaoguan-water")
OPERATOR = Principal(1, "op", "op", frozenset({Role.OPERATOR}), frozenset({Utility.WATER}))
REVIEWER = Principal(2, "rev", "rev", frozenset({Role.REVIEWER}), frozenset({Utility.WATER}))
MACHINES = {"record": RECORD_MACHINE, "objection": OBJECTION_MACHINE, "repair": REPAIR_MACHINE}
STATUS = {"record": RecordStatus, "objection": ObjectionStatus, "repair": RepairStatus}
CREATING = {"derive", "file", "submit", "correct"}  # actions that start a case's history
PROOF = Upload("proof.pdf", b"%PDF-1.4 proof")
LAST_DAY = dt.date(2026, 12, 10)  # deadlines stay within the years the calendar knows


class RecordWorkflows(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(mkdtemp())
        self.engine = make_engine(f"sqlite:///{self.folder / 'store.db'}")
        import_all_tables().create_all(self.engine)
        self.today = dt.date(2026, 3, 1)
        with self.engine.begin() as connection:
            store = Store(connection)
            store.account("ACC-1")
            self.bill = store.bill("ACC-1", dt.date(2026, 1, 5), "12000.00")
            store.reminder("ACC-1", dt.date(2026, 1, 15))
            store.incident("ACC-1", "theft", dt.date(2026, 2, 1), "300.00")
            store.incident("ACC-1", "violation", dt.date(2026, 2, 2))
        self.records_seen = 0

    def teardown(self) -> None:
        self.engine.dispose()

    def _ids(self, table: Any) -> list[int]:
        with self.engine.connect() as connection:
            return [row[0] for row in connection.execute(select(table.id).order_by(table.id))]

    def _try(self, step: Any, label: str = "") -> None:
        """Run a step in one transaction; a refused one must leave no trace."""
        before = self._snapshot()
        try:
            with self.engine.begin() as connection:
                step(connection)
        except UtilcreditError as error:
            event(f"refused: {error.code}")
            assert self._snapshot() == before
            return
        after = self._snapshot()
        if after != before and label:
            event(f"done: {label}")

    def _snapshot(self) -> tuple[Any, ...]:
        with self.engine.connect() as connection:
            states = [
                tuple(connection.execute(select(t.id, t.status).order_by(t.id)).all())
                for t in (DishonestyRecordRow, ObjectionRow, RepairRow)
            ]
            events = connection.execute(select(func.count()).select_from(CaseEventRow))
            return (*states, events.scalar_one())

    @initialize(data=st.data())
    def first_derivation(self, data: st.DataObject) -> None:
        """Candidates on 2026-03-01, some confirmed at once, then three months on: the paths
        that need a record past its minimum period (repair) are then reachable early."""
        self.derive()
        for record in self._ids(DishonestyRecordRow):
            if data.draw(st.booleans(), label=f"confirm {record}"):
                self._try(
                    lambda c, r=record: service.confirm(
                        c, REVIEWER, r, today=self.today, settings=SETTINGS
                    )
                )
        self.today = dt.date(2026, 6, 10)

    @precondition(lambda self: self.today < LAST_DAY)
    @rule(days=st.integers(1, 60))
    def time_passes(self, days: int) -> None:
        self.today = min(LAST_DAY, self.today + dt.timedelta(days=days))
        self._try(lambda c: derivation.advance(c, self.today), "calendar")

    @rule()
    def derive(self) -> None:
        self._try(lambda c: derivation.derive(c, POLICY, self.today, settings=SETTINGS), "derive")

    @rule()
    def customer_pays(self) -> None:
        self._try(lambda c: pay(c, self.bill, self.today, "12000.00"))

    @rule(data=st.data(), confirm=st.booleans())
    def review_candidate(self, data: st.DataObject, confirm: bool) -> None:
        ids = self._ids(DishonestyRecordRow)
        if not ids:
            return
        record = data.draw(st.sampled_from(ids))
        if confirm:
            self._try(
                lambda c: service.confirm(c, REVIEWER, record, today=self.today, settings=SETTINGS),
                "confirm",
            )
        else:
            self._try(
                lambda c: service.dismiss(
                    c, REVIEWER, record, reason="不符合认定条件", today=self.today
                ),
                "dismiss",
            )

    @rule(data=st.data())
    def object(self, data: st.DataObject) -> None:
        ids = self._ids(DishonestyRecordRow)
        if ids:
            record = data.draw(st.sampled_from(ids))
            self._try(
                lambda c: objections.file_objection(
                    c,
                    OPERATOR,
                    record,
                    reason="认定事实有误",
                    today=self.today,
                    settings=SETTINGS,
                    folder=self.folder,
                ),
                "object",
            )

    @rule(
        data=st.data(),
        decision=st.sampled_from([*ObjectionDecision, "withdraw"]),
        by_filer=st.booleans(),
    )
    def decide_objection(self, data: st.DataObject, decision: Any, by_filer: bool) -> None:
        ids = self._ids(ObjectionRow)
        if not ids:
            return
        objection = data.draw(st.sampled_from(ids))
        if decision == "withdraw":
            self._try(
                lambda c: objections.withdraw_objection(c, OPERATOR, objection, today=self.today),
                "objection withdraw",
            )
            return
        correction = (
            Correction(amount=Decimal("100.00")) if decision == ObjectionDecision.CORRECT else None
        )
        self._try(
            lambda c: objections.decide_objection(
                c,
                OPERATOR if by_filer else REVIEWER,
                objection,
                decision,
                note="经核实处理",
                today=self.today,
                correction=correction,
            ),
            f"objection {decision}",
        )

    @rule(data=st.data(), signed=st.booleans())
    def apply_repair(self, data: st.DataObject, signed: bool) -> None:
        ids = self._ids(DishonestyRecordRow)
        if ids:
            record = data.draw(st.sampled_from(ids))
            self._try(
                lambda c: repairs.apply_repair(
                    c,
                    OPERATOR,
                    record,
                    statement="已纠正失信行为",
                    commitment_signed_on=self.today if signed else None,
                    uploads=[PROOF],
                    today=self.today,
                    settings=SETTINGS,
                    folder=self.folder,
                ),
                "repair apply",
            )

    @rule(
        data=st.data(), step=st.sampled_from(["accept", "approve", "reject", "close", "withdraw"])
    )
    def work_repair(self, data: st.DataObject, step: str) -> None:
        ids = self._ids(RepairRow)
        if not ids:
            return
        repair = data.draw(st.sampled_from(ids))
        with self.engine.connect() as connection:
            status = connection.execute(select(RepairRow.status).where(RepairRow.id == repair))
            allowed = REPAIR_MACHINE.actions_from(RepairStatus(status.scalar_one()))
        take_allowed: bool = data.draw(st.booleans(), label="take an allowed step")
        if allowed and take_allowed:
            # Mostly move the case on (so decisions and closing are reached), else try `step`.
            step = data.draw(st.sampled_from(list(allowed)))
        actions = {
            "accept": lambda c: repairs.accept_repair(
                c, REVIEWER, repair, today=self.today, settings=SETTINGS
            ),
            "approve": lambda c: repairs.decide_repair(
                c,
                REVIEWER,
                repair,
                RepairDecision.APPROVED,
                note=None,
                today=self.today,
                settings=SETTINGS,
            ),
            "reject": lambda c: repairs.decide_repair(
                c,
                REVIEWER,
                repair,
                RepairDecision.REJECTED,
                note="材料不实，不予修复",
                today=self.today,
                settings=SETTINGS,
            ),
            "close": lambda c: repairs.close_repair(c, REVIEWER, repair, today=self.today),
            "withdraw": lambda c: repairs.withdraw_repair(c, OPERATOR, repair, today=self.today),
        }
        self._try(actions[step], f"repair {step}")

    @invariant()
    def no_record_is_lost(self) -> None:
        count = len(self._ids(DishonestyRecordRow))
        assert count >= self.records_seen
        self.records_seen = count

    @invariant()
    def histories_are_unbroken_chains_of_allowed_transitions(self) -> None:
        with self.engine.connect() as connection:
            events = connection.execute(select(CaseEventRow).order_by(CaseEventRow.id)).all()
            current = {
                (kind, row.id): row.status
                for kind, table in (
                    ("record", DishonestyRecordRow),
                    ("objection", ObjectionRow),
                    ("repair", RepairRow),
                )
                for row in connection.execute(select(table.id, table.status))
            }
            audited = connection.execute(
                select(func.count())
                .select_from(AuditEntryRow)
                .where(AuditEntryRow.entity.in_(list(MACHINES)))
            ).scalar_one()
        last: dict[tuple[str, int], str] = {}
        for step in events:
            case = (step.case_type, step.case_id)
            if case not in last:
                assert step.from_status is None and step.action in CREATING
            else:
                assert step.from_status == last[case]
                machine = MACHINES[step.case_type]
                state = STATUS[step.case_type](step.from_status)
                assert machine.target(state, step.action).value == step.to_status  # type: ignore[attr-defined]
            last[case] = step.to_status
        assert last == current
        assert audited == len(events)


RecordWorkflows.TestCase.settings = settings(
    max_examples=30,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_record_workflows = RecordWorkflows.TestCase
