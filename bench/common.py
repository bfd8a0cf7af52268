"""Shared helpers for the benches: seeded accounts, manifests generated from live data, output.

Not a test module and not part of the package: the benches import it as ``common`` (they run
as scripts from ``bench/``, so this directory is on ``sys.path``).

The ``--json`` contract (what ``bench/run_all.py`` reads, and what any bench must print to
appear in ``bench/README.md``):

- the bench accepts ``--json`` (and ``--quick`` for a smaller run);
- with ``--json``, the LAST line of its stdout is one JSON object::

      {"bench": "read",                      # short name
       "command": "python bench/bench_read.py",
       "results": [                          # one row per figure, in the order to show them
         {"figure": "calls, complete lock",  # what was measured
          "target": "<= 1.2x minimum",       # the target as text, or null when there is none
          "result": "66 (1.00x of 66)",      # the measured result as text
          "ok": true}                        # true/false against the target, null without one
       ],
       "notes": ["free text shown under the table"]}

  anything before that line (progress, the human table) is ignored by ``run_all``;
- the exit status is 0 when the bench ran (a missed target is reported through ``ok``, not
  through the exit status), anything else when it could not run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
# The code measured: this checkout, or another one (RECONCILER_BENCH_CODE=DIR, e.g. a worktree of
# the commit before a change) so that run_all.py can measure "before" and "after" with the same bench.
CODE = Path(os.environ.get("RECONCILER_BENCH_CODE") or ROOT).resolve()
if str(CODE) not in sys.path:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(CODE))


def _compiled(code: Path) -> None:
    """The measured code's bytecode written, as `pip install` leaves it: with
    PYTHONDONTWRITEBYTECODE set (as here), every child process would otherwise compile each
    module it imports from source again (~0.1 s of a plan's CPU, and worse after an edit)."""
    import compileall

    compileall.compile_dir(str(code / "reconciler"), quiet=2)


_compiled(CODE)

from reconciler import kinds  # noqa: E402
from reconciler.config import Settings  # noqa: E402
from reconciler.lock import LockFile  # noqa: E402
from reconciler.normalize import Context  # noqa: E402
from reconciler.pipedrive.client import PipedriveClient  # noqa: E402
from reconciler.pipedrive.schema import AccountSchema  # noqa: E402
from reconciler.session import open_client  # noqa: E402

# The large account of issues 4 and 8.
LARGE = {"organizations": 5000, "persons": 10000, "deals": 20000, "notes": 20000}
# The managed set of issue 4 (a sales team's share of the large account).
MANAGED = {"organization": 300, "person": 600, "deal": 1000, "note": 1000}
UNPACED = 1e6  # a client-side rate limit that never waits (in-process sandbox only)
KEY_PREFIX = {"organization": "org", "person": "person", "deal": "deal", "note": "note"}
READ_KINDS = ("organization", "person", "deal", "note")


# -- output -----------------------------------------------------------------------------


@dataclass
class Row:
    figure: str
    result: str
    target: str | None = None
    ok: bool | None = None


@dataclass
class Report:
    bench: str
    command: str
    results: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, figure: str, result: str, target: str | None = None, ok: bool | None = None) -> None:
        self.results.append(Row(figure, result, target, ok))

    def emit(self, as_json: bool) -> None:
        """The summary table on stdout; with --json, the contract line after it."""
        print()
        print_table(
            ["figure", "target", "result", "verdict"],
            [[r.figure, r.target or "-", r.result, verdict(r.ok)] for r in self.results],
        )
        for note in self.notes:
            print(f"  note: {note}")
        if as_json:
            print(json.dumps({"bench": self.bench, "command": self.command,
                              "results": [asdict(r) for r in self.results], "notes": self.notes}))


# Headers of one hop: a relaying proxy sets its own (the body it sends is whole, not encoded).
HOP_HEADERS = ("content-length", "transfer-encoding", "connection", "content-encoding")


def relay(handler: Any, client: Any, upstream: str, body: bytes | None, drop: Sequence[str] = ()) -> None:
    """Send a loopback proxy's request (an http.server handler's) on to `upstream` with httpx
    `client`, and its answer back, less the hop's headers and `drop` (a proxy that strips Date)."""
    headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("host", "content-length")}
    answer = client.request(handler.command, upstream + handler.path, content=body, headers=headers)
    handler.send_response_only(answer.status_code)
    for key, value in answer.headers.items():
        if key.lower() not in (*HOP_HEADERS, *drop):
            handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(answer.content)))
    handler.end_headers()
    handler.wfile.write(answer.content)


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("ok" if ok else "MISSED")


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    rows = [[str(c) for c in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) if rows else len(str(h)) for i, h in enumerate(headers)]
    line = "  ".join(f"{h:<{w}}" for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(f"{c:<{w}}" for c, w in zip(row, widths, strict=True)))


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="a smaller run (minutes become seconds)")
    p.add_argument("--json", action="store_true", help="end with one JSON line (bench/common.py contract)")
    return p


