"""Local stand-ins for the notice channels: an SMTP server and an SMS/WeChat HTTP gateway.

Both listen on 127.0.0.1 on a free port, record what they receive, and can be switched into
faults. Used by the adapter tests and by the ``bench/`` scripts, so nothing here needs pytest.

    with SmtpTestServer() as smtp, GatewayTestServer(token="t") as gateway:
        SmtpAdapter("127.0.0.1", smtp.port, "credit@example.com")
        SmsGatewayAdapter(gateway.url + "/sms", "t", "示范供水")

The gateway keeps the contract of ``utilcredit.notices.adapters``: a key it has accepted is
answered ``accepted`` again with the same id, and not sent again.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.local_http import LocalHttpServer, QuietHandler

__all__ = ["GatewayTestServer", "RecordedRequest", "SmtpTestServer"]

_LOCALHOST = "127.0.0.1"


# --------------------------------------------------------------------------------------------
# SMTP
# --------------------------------------------------------------------------------------------


class _Recorder:
    """aiosmtpd handler: accepts, refuses or defers, and keeps what it accepted."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.raw: list[bytes] = []  # parsed when asked for: the server stays cheap under load
        self.peers: list[Any] = []  # the client's (address, port) per message
        self.refuse: set[str] = set()
        self.down = False
        self.parser = BytesParser(policy=policy.default)

    async def handle_MAIL(  # noqa: N802 (aiosmtpd's hook names)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.down:
            return "451 4.3.0 Service temporarily unavailable"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.down:
            return "451 4.3.0 Service temporarily unavailable"
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.down:
            return "451 4.3.0 Service temporarily unavailable"
        content = envelope.original_content or envelope.content or b""
        raw = content.encode() if isinstance(content, str) else content
        with self.lock:
            self.raw.append(raw)
            self.peers.append(session.peer)
        return "250 OK queued"


class _BoundController(Controller):
    """A controller that listens on a socket bound beforehand: the port is free and known
    before start, with no window for another process to take it."""

    def __init__(self, handler: _Recorder, sock: socket.socket) -> None:
        host, port = sock.getsockname()[:2]
        # a fixed server name: aiosmtpd would otherwise look up the FQDN per connection
        super().__init__(handler, hostname=host, port=port, server_hostname="localhost")
        self._sock = sock
        self.sessions: list[SMTP] = []  # one per connection (only touched on the loop thread)

    def _create_server(self) -> Awaitable[asyncio.AbstractServer]:
        return self.loop.create_server(self._factory_invoker, sock=self._sock)

    def factory(self) -> SMTP:
        session = SMTP(self.handler, **self.SMTP_kwargs)
        self.sessions.append(session)
        return session

    def drop_connections(self) -> None:
        """Close every client connection, as a server does to idle ones."""

        def close_all() -> None:
            for session in self.sessions:
                if session.transport is not None:
                    session.transport.close()
            done.set()

        done = threading.Event()
        self.loop.call_soon_threadsafe(close_all)
        done.wait(5)


class SmtpTestServer:
    """An SMTP server on 127.0.0.1 that records every accepted message.

    ``refuse``: recipients answered 550 at RCPT TO. ``down``: answer 451 to every MAIL, RCPT
    and DATA.
    """

    def __init__(self) -> None:
        self._handler = _Recorder()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((_LOCALHOST, 0))
        self._controller = _BoundController(self._handler, sock)

    @property
    def port(self) -> int:
        return self._controller.port

    @property
    def host(self) -> str:
        return _LOCALHOST

    @property
    def messages(self) -> list[EmailMessage]:
        """The accepted messages so far (a copy), parsed."""
        with self._handler.lock:
            raw = list(self._handler.raw)
        return [self._handler.parser.parsebytes(r) for r in raw]

    @property
    def peers(self) -> list[Any]:
        """The client's (address, port) of each accepted message: the same twice means the
        messages came over one connection."""
        with self._handler.lock:
            return list(self._handler.peers)

    @property
    def refuse(self) -> set[str]:
        return self._handler.refuse

    @refuse.setter
    def refuse(self, value: set[str]) -> None:
        self._handler.refuse = set(value)

    @property
    def down(self) -> bool:
        return self._handler.down

    @down.setter
    def down(self, value: bool) -> None:
        self._handler.down = value

    def drop_connections(self) -> None:
        """Close the connections of all clients (as a server does to idle ones)."""
        self._controller.drop_connections()

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# --------------------------------------------------------------------------------------------
# SMS / WeChat gateway
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]  # names in lower case
    body: Any  # the parsed JSON, None when the body was not JSON


