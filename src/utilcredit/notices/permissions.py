"""Who may act on notices: everybody who reads a utility sees its notices; operators
(``file_case``) act on those of the utilities they may write. ``principal`` None is the system
itself (the command line without ``--actor``, the worker): ``access.model.actor_name`` and
``readable`` name it and give it every utility."""

from __future__ import annotations

from utilcredit.access.model import NotVisibleError, Permission, Principal, require
from utilcredit.customers.model import Utility
from utilcredit.errors import FieldInvalidError
from utilcredit.notices.model import NoticeChannel


def utility_of(value: str) -> Utility:
    try:
        return Utility(value)
    except ValueError:
        raise FieldInvalidError(
            "utility", f"行业无效：{value}（可选：water、power） / unknown utility {value}"
        ) from None


def require_write(
    principal: Principal | None, utility: str, entity: tuple[str, str] = ("notice", "通知")
) -> None:
    if principal is None:
        return
    require(principal, Permission.FILE_CASE, entity=entity[0])
    if not principal.may_write_utility(utility_of(utility)):
        raise NotVisibleError(f"没有该{entity[1]} / no such {entity[0]}", entity=entity[0])


def channel_of(value: str) -> NoticeChannel:
    try:
        return NoticeChannel(value)
    except ValueError:
        raise FieldInvalidError(
            "channel",
            f"渠道无效：{value}（可选：{', '.join(c.value for c in NoticeChannel)}） / "
            f"unknown channel {value}",
        ) from None