def command_line(script: str, quick: bool) -> str:
    return f"python bench/{script}" + (" --quick" if quick else "")


def log(message: str) -> None:
    """Progress on stderr, so stdout stays the table (and the JSON line)."""
    print(message, file=sys.stderr, flush=True)


def maxrss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- sandbox ----------------------------------------------------------------------------


def seed(db: Path, *, organizations: int, persons: int, deals: int, notes: int, seed_value: int = 0) -> dict:
    from reconciler.sandbox.seed import seed_database

    started = time.perf_counter()
    counts = seed_database(str(db), organizations=organizations, persons=persons, deals=deals, notes=notes,
                           seed=seed_value)
    log(f"seeded {db.name}: {organizations} organizations, {persons} persons, {deals} deals, {notes} notes "
        f"in {time.perf_counter() - started:.1f} s")
    return counts


def sandbox_settings(db: Path, rate_limit: float = UNPACED) -> Settings:
    return Settings(sandbox_db=str(db), rate_limit=rate_limit)


def read_everything(client: PipedriveClient, kind_names: Sequence[str] = READ_KINDS) -> dict[str, dict[int, dict]]:
    """Every live object of these kinds, canonical (field types loaded first for v1 custom fields)."""
    out: dict[str, dict[int, dict]] = {}
    for name in kind_names:
        out[name] = {obj["id"]: obj for obj in client.list(name)}
    return out


# -- manifests generated from live data ----------------------------------------------------


@dataclass
class ManifestSet:
    """A directory of manifests that matches the live account, and what it manages."""

    directory: Path
    ids: dict[str, list[int]]  # kind -> managed live ids
    total_live: dict[str, int]  # kind -> live objects of the kind in the account
    positions: dict[str, list[int]]  # kind -> 1-based rank of each managed id among live ids (id order)
    company: dict
    resources: int = 0
    distinct_parents: dict[str, int] = field(default_factory=dict)  # kind -> parents of its managed children


def key_of(kind_name: str, object_id: int) -> str:
    return f"{KEY_PREFIX[kind_name]}-{object_id}"


def _natural_key(kind_name: str, obj: dict) -> tuple | None:
    """The natural key identity would look this object up by, when managed with its declared parent."""
    from reconciler.normalize import text_key

    if kind_name == "deal":
        title = " ".join(str(obj.get("title") or "").split()).casefold()
        if obj.get("org_id"):
            return ("title_org", title, obj["org_id"])
        if obj.get("person_id"):
            return ("title_person", title, obj["person_id"])
        return ("title", title)
    if kind_name == "note":
        for parent in ("deal_id", "person_id", "org_id"):
            if obj.get(parent):
                return ("note", parent, obj[parent], text_key(obj.get("content")))
    return None


def _pick(rng: random.Random, candidates: list[int], preferred: set[int], count: int) -> list[int]:
    """`count` ids: those in `preferred` first (in random order), then others at random."""
    first = [i for i in candidates if i in preferred]
    rest = [i for i in candidates if i not in preferred]
    rng.shuffle(first)
    rng.shuffle(rest)
    return sorted((first + rest)[:count])


def select_managed(
    live: dict[str, dict[int, dict]], counts: dict[str, int], seed_value: int = 7, *, unique_only: bool = True
) -> dict[str, list[int]]:
    """A sales team's share of the account: organizations, then their people, deals and notes.

    With `unique_only`, deals and notes whose natural key is not unique in the account are
    left out, so the set can also be planned without a lock (identity would rightly refuse
    to guess); without it (a complete lock is then needed), any object may be chosen.
    """
    rng = random.Random(seed_value)
    chosen: dict[str, list[int]] = {}
    orgs = sorted(live["organization"])
    rng.shuffle(orgs)
    chosen["organization"] = sorted(orgs[: counts.get("organization", 0)])
    org_set = set(chosen["organization"])
    persons = [i for i, p in live["person"].items()]
    chosen["person"] = _pick(rng, sorted(persons), {i for i in persons if live["person"][i].get("org_id") in org_set},
                             counts.get("person", 0))
    person_set = set(chosen["person"])
    for kind_name in ("deal", "note"):
        keys: dict[tuple, int] = {}
        for obj in live[kind_name].values():
            nk = _natural_key(kind_name, obj)
            keys[nk] = keys.get(nk, 0) + 1
        unique = sorted(i for i, obj in live[kind_name].items()
                        if not unique_only or keys[_natural_key(kind_name, obj)] == 1)
        if kind_name == "deal":
            preferred = {i for i in unique if live["deal"][i].get("org_id") in org_set
                         or live["deal"][i].get("person_id") in person_set}
        else:
            deal_set = set(chosen["deal"])
            preferred = {i for i in unique if live["note"][i].get("deal_id") in deal_set
                         or live["note"][i].get("person_id") in person_set
                         or live["note"][i].get("org_id") in org_set}
        chosen[kind_name] = _pick(rng, unique, preferred, counts.get(kind_name, 0))
    return chosen


