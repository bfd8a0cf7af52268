"""Progress for long reads and applies: a bar on a terminal, plain lines in CI logs.

A bar is only useful to a person watching; in a CI log it becomes noise, so off a
terminal each finished resource is one plain line (none with --quiet).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

VERBS = {"create": "created", "update": "updated", "delete": "deleted"}


@contextmanager
def apply_progress(console: Console, total: int, quiet: bool) -> Iterator:
    """Yield a callback taking an apply Outcome."""
    if console.is_terminal and not quiet and total > 1:
        columns = (TextColumn("applying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("apply", total=total)

            def advance(outcome) -> None:
                bar.advance(task)
                if outcome.status != "done":
                    bar.console.print(f"{outcome.status}: {outcome.address}", markup=False)

            yield advance
        return

    def line(outcome) -> None:
        if quiet or outcome.status != "done":
            return
        ident = f" (id {outcome.id})" if outcome.id is not None else ""
        console.print(f"{outcome.address}{ident}: {VERBS[outcome.action]}", markup=False)

    yield line


@contextmanager
def read_progress(console: Console, quiet: bool) -> Iterator:
    """Yield a callback taking a message ("reading deals"); a spinner on a terminal."""
    if console.is_terminal and not quiet:
        with console.status("reading live state…") as status:
            yield lambda message: status.update(message + "…")
        return
    yield lambda message: None
