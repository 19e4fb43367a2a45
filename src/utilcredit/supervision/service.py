"""The credit office's monthly report per utility (issue 13 item 6). Reads only; takes a
Connection and never commits.

Who reads what: the credit office reads every utility; anyone else only the utilities they
belong to (``Principal.readable_utilities``); ``principal`` None is the system itself (the
command line), which reads every utility.
"""

from __future__ import annotations

from sqlalchemy import Connection

from utilcredit.access.model import AccessDeniedError, Principal, readable
from utilcredit.customers.model import Utility
from utilcredit.localtime import today
from utilcredit.rating.runs import reads as runs
from utilcredit.supervision import repository
from utilcredit.supervision.model import (
    CaseSection,
    ChannelCount,
    CommitmentSection,
    ExchangeSection,
    LevelSection,
    Month,
    MonthlyReport,
    NoticeSection,
    batch_line,
    case_section,
    exchange_section,
    level_section,
    notice_section,
    record_section,
)


def monthly_reports(
    connection: Connection,
    principal: Principal | None,
    month: Month,
    utility: Utility | None = None,
) -> list[MonthlyReport]:
    """The month's report of ``utility``, or of every utility the principal reads (in the
    utilities' order) when it is None. Asking for a utility one may not read is refused."""
    allowed = readable(principal)
    if utility is not None and utility not in allowed:
        raise AccessDeniedError(
            f"无权查看该行业的监管报表：{utility.value} / "
            f"you may not read the supervision report of {utility.value}",
            entity="supervision_report",
            entity_key=f"{month}:{utility.value}",
        )
    chosen = [utility] if utility is not None else [u for u in Utility if u in allowed]
    return [monthly_report(connection, month, u) for u in chosen]


def monthly_report(connection: Connection, month: Month, utility: Utility) -> MonthlyReport:
    """One utility's month, unchecked: callers check access (:func:`monthly_reports`)."""
    key = utility.value
    return MonthlyReport(
        month=str(month),
        utility=key,
        first_day=month.first_day,
        last_day=month.last_day,
        levels=levels(connection, month, key),
        records=record_section(repository.records_by_kind_and_class(connection, key, month)),
        objections=_cases(repository.objection_counts(connection, key, month)),
        repairs=_cases(repository.repair_counts(connection, key, month)),
        commitments=CommitmentSection(*repository.commitment_counts(connection, key, month)),
        notices=notices(connection, month, key),
        exchange=exchange(connection, month, key),
    )


def default_month() -> Month:
    """This month in Shanghai (the console opens on it)."""
    return Month.of(today())


def levels(connection: Connection, month: Month, utility: str) -> LevelSection:
    """The month's last complete run of the utility, and the transitions from the previous
    month's last complete run of the same policy (levels of two policies are not compared: a
    utility that changed its policy shows no transitions that month)."""
    run = repository.last_run(connection, utility, month)
    if run is None:
        return level_section(None, None, {}, {})
    previous = repository.last_run(connection, utility, month.previous(), run.policy_key)
    cells = {} if previous is None else runs.transitions(connection, previous.id, run.id).cells
    return level_section(run, previous, repository.level_counts(connection, run.id), cells)


def _cases(counts: repository.CaseCounts) -> CaseSection:
    return case_section(counts.filed, counts.decided, counts.decided_on_time, counts.withdrawn)


def notices(connection: Connection, month: Month, utility: str) -> NoticeSection:
    found = repository.notice_counts(connection, utility, month)
    return notice_section(
        ChannelCount(channel, sent, delivered, failed)
        for channel, (sent, delivered, failed) in found.items()
    )


def exchange(connection: Connection, month: Month, utility: str) -> ExchangeSection:
    return exchange_section(
        batch_line(
            id=b.id,
            kind=b.kind,
            utilities=b.utilities,
            status=b.status,
            sent_at=b.sent_at,
            rows=b.rows,
            returned_rows=b.returned_rows,
            distinct_returned=b.distinct_returned,
        )
        for b in repository.batches_sent(connection, utility, month)
    )
