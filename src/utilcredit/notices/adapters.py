"""Channel adapters: what the dispatcher sends notices through (e-mail, SMS, WeChat).

An adapter takes a batch of :class:`~utilcredit.notices.model.Outgoing` messages and answers
one :class:`~utilcredit.notices.model.Outcome` per message, in the same order. It never raises
for a fault of the endpoint: a server that is down, slow or answering 5xx makes ``retry``
outcomes, a recipient refused for good makes ``failed`` ones. Faults of our own configuration
(wrong credentials, a refused sender address) are ``retry`` as well: the customer is not at
fault, and the notice must go out once an operator has fixed the setting.

Idempotency — the contract the dispatcher relies on after a crash
-----------------------------------------------------------------
Every message carries its notice's ``key``. A worker that dies between handing a batch to a
gateway and recording the outcomes leaves its notices in ``sending``; the dispatcher sends them
again only through an adapter whose :attr:`Adapter.idempotent` is true. For the HTTP gateways
(:class:`SmsGatewayAdapter`, :class:`WechatAdapter`) the key is the idempotency key: **a gateway
that receives a key it has already accepted must answer ``accepted`` again (with the same id)
without sending the message a second time.** A gateway that cannot promise this must not be
configured here.

SMTP has no such thing, so :class:`SmtpAdapter` is not idempotent (an interrupted e-mail goes to
``dead`` for a person to look at). It still derives the ``Message-ID`` from the key, so a
receiver that de-duplicates on it recognises a repeat, and it names the key in an
``X-Utilcredit-Key`` header.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import threading
from collections.abc import Iterator, Sequence
from email.message import EmailMessage
from types import TracebackType
from typing import Any, Protocol, Self
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from utilcredit.config import NoticeSettings
from utilcredit.notices.model import NoticeChannel, Outcome, OutcomeStatus, Outgoing
from utilcredit.outbound import BearerClient

__all__ = [
    "DEFAULT_TITLE",
    "Adapter",
    "SmsGatewayAdapter",
    "SmtpAdapter",
    "WechatAdapter",
    "adapters_from",
    "message_id",
]

DEFAULT_TITLE = "供水/供电信用通知"


class Adapter(Protocol):
    """Sends messages of one channel; see the module docstring for the contract."""

    channel: NoticeChannel
    #: True when re-sending a key the endpoint already accepted does not send twice.
    idempotent: bool
    #: Messages per :meth:`send` call.
    max_batch: int

    def send(self, messages: Sequence[Outgoing]) -> list[Outcome]:
        """One outcome per message, same order; never raises for endpoint faults."""
        ...

    def close(self) -> None: ...


def _chunks(messages: Sequence[Outgoing], size: int) -> Iterator[Sequence[Outgoing]]:
    for start in range(0, len(messages), size):
        yield messages[start : start + size]


# --------------------------------------------------------------------------------------------
# E-mail
# --------------------------------------------------------------------------------------------

# RFC 5322 atext without "%" (our escape character); "." is escaped too, since a dot-atom may
# not start or end with one nor hold two in a row.
_ID_SAFE = "!#$&'*+-/=?^_`{|}~"


def message_id(key: str) -> str:
    """The ``Message-ID`` of the notice ``key``: ``<{key}@utilcredit>``, with the characters a
    message id may not hold (notice keys have colons) percent-escaped, so one key always gives
    the same valid id."""
    local = quote(key, safe=_ID_SAFE).replace(".", "%2E")
    return f"<{local}@utilcredit>"


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {message}".strip()


class _BatchStoppedError(Exception):
    """A fault of the server or the connection: this and every later message of the batch
    are retried (the next one would meet the same fault)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class SmtpAdapter:
    """E-mail over SMTP with ``smtplib``, one connection kept open across :meth:`send` calls.

    Not idempotent (see the module docstring). Thread-safe, but one connection sends one
    message at a time: give each worker its own adapter to send in parallel.
    """

    channel: NoticeChannel = NoticeChannel.EMAIL
    idempotent: bool = False
    max_batch: int = 50

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.username = username
        self._password = password
        self.starttls = starttls
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None
        self._checked = False  # the connection answered NOOP during this batch
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # the password stays out of logs
        return f"SmtpAdapter({self.host!r}, {self.port}, sender={self.sender!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def send(self, messages: Sequence[Outgoing]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        with self._lock:
            self._checked = False  # one NOOP per batch, not per message
            for message in messages:
                try:
                    outcomes.append(self._send_one(message))
                except _BatchStoppedError as stop:
                    self._drop()
                    outcomes += [
                        Outcome(m.key, "retry", stop.detail) for m in messages[len(outcomes) :]
                    ]
                    break
        return outcomes

    def close(self) -> None:
        with self._lock:
            if self._smtp is not None:
                # going away anyway: QUIT is a courtesy to the server
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    self._smtp.quit()
            self._drop()

    # ---------------------------------------------------------------------------------------

    def _build(self, message: Outgoing) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.recipient
        email["Subject"] = message.title or DEFAULT_TITLE
        email["Message-ID"] = message_id(message.key)
        email["X-Utilcredit-Key"] = message.key
        email.set_content(message.body, charset="utf-8")
        return email

    def _send_one(self, message: Outgoing) -> Outcome:
        try:
            email = self._build(message)
        except (ValueError, TypeError) as error:
            # A line break in an address or title (header injection): no server takes it.
            return Outcome(
                message.key, "failed", f"无法生成邮件 / cannot build the e-mail: {error}"
            )
        ref = str(email["Message-ID"])
        smtp = self._connection()
        try:
            smtp.send_message(email, from_addr=self.sender, to_addrs=[message.recipient])
        except smtplib.SMTPRecipientsRefused as error:
            code, text = error.recipients.get(message.recipient, (550, b"recipient refused"))
            status: OutcomeStatus = "failed" if code >= 500 else "retry"
            return Outcome(message.key, status, _reply(code, text))
        except smtplib.SMTPDataError as error:
            if error.smtp_code >= 500:
                return Outcome(message.key, "failed", _reply(error.smtp_code, error.smtp_error))
            raise _BatchStoppedError(_reply(error.smtp_code, error.smtp_error)) from error
        except smtplib.SMTPSenderRefused as error:
            # Every message of ours has this sender: a 5xx here is a configuration fault, not
            # the recipient's, so it is retried (until an operator fixes the setting).
            reply = _reply(error.smtp_code, error.smtp_error)
            if error.smtp_code >= 500:
                reply = f"邮件服务器拒绝发件人 / server refused the sender {self.sender}: {reply}"
            raise _BatchStoppedError(reply) from error
        except smtplib.SMTPNotSupportedError as error:
            # An address that needs SMTPUTF8 on a server without it: that address never works.
            return Outcome(message.key, "failed", f"{error}")
        except smtplib.SMTPResponseException as error:
            raise _BatchStoppedError(_reply(error.smtp_code, error.smtp_error)) from error
        except (smtplib.SMTPException, OSError) as error:
            raise _BatchStoppedError(self._fault(error)) from error
        return Outcome(message.key, "sent", provider_ref=ref)

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None and self._checked:
            return self._smtp
        if self._smtp is not None:
            # Servers drop idle connections; one NOOP per batch finds out before a message is
            # half sent (a resend after an unclear DATA could deliver it twice).
            try:
                if self._smtp.noop()[0] == 250:
                    self._checked = True
                    return self._smtp
            except (smtplib.SMTPException, OSError):
                pass
            self._drop()
        try:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except (smtplib.SMTPException, OSError) as error:
            raise _BatchStoppedError(self._fault(error)) from error
        try:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username is not None:
                smtp.login(self.username, self._password or "")
        except (smtplib.SMTPException, OSError) as error:
            smtp.close()
            raise _BatchStoppedError(self._fault(error)) from error
        self._smtp = smtp
        self._checked = True
        return smtp

    def _fault(self, error: BaseException) -> str:
        if isinstance(error, smtplib.SMTPAuthenticationError):
            what = "邮件服务器拒绝了凭据 / server refused the credentials"
        else:
            what = "邮件服务器暂不可用 / mail server unavailable"
        return f"{what} ({self.host}:{self.port}): {type(error).__name__}: {error}"

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None


