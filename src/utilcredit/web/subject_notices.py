"""What the credit file page shows of a subject's notices (通知) and how it wants them
(:func:`subject_section`, read by ``web/creditfile.py``), and the forms there that record a
contact or an opt-out. What the notice pages share is ``web/notice_pages.py``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection

from utilcredit.access.model import Permission, Principal
from utilcredit.access.visibility import visible_subject
from utilcredit.config import Settings
from utilcredit.creditfile.service import resolve_subject, subject_ref_of
from utilcredit.http.deps import Db
from utilcredit.http.params import NO_NUL, SubjectCode
from utilcredit.notices import contacts as notice_contacts
from utilcredit.notices.model import UNSTOPPABLE, NoticeChannel
from utilcredit.notices.repository import NoticeFilter
from utilcredit.web.counter import Short
from utilcredit.web.notice_pages import listed, notice_words
from utilcredit.web.records import FileCase

router = APIRouter(include_in_schema=False)

SUBJECT_NOTICES = 10  # the newest of a subject's notices on its page
# What a finished form says (``?notice_done=<key>``: only these keys are shown).
SUBJECT_DONE = frozenset({"contact", "opt_out", "opt_in"})


def subject_section(
    request: Request,
    connection: Connection,
    principal: Principal,
    code: str,
    *,
    settings: Settings,
) -> dict[str, Any]:
    """What the credit file page shows of the subject's notices (the newest) and of where it
    wants them; ``notice_*`` keys of the page's context (``partials/subject_notices.html``)."""
    subject_id, utilities = visible_subject(connection, principal, code)
    rows, more = listed(
        connection,
        principal,
        settings,
        NoticeFilter(utilities=(), subject_id=subject_id),
        SUBJECT_NOTICES,
    )
    done = request.query_params.get("notice_done", "")
    return {
        "notice_rows": rows,
        "notice_more": more,
        "notice_preferences": notice_contacts.preferences(connection, principal, code),
        "notice_may_edit": principal.can(Permission.FILE_CASE)
        and any(principal.may_write_utility(u) for u in utilities),
        "notice_contact_channels": [c for c in NoticeChannel if c is not NoticeChannel.CALL],
        "notice_opt_out_channels": [c for c in NoticeChannel if c not in UNSTOPPABLE],
        "notice_done": done if done in SUBJECT_DONE else "",
        **notice_words(request),
    }


def _back_to_subject(connection: Connection, code: str, done: str) -> Response:
    ref = subject_ref_of(connection, code)
    return RedirectResponse(f"/subjects/{ref}?notice_done={done}#subject-notices", status_code=303)


@router.post("/subjects/{code}/notice-contacts")
def set_contact(
    code: SubjectCode,
    connection: Db,
    principal: FileCase,
    channel: Annotated[str, Form(max_length=16, pattern=NO_NUL)],
    address: Short = "",
) -> Response:
    """Record where the subject wants notices on a channel (empty: forget it)."""
    found = resolve_subject(connection, principal, code)
    notice_contacts.set_contact(connection, principal, found, channel, address.strip() or None)
    return _back_to_subject(connection, found, "contact")


@router.post("/subjects/{code}/notice-opt-outs")
def set_opt_out(
    code: SubjectCode,
    connection: Db,
    principal: FileCase,
    channel: Annotated[str, Form(max_length=16, pattern=NO_NUL)],
    opted_out: Annotated[str, Form(pattern="^(yes|no)$")] = "yes",
    reason: Short = "",
) -> Response:
    """The subject opts out of a channel, or back in (never out of the letter)."""
    found = resolve_subject(connection, principal, code)
    notice_contacts.set_opt_out(
        connection,
        principal,
        found,
        channel,
        opted_out=opted_out == "yes",
        reason=reason.strip() or None,
    )
    return _back_to_subject(connection, found, "opt_out" if opted_out == "yes" else "opt_in")
