"""Forked worker processes of the import: whether one can be forked here, how one is started
to stream messages to its parent, and how it hands its failure back. A worker reads files
only; it touches no database connection."""

from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any


def can_fork() -> bool:
    """A worker can be forked: POSIX, and not inside a daemonic process (which may not)."""
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    )


def send_error(send: Connection, error: BaseException) -> None:
    """Hand a worker process's failure to its parent: the exception itself when it survives
    pickling, else its type and message (an exception whose arguments do not unpickle would
    otherwise fail in the parent)."""
    try:
        payload = pickle.dumps(error, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(payload)
    except Exception:
        payload = pickle.dumps(RuntimeError(f"{type(error).__name__}: {error}"))
    send.send_bytes(payload)


@dataclass(frozen=True, slots=True)
class ForkedWorker:
    """The parent's end of a worker started by :func:`fork_worker`."""

    process: BaseProcess
    receive: Connection

    def next_message(self) -> Any:
        """The worker's next message; a failure it sent is raised here (``EOFError``: it
        stopped without a word)."""
        message = pickle.loads(self.receive.recv_bytes())
        if isinstance(message, BaseException):
            raise message
        return message

    def stop(self, finished: bool) -> None:
        """Wait for a worker that sent its last message, else end it; close the pipe."""
        if finished:
            self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.receive.close()


def fork_worker(work: Callable[[Callable[[Any], None]], None], name: str) -> ForkedWorker:
    """Run ``work(send)`` in a forked daemon process; ``send`` hands a message (pickled) to the
    parent, and an error ``work`` raises is handed over as its last message."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def run() -> None:
        receive.close()
        try:
            work(lambda message: send.send_bytes(pickle.dumps(message, pickle.HIGHEST_PROTOCOL)))
        except BaseException as error:
            send_error(send, error)
        finally:
            send.close()

    process = context.Process(target=run, name=name, daemon=True)
    process.start()
    send.close()
    return ForkedWorker(process, receive)
