"""The submission batch workflow driven by hypothesis through ``service.move``: whatever the
order of sends and answers, a batch is where its machine says, a refused step changes
nothing, and every step taken (and only those) is in the audit trail."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from tempfile import mkdtemp

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select

from utilcredit.audit.tables import AuditEntryRow
from utilcredit.db import import_all_tables, make_engine
from utilcredit.exchange import repository, service
from utilcredit.exchange.model import BATCH_MACHINE, BatchStatus
from utilcredit.workflow import TransitionRefusedError

ACTIONS = sorted({t.action for t in BATCH_MACHINE.transitions})


class BatchWorkflow(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.engine = make_engine(f"sqlite:///{Path(mkdtemp()) / 'store.db'}")
        import_all_tables().create_all(self.engine)
        self.expected: dict[int, BatchStatus] = {}
        self.steps_taken = 0

    @initialize(count=st.integers(min_value=1, max_value=3))
    def some_batches(self, count: int) -> None:
        with self.engine.begin() as connection:
            for _ in range(count):
                batch_id = repository.insert_batch(
                    connection,
                    catalog="zhanjiang-2022",
                    kind="payments",
                    utilities=",power,",
                    mode="full",
                    status=BatchStatus.CREATED,
                    as_of=dt.date(2026, 11, 30),
                    until=dt.datetime(2026, 11, 30, tzinfo=dt.UTC),
                    format="csv",
                    folder="",
                    created_by="test",
                )
                self.expected[batch_id] = BatchStatus.CREATED

    @rule(data=st.data(), action=st.sampled_from(ACTIONS))
    def step(self, data: st.DataObject, action: str) -> None:
        batch_id = data.draw(st.sampled_from(sorted(self.expected)))
        allowed = action in BATCH_MACHINE.actions_from(self.expected[batch_id])
        try:
            with self.engine.begin() as connection:
                moved = service.move(connection, batch_id, action, actor="op")
        except TransitionRefusedError:
            assert not allowed
            return
        assert allowed
        self.expected[batch_id] = BATCH_MACHINE.target(self.expected[batch_id], action)
        assert moved.status == self.expected[batch_id]
        self.steps_taken += 1

    @invariant()
    def the_store_agrees(self) -> None:
        with self.engine.connect() as connection:
            for batch_id, status in self.expected.items():
                found = repository.batch(connection, batch_id)
                assert found is not None and found.status == status
            audited = connection.execute(
                select(func.count()).where(AuditEntryRow.entity == "exchange_batch")
            ).scalar_one()
        assert audited == self.steps_taken

    def teardown(self) -> None:
        self.engine.dispose()


BatchWorkflow.TestCase.settings = settings(max_examples=15, stateful_step_count=12, deadline=None)
test_batch_workflow = BatchWorkflow.TestCase