def _plain(value: Any) -> Any:
    """dict, list and str subclasses (export's style markers) as plain values, for yaml.dump."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)  # export's Quoted marker
    return value


def manifest_converter(schema: AccountSchema, keys: dict[tuple[str, int], str],
                       ) -> Callable[[str, dict], dict[str, Any]]:
    """kind, live object -> its fields in manifest language, by whatever the measured code offers.

    The code measured may be older than the bench (run_all.py --before): field types and the
    export's Converter where they exist (field types as objects), normalize's functions before.
    """
    try:
        from reconciler.export.convert import Converter
    except ImportError:
        ctx = Context(schema=schema, resolve_key=lambda kind, key: None, key_for_id=lambda k, i: keys.get((k, i)))
        return lambda kind_name, obj: manifest_fields(kind_name, obj, ctx, schema)
    by_kind: dict[str, dict[Any, str]] = {}
    for (kind_name, object_id), key in keys.items():
        by_kind.setdefault(kind_name, {})[object_id] = key
    converter = Converter(schema, by_kind)
    return lambda kind_name, obj: _plain(converter.fields(kinds.kind(kind_name), obj))


def manifest_fields(kind_name: str, obj: dict, ctx: Context, schema: AccountSchema) -> dict[str, Any]:
    """A live object in manifest language (code before field types were objects): every field it has a value for."""
    from reconciler.normalize import custom_from_api, from_api

    spec = kinds.kind(kind_name)
    out: dict[str, Any] = {}
    for fs in spec.fields:
        if fs.type == kinds.CUSTOM:
            custom: dict[str, Any] = {}
            for hash_key, value in sorted((obj.get("custom_fields") or {}).items()):
                definition = schema.custom_by_key.get(kind_name, {}).get(hash_key)
                if definition is None or value is None:
                    continue
                custom[definition.name] = custom_from_api(definition, value)
            if custom:
                out["fields"] = custom
            continue
        value = from_api(fs, obj.get(fs.api), ctx)
        if value is None or value == []:
            continue
        out[fs.name] = value
    return out


def write_manifests(
    directory: Path,
    client: PipedriveClient,
    live: dict[str, dict[int, dict]],
    managed: dict[str, list[int]],
    *,
    with_lock: bool,
    edit: Callable[[dict[str, dict[str, dict]]], None] | None = None,
) -> ManifestSet:
    """One YAML file per kind whose resources match the live objects; a complete lock if asked.

    `edit(sections)` may change the resources (kind -> key -> fields) before they are written:
    the lock still records every managed object, so a removed key is planned for deletion.
    """
    directory.mkdir(parents=True, exist_ok=True)
    schema = AccountSchema.load(client, set(managed))
    me = client.me()
    keys = {(k, i): key_of(k, i) for k, ids in managed.items() for i in ids}
    to_manifest = manifest_converter(schema, keys)
    sections = {
        kind_name: {key_of(kind_name, i): to_manifest(kind_name, live[kind_name][i]) for i in managed[kind_name]}
        for kind_name in READ_KINDS if managed.get(kind_name)
    }
    if edit is not None:
        edit(sections)
    total = 0
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    for kind_name, section in sections.items():
        text = yaml.dump({kinds.kind(kind_name).section: section}, Dumper=dumper, sort_keys=False,
                         allow_unicode=True, width=1000)
        (directory / f"{kinds.kind(kind_name).section}.yaml").write_text(text, encoding="utf-8")
        total += len(section)
    company = {"company_id": me.get("company_id"), "company_name": me.get("company_name")}
    if with_lock:
        lock = LockFile(path=directory / "reconciler.lock", account=company)
        for kind_name, ids in managed.items():
            lock.resources[kind_name] = {key_of(kind_name, i): i for i in ids}
        lock.save()
    positions = {}
    for kind_name, ids in managed.items():
        order = {object_id: rank for rank, object_id in enumerate(sorted(live[kind_name]), start=1)}
        positions[kind_name] = sorted(order[i] for i in ids)
    parents = {}
    for kind_name, ids in managed.items():
        spec = kinds.kind(kind_name)
        if spec.parents:
            apis = [spec.field(p).api for p in spec.parents]
            parents[kind_name] = len({next(((a, live[kind_name][i][a]) for a in apis if live[kind_name][i].get(a)),
                                           None) for i in ids})
    return ManifestSet(directory, {k: list(v) for k, v in managed.items()},
                       {k: len(v) for k, v in live.items()}, positions, company, total, parents)


def generate_managed_set(
    db: Path,
    directory: Path,
    counts: dict[str, int],
    *,
    with_lock: bool,
    seed_value: int = 7,
    unique_only: bool = True,
    edit: Callable[[dict[str, dict[str, dict]]], None] | None = None,
) -> ManifestSet:
    """Read the sandbox account through the API and write manifests managing `counts` of it."""
    started = time.perf_counter()
    with open_client(sandbox_settings(db)) as client:
        AccountSchema.load(client, set(READ_KINDS))  # loads custom field types for the canonical shape
        live = read_everything(client)
        managed = select_managed(live, counts, seed_value, unique_only=unique_only)
        result = write_manifests(directory, client, live, managed, with_lock=with_lock, edit=edit)
    log(f"wrote {result.resources} resources to {directory} ({'with' if with_lock else 'without'} lock) "
        f"in {time.perf_counter() - started:.1f} s")
    return result


def pages(n: int, size: int) -> int:
    return math.ceil(n / size) if n > 0 else 0


def env_with_root() -> dict[str, str]:
    """The environment for subprocesses: the measured code (CODE) importable, output unbuffered.

    PYTHONSAFEPATH keeps `python -m reconciler` from importing the package in the current
    directory instead of CODE; bench/ is on the path for the benches' own child processes.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(CODE), str(HERE)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONSAFEPATH"] = "1"
    env["RECONCILER_BENCH_CODE"] = str(CODE)
    return env


