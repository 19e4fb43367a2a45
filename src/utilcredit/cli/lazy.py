"""A command group that imports a subcommand's module only when that subcommand is used.

Importing every command module costs seconds (SQLAlchemy, the domains, their rules), and
``utilcredit --help`` needs none of it: the root lists each subcommand by name and summary.
So the root knows its subcommands as a table, ``name → Lazy("module:attribute", summary)``,
lists them from the table, and imports a module when Click asks for the command itself
(to run it, or to show its own ``--help``).

A loaded command is built exactly as ``app.add_typer(...)``/``app.command(...)`` on the root
would have built it, so its name, options and help do not change. The summary in the table
is the first paragraph of that help, what the root's listing shows; a test holds the two
equal (tests/e2e/cli/test_cli_console_defects.py).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
import typer.main
from typer import _click as click  # Typer's own Click: the types its groups' methods take
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class Lazy:
    """A subcommand not imported yet: where it lives, and what the root's listing says."""

    target: str  # "package.module:attribute": a ``typer.Typer`` group or a command function
    summary: str  # the first paragraph of the command's help


def load_target(target: str) -> object:
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def _noop() -> None:
    """Makes the holder below a group, so Typer builds its one member as the root would."""


class LazyGroup(TyperGroup):
    """A Typer group whose subcommands, given in :attr:`lazy`, load on first use."""

    lazy: ClassVar[Mapping[str, Lazy]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._listing = False
        # Placeholders keep the table's order and let Typer suggest near names for a typo.
        for name, entry in self.lazy.items():
            self.commands.setdefault(name, _Placeholder(name, entry))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = self.commands.get(cmd_name)
        if isinstance(command, _Placeholder) and not self._listing:
            command = self.commands[cmd_name] = self._build(cmd_name, command.entry)
        return command

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # The listing needs only names and summaries: the placeholders have them.
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def _build(self, name: str, entry: Lazy) -> click.Command:
        """The command as the root's own ``add_typer``/``command`` would have made it."""
        holder = typer.Typer(
            rich_markup_mode=self.rich_markup_mode, suggest_commands=self.suggest_commands
        )
        holder.callback()(_noop)
        target = load_target(entry.target)
        if isinstance(target, typer.Typer):
            holder.add_typer(target, name=name)
        else:
            holder.command(name)(_as_callback(target))
        return typer.main.get_group(holder).commands[name]


def _as_callback(target: object) -> Callable[..., Any]:
    if not callable(target):
        raise TypeError(f"not a command: {target!r}")
    return target


class _Placeholder(TyperCommand):
    """A not-yet-imported subcommand as the root's listing shows it: a name and a summary."""

    def __init__(self, name: str, entry: Lazy) -> None:
        super().__init__(name=name, help=entry.summary)
        self.entry = entry
