"""A local HTTP test server's life: ``http.server`` on 127.0.0.1 on a free port, served from a
daemon thread, quiet, keep-alive, started and stopped by ``with``. The SMS/WeChat gateway and
the credit platform stand-ins subclass it and answer the requests themselves."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

LOCALHOST = "127.0.0.1"


class QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the adapters use it
    # headers and body are two writes: without this, Nagle and delayed ACKs add 40 ms each
    disable_nagle_algorithm = True
    timeout = 30  # an idle keep-alive connection does not hold its thread for ever

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: a bench sends thousands of requests

    def owner(self) -> Any:
        """The test server this request reached."""
        return self.server.owner  # type: ignore[attr-defined]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: Any


class LocalHttpServer:
    """Subclasses set ``handler`` (a :class:`QuietHandler`) and ``thread_name``."""

    handler: type[QuietHandler]
    thread_name = "local-http-test-server"

    def __init__(self) -> None:
        self._server = _Server((LOCALHOST, 0), self.handler)
        self._server.owner = self
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.thread_name}-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

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
