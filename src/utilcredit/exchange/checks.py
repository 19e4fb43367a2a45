"""Credit checks (信用核查, SPEC 2.8; seed 002 附件2 item 5): a subject's public credit report
fetched through the platform or loaded by hand, kept as a credit report of the credit file
(the rating reads those) with the check that asked for it and why; later, how the result was
used — the feedback the credit office asks for. Nothing here commits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection

from utilcredit.audit import repository as audit
from utilcredit.customers.subjects import subject_by_code
from utilcredit.errors import ConflictError, FieldInvalidError, NotFoundError, UtilcreditError
from utilcredit.exchange import tracking
from utilcredit.exchange.model import CheckPurpose, CheckUse, CreditCheck
from utilcredit.exchange.platform import PlatformClient, PlatformError
from utilcredit.exchange.reports import PublicReport, read_report, report_of
from utilcredit.localtime import today as local_today

NOTE_MAX = 500


@dataclass(frozen=True, slots=True)
class CheckRequest:
    subject_code: str
    purpose: CheckPurpose
    purpose_note: str | None = None
    utility: str | None = None  # default: the subject's only utility
    actor: str = "cli"


def check(
    connection: Connection,
    request: CheckRequest,
    *,
    client: PlatformClient | None = None,
    report_file: tuple[bytes, str] | None = None,
    on: dt.date | None = None,
) -> CreditCheck:
    """Check a subject: the report loaded by hand (``report_file``: its bytes and name) or
    fetched through ``client``. A report is stored as the credit file's report and the check
    as ``done``; when the platform fails, the check is stored ``failed`` with the reason (the
    attempt and its purpose are kept) and no report. Bad input writes nothing."""
    subject = subject_by_code(connection, request.subject_code)
    if subject is None:
        raise NotFoundError(
            f"信用档案中没有主体 {request.subject_code} / no subject {request.subject_code}"
        )
    utility = _utility(connection, subject.id, request.utility)
    if request.purpose is CheckPurpose.OTHER and not (request.purpose_note or "").strip():
        raise FieldInvalidError("purpose_note", "用途为其他时须说明 / say why (purpose other)")
    day = on or local_today()
    common = {
        "subject_id": subject.id,
        "utility": utility,
        "purpose": request.purpose.value,
        "purpose_note": _note(request.purpose_note, "purpose_note"),
        "requested_by": request.actor,
    }
    if report_file is not None:
        report = read_report(*report_file, code=subject.code, today=day)
        return _done(connection, common | {"source": "manual"}, subject.id, report)
    if client is None:
        raise FieldInvalidError(
            "file", "未配置平台时须提供下载的报告文件 / no platform: give the report file"
        )
    try:
        report = report_of(client.report(subject.code), code=subject.code, today=day)
    except (PlatformError, FieldInvalidError) as error:
        return _failed(connection, common | {"source": "platform"}, error)
    return _done(connection, common | {"source": "platform"}, subject.id, report)


def _utility(connection: Connection, subject_id: int, asked: str | None) -> str:
    held = tracking.utilities_of(connection, subject_id)
    if asked is not None:
        if asked not in ("water", "power"):
            raise FieldInvalidError("utility", "应为 water 或 power / must be water or power")
        return asked
    if len(held) == 1:
        return held[0]
    raise FieldInvalidError(
        "utility",
        "请指定核查所属行业（water 或 power） / name the utility the check is for",
    )


def _note(value: str | None, name: str) -> str | None:
    text = (value or "").strip()
    if len(text) > NOTE_MAX:
        raise FieldInvalidError(name, f"说明超过 {NOTE_MAX} 个字符 / longer than {NOTE_MAX}")
    return text or None


def _done(
    connection: Connection, values: dict[str, object], subject_id: int, report: PublicReport
) -> CreditCheck:
    report_id = tracking.upsert_report(
        connection,
        subject_id,
        {
            "source": report.source,
            "issued_on": report.issued_on,
            "has_dishonesty": report.has_dishonesty,
            "rating": report.rating,
            "on_serious_list": report.on_serious_list,
        },
    )
    check_id = tracking.insert_check(
        connection, **values, status="done", report_id=report_id, result=report.summary()
    )
    _audit(connection, check_id, values, "exchange.check", {"report": report_id})
    return checked(connection, check_id)


def _failed(
    connection: Connection, values: dict[str, object], error: UtilcreditError
) -> CreditCheck:
    check_id = tracking.insert_check(connection, **values, status="failed", error=str(error)[:500])
    _audit(connection, check_id, values, "exchange.check_failed", {"error": str(error)[:200]})
    return checked(connection, check_id)


def _audit(
    connection: Connection,
    check_id: int,
    values: dict[str, object],
    action: str,
    detail: dict[str, object],
) -> None:
    audit.record(
        connection,
        actor=str(values["requested_by"]),
        action=action,
        entity="credit_check",
        entity_key=str(check_id),
        reason=str(values["purpose"]),
        detail=detail | {"subject_id": values["subject_id"], "source": values["source"]},
        utilities=[str(values["utility"])],
    )


def record_use(
    connection: Connection,
    check_id: int,
    *,
    used_for: CheckUse,
    note: str | None,
    actor: str,
    now: dt.datetime | None = None,
) -> CreditCheck:
    """How a check's result was used (结果使用情况), recorded once and audited."""
    found = checked(connection, check_id)
    if found.status != "done":
        raise FieldInvalidError(
            "check", f"核查 {check_id} 未取得报告，无结果可用 / check {check_id} found no report"
        )
    if used_for is CheckUse.UNUSED and not (note or "").strip():
        raise FieldInvalidError("note", "未使用时须说明原因 / say why it was not used")
    if found.used_for is not None or not tracking.set_use(
        connection,
        check_id,
        used_for=used_for.value,
        use_note=_note(note, "note"),
        used_by=actor,
        used_at=now or dt.datetime.now(dt.UTC),
    ):
        raise ConflictError(
            f"核查 {check_id} 的结果使用情况已记录 / the use of check {check_id} is recorded"
        )
    audit.record(
        connection,
        actor=actor,
        action="exchange.check_use",
        entity="credit_check",
        entity_key=str(check_id),
        reason=note,
        detail={"used_for": used_for.value},
        utilities=[found.utility],
    )
    return checked(connection, check_id)


def checked(connection: Connection, check_id: int) -> CreditCheck:
    found = tracking.check_row(connection, check_id)
    if found is None:
        raise NotFoundError(f"没有信用核查 {check_id} / no credit check {check_id}")
    return found


def checks(
    connection: Connection,
    *,
    subject_code: str | None = None,
    unused: bool = False,
    utilities: list[str] | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[CreditCheck]:
    """Newest first; ``unused``: done checks whose use is not recorded yet."""
    subject_id = None
    if subject_code is not None:
        subject = subject_by_code(connection, subject_code)
        if subject is None:
            return []
        subject_id = subject.id
    return tracking.check_rows(
        connection,
        subject_id=subject_id,
        unused=unused,
        utilities=utilities,
        limit=limit,
        offset=offset,
    )


def load_report_file(path: Path) -> tuple[bytes, str]:
    """A downloaded report's bytes and name, for :func:`check`."""
    try:
        return path.read_bytes(), path.name
    except OSError as error:
        raise FieldInvalidError("file", f"无法读取 {path.name} / cannot read it") from error
