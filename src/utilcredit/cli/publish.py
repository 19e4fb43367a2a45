"""``utilcredit publish``: rebuild the public site's published view (docs/disclosure.md).

Run it daily (the notice worker does it once a day; without the worker, a cron line), and when
a change should be public, or stop being public, before the next daily run.

The store and the domain's services are imported inside the commands, so that
``utilcredit publish --help`` starts without them.
"""

from __future__ import annotations

from utilcredit.cli.common import AsOfOption, fail, parse_as_of
from utilcredit.cli.output import Format, FormatOption, emit
from utilcredit.errors import UtilcreditError


def publish_command(as_of: AsOfOption = None, output: FormatOption = Format.TEXT) -> None:
    """重建公示内容 / rebuild the published view (records in their publication period and
    commitments marked for disclosure, masked) as of a day (default today)."""
    from utilcredit.bootstrap import open_store
    from utilcredit.config import get_settings
    from utilcredit.disclosure import service

    try:
        day = parse_as_of(as_of)
        with open_store().begin() as connection:
            report = service.publish(connection, day, rule=service.masking_of(get_settings()))
    except UtilcreditError as error:
        raise fail(error) from None
    emit(
        output,
        f"已公示 / published {report.entries}（失信记录 / records {report.records}，"
        f"信用承诺 / commitments {report.commitments}）于 / as of {day}",
        {
            "as_of": day.isoformat(),
            "records": report.records,
            "commitments": report.commitments,
            "replaced": report.removed,
        },
    )
