from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from utilcredit.db import Base


class AuditEntryRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_key: Mapped[str | None] = mapped_column(String(200), index=True)
    reason: Mapped[str | None] = mapped_column(String(500))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The utilities the entry concerns, comma-wrapped and sorted (",power,water,"), so that
    # "concerns water" is ``LIKE '%,water,%'`` on every backend; "" when it concerns none
    # (then only auditors of every utility read it). See audit.repository.
    utilities: Mapped[str] = mapped_column(String(64), server_default="", default="")