# --------------------------------------------------------------------------------------------
# HTTP gateways (SMS, WeChat)
# --------------------------------------------------------------------------------------------


class _GatewayAdapter(BearerClient):
    """One JSON ``POST`` per batch to a gateway that answers per key (module docstring)."""

    channel: NoticeChannel
    idempotent: bool = True
    max_batch: int = 200

    def __init__(self, url: str, token: str, timeout: float) -> None:
        super().__init__(url, token, timeout=timeout)

    def _payload(self, messages: Sequence[Outgoing]) -> dict[str, Any]:
        raise NotImplementedError

    def send(self, messages: Sequence[Outgoing]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for batch in _chunks(messages, self.max_batch):
            outcomes += self._post(batch)
        return outcomes

    def _post(self, messages: Sequence[Outgoing]) -> list[Outcome]:
        def every(status: OutcomeStatus, detail: str) -> list[Outcome]:
            return [Outcome(m.key, status, detail) for m in messages]

        try:
            response = self._client.post(self.url, json=self._payload(messages))
        except httpx.HTTPError as error:
            return every(
                "retry",
                f"网关暂不可用 / gateway unreachable: {type(error).__name__}: {error} ({self.url})",
            )
        code = response.status_code
        if code in (401, 403):
            return every(
                "retry",
                f"网关拒绝了凭据 / gateway refused the credentials (HTTP {code} from {self.url})",
            )
        if 400 <= code < 500 and code not in (408, 429):
            # The gateway says this batch is malformed; sending it again changes nothing.
            return every("failed", f"HTTP {code} from {self.url}: {response.text[:200]}")
        if not 200 <= code < 300:
            # 5xx, 429, 408, and redirects (a misconfigured URL) are worth another try
            return every("retry", f"网关暂不可用 / HTTP {code} from {self.url}")
        answers = _results(response)
        if answers is None:
            return every("retry", f"网关应答无法解析 / unreadable answer from {self.url}")
        return [_outcome(m.key, answers.get(m.key)) for m in messages]


def _results(response: httpx.Response) -> dict[str, dict[str, Any]] | None:
    """The gateway's answers by key, None when the body is not the expected JSON."""
    try:
        body = response.json()
    except ValueError:
        return None
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list):
        return None
    return {
        str(r["key"]): r for r in results if isinstance(r, dict) and isinstance(r.get("key"), str)
    }