class _Handler(QuietHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server names its handlers so
        gateway: GatewayTestServer = self.owner()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = None
        status, answer = gateway._answer(
            self.path, {k.lower(): v for k, v in self.headers.items()}, body
        )
        data = json.dumps(answer, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class GatewayTestServer(LocalHttpServer):
    """An SMS and WeChat gateway on 127.0.0.1: ``POST /sms`` and ``POST /wechat``.

    Idempotent by key: ``sent`` holds each message it sent once, a repeated key is answered
    ``accepted`` with the same id and counted in ``duplicates``. Messages whose ``to`` (or
    ``touser``) is in ``reject`` are rejected ("invalid number"); keys in ``omit`` are left out
    of the answer (as a gateway that lost part of a batch would). Faults: ``fail_next`` (500 to
    the next N requests), ``down`` (503 to all). A bearer token other than ``token`` gets 401.
    ``delay``: seconds to wait *after* a batch is sent and before answering — a client killed
    meanwhile never learns that its messages went out (the crash tests' window).
    """

    PATHS = ("/sms", "/wechat")
    handler = _Handler
    thread_name = "gateway-test-server"

    def __init__(self, token: str = "test-token") -> None:
        super().__init__()
        self.token = token
        self.reject: set[str] = set()
        self.omit: set[str] = set()
        self.fail_next = 0
        self.down = False
        self.delay = 0.0
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._sent: dict[str, dict[str, Any]] = {}
        self._ids: dict[str, str] = {}
        self._duplicates = 0

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:PORT`` (append ``/sms`` or ``/wechat``)."""
        return self.base_url

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def sent(self) -> dict[str, dict[str, Any]]:
        """Key → message, each message once however often it came."""
        with self._lock:
            return dict(self._sent)

    @property
    def sent_ids(self) -> dict[str, str]:
        """Key → the id the gateway gave the message it sent."""
        with self._lock:
            return dict(self._ids)

    @property
    def duplicates(self) -> int:
        with self._lock:
            return self._duplicates

    def _answer(self, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        answer = self._process(path, headers, body)
        if self.delay:
            time.sleep(self.delay)
        return answer

    def _process(self, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        with self._lock:
            self._requests.append(RecordedRequest(path, headers, body))
            if self.down:
                return 503, {"error": "service unavailable"}
            if self.fail_next > 0:
                self.fail_next -= 1
                return 500, {"error": "internal error"}
            if headers.get("authorization") != f"Bearer {self.token}":
                return 401, {"error": "invalid token"}
            if path not in self.PATHS:
                return 404, {"error": f"no such endpoint {path}"}
            messages = body.get("messages") if isinstance(body, dict) else None
            if not isinstance(messages, list) or not all(
                isinstance(m, dict) and isinstance(m.get("key"), str) for m in messages
            ):
                return 400, {"error": "expected {'messages': [{'key': ...}, ...]}"}
            results = [self._result(path, m) for m in messages if m["key"] not in self.omit]
            return 200, {"results": results}

    def _result(self, path: str, message: dict[str, Any]) -> dict[str, str]:
        key: str = message["key"]
        known = self._ids.get(key)
        if known is not None:
            self._duplicates += 1
            return {"key": key, "status": "accepted", "id": known}
        if (message.get("to") or message.get("touser")) in self.reject:
            return {"key": key, "status": "rejected", "error": "invalid number"}
        ref = f"{path.strip('/')}-{len(self._ids) + 1:06d}"
        self._ids[key] = ref
        self._sent[key] = message
        return {"key": key, "status": "accepted", "id": ref}
