"""Progress while reading, applying and exporting: live counts on a terminal, plain lines elsewhere.

A live display (spinner, bar, counts redrawn in place) is only useful to a person watching
a terminal, and it is made of escape sequences. So it is used only when stderr is a
terminal that takes them: not in CI logs, not with --no-color/NO_COLOR (which promise
output with no escape at all) and not on a dumb terminal. Everywhere else progress is
plain lines, one per finished step (none with --quiet).

Reading reports objects per kind and the calls and tokens spent so far (polled from the
client's CallStats on every redraw), so a long read shows that it is moving.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from rich.console import Console, RenderableType
from rich.live import Live
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.spinner import Spinner
from rich.text import Text

VERBS = {"create": "created", "update": "updated", "delete": "deleted"}


class Stats(Protocol):
    """What progress reads from the client (reconciler.pipedrive.http.CallStats)."""

    api_calls: int
    tokens: int


def live_display(console: Console, quiet: bool) -> bool:
    """Whether to redraw in place: a terminal that takes escapes, and someone who wants them."""
    return console.is_terminal and console.color_system is not None and not console.is_dumb_terminal and not quiet


def _calls(stats: Stats | None) -> str:
    if stats is None:
        return ""
    return f"{stats.api_calls:,} API call{'s' if stats.api_calls != 1 else ''}, {stats.tokens:,} tokens"


# -- reading live state (plan, apply) ---------------------------------------------------


class ReadProgress:
    """The callback live.py reports to: "reading deals" when a kind starts, "read 12 deals" when done."""

    def __init__(self, stats: Stats | None = None) -> None:
        self.stats = stats
        self.done: list[str] = []
        self.current: str | None = None

    def __call__(self, message: str) -> None:
        if message.startswith("reading "):
            self.current = message
            return
        self.current = None
        self.done.append(message)
        self.finished(message)

    def finished(self, message: str) -> None:
        """A kind is read; the plain display prints it."""

    def line(self) -> str:
        parts = [*self.done[-3:]]
        if len(self.done) > 3:
            parts.insert(0, "…")
        parts.append(f"{self.current}…" if self.current else "reading live state…")
        calls = _calls(self.stats)
        return " · ".join(parts) + (f" ({calls})" if calls else "")


class _LiveRead(ReadProgress):
    def __init__(self, stats: Stats | None) -> None:
        super().__init__(stats)
        self.spinner = Spinner("dots")

    def __rich__(self) -> RenderableType:
        self.spinner.update(text=Text(self.line()))
        return self.spinner


class _PlainRead(ReadProgress):
    def __init__(self, console: Console, stats: Stats | None) -> None:
        super().__init__(stats)
        self.console = console

    def finished(self, message: str) -> None:
        calls = _calls(self.stats)
        self.console.print(f"{message} ({calls} so far)" if calls else message, markup=False, highlight=False)


class _Silent(ReadProgress):
    pass


@contextmanager
def read_progress(console: Console, quiet: bool, stats: Stats | None = None) -> Iterator[Callable[[str], None]]:
    """Yield the callback for live.py's messages; counts redrawn on a terminal, a line per kind elsewhere."""
    if quiet:
        yield _Silent(stats)
        return
    if live_display(console, quiet):
        progress = _LiveRead(stats)
        with Live(progress, console=console, transient=True, refresh_per_second=8):
            yield progress
        return
    yield _PlainRead(console, stats)


# -- applying -------------------------------------------------------------------------------


@contextmanager
def apply_progress(console: Console, total: int, quiet: bool) -> Iterator[Callable[[Any], None]]:
    """Yield a callback taking an apply Outcome: a bar on a terminal, a line per resource elsewhere."""
    if live_display(console, quiet) and total > 1:
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
        done = VERBS[outcome.action]
        if outcome.action == "delete":  # what Pipedrive does: activity types are deactivated
            from reconciler.kinds import kind

            done = kind(outcome.address.split(".", 1)[0]).deleted_as
        console.print(f"{outcome.address}{ident}: {done}", markup=False, highlight=False)

    yield line


