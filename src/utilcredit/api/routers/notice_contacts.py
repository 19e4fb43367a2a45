"""A subject's notice preferences (``/subjects/{code}/notice-preferences``): where it wants
notices on each channel, and the channels it opted out of.

Every reader of the subject's utility sees them; operators (``file_case``) record a contact or an
opt-out. The routes are the notices' (tagged ``notices`` and ``subjects``), mounted right after
:mod:`utilcredit.api.routers.notices`.
"""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import Connection

from utilcredit.access.model import Principal
from utilcredit.api.routers.notices import FileCase
from utilcredit.api.schemas import ERROR_RESPONSES
from utilcredit.api.schemas_notices import (
    ContactRequest,
    OptOutRequest,
    PreferenceOut,
    PreferencesOut,
)
from utilcredit.creditfile.service import resolve_subject, subject_ref_of
from utilcredit.http.deps import Db, Reader
from utilcredit.http.params import SubjectCode
from utilcredit.notices import contacts as notice_contacts
from utilcredit.notices.model import NoticeChannel

router = APIRouter(tags=["notices"], responses=ERROR_RESPONSES)


def _preferences(connection: Connection, principal: Principal, code: str) -> PreferencesOut:
    return PreferencesOut(
        subject_ref=subject_ref_of(connection, code),
        preferences=[
            PreferenceOut.model_validate(p)
            for p in notice_contacts.preferences(connection, principal, code)
        ],
    )


@router.get(
    "/subjects/{code}/notice-preferences",
    response_model=PreferencesOut,
    tags=["subjects"],
    summary="通知联系方式与退订 / where the subject wants notices, and its opt-outs",
)
def get_preferences(code: SubjectCode, connection: Db, principal: Reader) -> PreferencesOut:
    return _preferences(connection, principal, resolve_subject(connection, principal, code))


@router.put(
    "/subjects/{code}/notice-preferences/contacts/{channel}",
    response_model=PreferencesOut,
    tags=["subjects"],
    summary="登记或删除某渠道的联系方式 / record (or forget, null) the address for a channel",
)
def put_contact(
    code: SubjectCode,
    channel: NoticeChannel,
    body: ContactRequest,
    connection: Db,
    principal: FileCase,
) -> PreferencesOut:
    found = resolve_subject(connection, principal, code)
    notice_contacts.set_contact(connection, principal, found, channel.value, body.address)
    return _preferences(connection, principal, found)


@router.put(
    "/subjects/{code}/notice-preferences/opt-outs/{channel}",
    response_model=PreferencesOut,
    tags=["subjects"],
    summary="退订或恢复某渠道（书面告知函不能退订） / opt out of a channel, or back in",
)
def put_opt_out(
    code: SubjectCode,
    channel: NoticeChannel,
    body: OptOutRequest,
    connection: Db,
    principal: FileCase,
) -> PreferencesOut:
    found = resolve_subject(connection, principal, code)
    notice_contacts.set_opt_out(
        connection, principal, found, channel.value, opted_out=body.opted_out, reason=body.reason
    )
    return _preferences(connection, principal, found)