def _outcome(key: str, answer: dict[str, Any] | None) -> Outcome:
    if answer is None:
        return Outcome(key, "retry", "网关未答复此条 / the gateway's answer does not mention it")
    status = answer.get("status")
    if status == "accepted":
        ref = answer.get("id")
        return Outcome(key, "sent", provider_ref=None if ref is None else str(ref))
    if status == "rejected":
        return Outcome(key, "failed", str(answer.get("error") or "rejected by the gateway"))
    return Outcome(key, "retry", f"网关应答状态未知 / unknown status {status!r}")


class SmsGatewayAdapter(_GatewayAdapter):
    """SMS through an HTTP gateway: ``{"sign_name", "messages": [{"key", "to", "text"}]}``."""

    channel: NoticeChannel = NoticeChannel.SMS

    def __init__(self, url: str, token: str, sign_name: str, timeout: float = 10.0) -> None:
        super().__init__(url, token, timeout)
        self.sign_name = sign_name

    def _payload(self, messages: Sequence[Outgoing]) -> dict[str, Any]:
        return {
            "sign_name": self.sign_name,
            "messages": [{"key": m.key, "to": m.recipient, "text": m.body} for m in messages],
        }


class WechatAdapter(_GatewayAdapter):
    """WeChat template messages through an HTTP gateway:
    ``{"template_id", "messages": [{"key", "touser", "title", "text"}]}``."""

    channel: NoticeChannel = NoticeChannel.WECHAT

    def __init__(self, url: str, token: str, template_id: str, timeout: float = 10.0) -> None:
        super().__init__(url, token, timeout)
        self.template_id = template_id

    def _payload(self, messages: Sequence[Outgoing]) -> dict[str, Any]:
        return {
            "template_id": self.template_id,
            "messages": [
                {
                    "key": m.key,
                    "touser": m.recipient,
                    "title": m.title or DEFAULT_TITLE,
                    "text": m.body,
                }
                for m in messages
            ],
        }


# --------------------------------------------------------------------------------------------
# From the settings
# --------------------------------------------------------------------------------------------


def _secret(value: SecretStr | None) -> str:
    return "" if value is None else value.get_secret_value()


def adapters_from(settings: NoticeSettings) -> dict[NoticeChannel, Adapter]:
    """An adapter per configured channel (a channel without host or URL gets none)."""
    adapters: dict[NoticeChannel, Adapter] = {}
    if settings.smtp_host:
        adapters[NoticeChannel.EMAIL] = SmtpAdapter(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_sender,
            username=settings.smtp_user or None,
            password=None if settings.smtp_password is None else _secret(settings.smtp_password),
            starttls=settings.smtp_starttls,
            timeout=settings.http_timeout_seconds,
        )
    if settings.sms_url:
        adapters[NoticeChannel.SMS] = SmsGatewayAdapter(
            settings.sms_url,
            _secret(settings.sms_token),
            settings.sms_sign_name,
            timeout=settings.http_timeout_seconds,
        )
    if settings.wechat_url:
        adapters[NoticeChannel.WECHAT] = WechatAdapter(
            settings.wechat_url,
            _secret(settings.wechat_token),
            settings.wechat_template_id,
            timeout=settings.http_timeout_seconds,
        )
    return adapters