# -- exporting ----------------------------------------------------------------------------------


class _CallsColumn(ProgressColumn):
    """Calls and tokens spent so far, read from the client on every redraw."""

    def __init__(self, stats: Stats | None) -> None:
        super().__init__()
        self.stats = stats

    def render(self, task) -> Text:
        return Text(_calls(self.stats))


def per_object_line(calls: dict[str, int]) -> str:
    """What export reads one call per object, and how many calls: known before the first is made."""
    each = ", ".join(f"{count:,} for {label}" for label, count in calls.items())
    total = sum(calls.values())
    flags = " or ".join(f"--without {label.split(' ', 1)[1]}" for label in calls)  # "organization relationships"
    return (f"Reading what no list answer carries, one call per object: {each} ({total:,} "
            f"call{'s' if total != 1 else ''}; {flags} leaves {'it' if len(calls) == 1 else 'them'} out)")


class ExportDisplay:
    """What `export` reports while it works (the methods of reconciler.export.ExportProgress).

    Pipedrive's list endpoints do not say how many objects there are, so reading shows a
    running count per kind; writing knows its total and shows a bar. Off a live terminal:
    one line per kind read, one when the files are written.
    """

    def __init__(self, console: Console, quiet: bool, stats: Stats | None = None) -> None:
        self.console = console
        self.quiet = quiet
        self.stats = stats
        self.live = live_display(console, quiet)
        self.counts: dict[str, int] = {}
        self.current: Any = None
        self.tasks: dict[str, Any] = {}
        self.write_task: Any = None
        self.progress: Progress | None = None
        if self.live:
            self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                     TextColumn("{task.completed:,.0f}"), TimeElapsedColumn(), _CallsColumn(stats),
                                     console=console, transient=True)
            self.progress.start()

    def _line(self, text: str) -> None:
        if not self.quiet:
            calls = _calls(self.stats)
            self.console.print(f"{text} ({calls} so far)" if calls else text, markup=False, highlight=False)

    def _finish_reading(self) -> None:
        """A kind is read in full once the next starts (or writing does)."""
        if self.current is None:
            return
        spec, self.current = self.current, None
        if self.progress is not None:
            task = self.tasks[spec.name]
            self.progress.update(task, total=self.counts[spec.name])
        else:
            count = self.counts[spec.name]
            self._line(f"read {count:,} {spec.name if count == 1 else spec.section}")

    def reading(self, spec) -> None:
        self._finish_reading()
        self.current = spec
        self.counts[spec.name] = 0
        if self.progress is not None:
            self.tasks[spec.name] = self.progress.add_task(f"Reading {spec.section}", total=None)

    def advance(self, spec, count: int) -> None:
        self.counts[spec.name] = self.counts.get(spec.name, 0) + count
        if self.progress is not None:
            self.progress.advance(self.tasks[spec.name], count)

    def reading_each(self, calls: dict[str, int]) -> None:
        """Said before the first call, so a user can stop and choose `--without` (docs/costs.md)."""
        self._finish_reading()
        if not self.quiet:
            self.console.print(per_object_line(calls), markup=False, highlight=False)
        if self.progress is not None:
            for label, count in calls.items():
                self.tasks[label] = self.progress.add_task(f"Reading {label}", total=count)

    def advance_each(self, label: str, count: int) -> None:
        if self.progress is not None:
            self.progress.advance(self.tasks[label], count)

    def writing(self, files: int) -> None:
        self._finish_reading()
        if self.progress is not None:
            self.write_task = self.progress.add_task("Writing files", total=files)

    def wrote(self, count: int) -> None:
        if self.progress is not None:
            self.progress.advance(self.write_task, count)

    def done(self) -> None:
        """Idempotent: export calls it when it has written, the command again on the way out."""
        self._finish_reading()
        if self.progress is not None and self.progress.live.is_started:
            self.progress.stop()
