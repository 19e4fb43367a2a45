"""The command line run in-process, answering like ``subprocess.run`` does.

Starting ``python -m utilcredit`` costs seconds of imports per call; the CLI tests make
hundreds of calls, so they run the Typer app in this process with the given environment.
What a real process adds — the entry point and signals — is covered by the tests that still
start one (``tests/e2e/cli/test_cli.py``'s kill test, the notice worker's crash tests).
"""

from __future__ import annotations

import os
import subprocess
import traceback
from collections.abc import Mapping

from typer.testing import CliRunner

from utilcredit.cli.main import app
from utilcredit.config import get_settings


def run_cli(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``utilcredit ARGS`` with ``env``'s settings; an uncaught exception is exit code 1 with
    its traceback on stderr, as a process would print it."""
    changed = {key: value for key, value in env.items() if os.environ.get(key) != value}
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, list(args), env=changed)
    finally:
        get_settings.cache_clear()
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess(
        ["utilcredit", *args], result.exit_code, result.stdout, stderr
    )