# -- measuring ----------------------------------------------------------------------------

SERVE_KEY = "bench-serve-key"
RUNS = 3  # the machine is shared: every figure with a target is the best and the median of RUNS


@dataclass
class Measured:
    """One child process: wall time, CPU (user + sys) and peak RSS from wait4, its output."""

    wall: float
    cpu: float
    rss_mb: float
    rc: int
    stdout: str
    stderr: str


def measure(argv: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> Measured:
    """Run argv to completion; the figures are the child's own (os.wait4), not this process's."""
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(list(argv), stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                env=env or env_with_root(), cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        return Measured(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
                        os.waitstatus_to_exitcode(status), out.read().decode(errors="replace"),
                        err.read().decode(errors="replace"))


def reconciler_argv(*args: str) -> list[str]:
    """`python -m reconciler ARGS` with this interpreter (CODE comes from env_with_root)."""
    return [sys.executable, "-m", "reconciler", *args]


def best_median(values: Sequence[float]) -> tuple[float, float]:
    """The best (lowest) and the median of repeated measurements."""
    import statistics

    return min(values), statistics.median(values)


def runs_text(values: Sequence[float], unit: str = "s", digits: int = 2) -> str:
    """'best 1.23 s, median 1.30 s (runs 1.23, 1.30, 1.41)'."""
    best, median = best_median(values)
    runs = ", ".join(f"{v:.{digits}f}" for v in values)
    return f"best {best:.{digits}f} {unit}, median {median:.{digits}f} {unit} (runs {runs})"


class Serve:
    """`reconciler sandbox serve --port 0` as a child process (the code measured), stopped by `stop`."""

    def __init__(self, db: Path, rate: float | None = None, key: str = SERVE_KEY) -> None:
        import re

        argv = reconciler_argv("sandbox", "serve", "--port", "0", "--db", str(db), "--api-key", key)
        if rate is not None:
            argv += ["--rate-limit", str(rate)]
        self.key = key
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                     text=True, env=env_with_root())
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        found = re.search(r"http://127\.0\.0\.1:\d+", line)
        if not found:
            self.proc.kill()
            raise SystemExit(f"sandbox serve did not start: {line!r} {self.proc.stderr.read() if self.proc.stderr else ''}")
        self.url = found.group(0)
        self.endpoint = self.url + "/pipedrive"

    def env(self) -> dict[str, str]:
        """The environment of a reconciler command talking to this server."""
        env = {k: v for k, v in env_with_root().items() if not k.startswith(("MATON_", "RECONCILER_ENDPOINT"))}
        env["MATON_API_KEY"] = self.key
        env["NO_COLOR"] = "1"
        return env

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> Serve:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
