"""Shared fixtures and helpers for the plan, apply and robustness suites.

Three ways to reach a sandbox, each for what it is best at:

- ``InProcess``: a :class:`SandboxGateway` behind :class:`SandboxTransport`, driven through
  the very client, planner and applier the commands use (``reconciler.session``). No
  socket, no subprocess: fast enough for hypothesis.
- ``http_sandbox``: a real HTTP server on loopback in this process (``start_server``), for
  running the CLI in-process (click's CliRunner) against ``--endpoint`` and reading the
  gateway's stats afterwards.
- ``sandbox_process``: ``reconciler sandbox serve --port 0`` as a subprocess with faults
  and a rate limit, the way users and CI run it; the CLI is then run as a subprocess too
  (``run_cli``/``start_cli``), so it can be killed with SIGKILL.

``KEY`` is distinctive so that a leak anywhere is found by a plain substring search.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
KEY = "rk-canary-5f1e0c7a9b3d-LEAK"
PLAN_SCHEMA = json.loads((ROOT / "schemas" / "plan.schema.json").read_text(encoding="utf-8"))

# The sandbox company's vocabulary (docs/sandbox-company.md).
USERS = ("alice@example.com", "bob@example.com", "carol@example.com")
PIPELINES = {
    "Sales": ("Lead In", "Qualified", "Contact Made", "Proposal Made", "Negotiation"),
    "Partners": ("Prospect", "Onboarding", "Active"),
}
ACTIVITY_TYPES = ("call", "meeting", "task", "deadline", "email", "lunch")
INDUSTRIES = ("Manufacturing", "Software", "Retail", "Healthcare", "Finance", "Logistics")
LEAD_SOURCES = ("Referral", "Website", "Cold call", "Event", "Partner")
INTERESTS = ("Product updates", "Events", "Newsletter", "Beta program")
VISIBILITY = ("owner", "company", "owner_group", "company_group")
SECTIONS = ("organizations", "persons", "deals", "notes", "activities")
KIND_OF = {"organizations": "organization", "persons": "person", "deals": "deal", "notes": "note",
           "activities": "activity"}


# -- plan JSON -------------------------------------------------------------------------


def check_plan_json(data: dict) -> dict:
    """Every plan JSON the tests see must validate against schemas/plan.schema.json."""
    from jsonschema import Draft202012Validator

    errors = sorted(Draft202012Validator(PLAN_SCHEMA).iter_errors(data), key=lambda e: list(e.path))
    assert not errors, "plan JSON does not match schemas/plan.schema.json:\n" + "\n".join(
        f"  {list(e.path)}: {e.message}" for e in errors[:10]
    )
    return data


# -- the repository's own files ---------------------------------------------------------

# What running the tool leaves beside manifests: the lock and its journal and project lock,
# environment locks, the embedded sandbox's database. README command 1 leaves some of them
# in examples/; no test may see them (issue 18).
RUN_ARTIFACTS = ("reconciler.lock", "reconciler.*.lock", "*.lock.journal", "*.lck", ".reconciler", "*.db",
                 "*.db-*", "__pycache__")


def copy_examples(dest: Path, part: str = "", *, root: Path = ROOT) -> Path:
    """A private copy of examples/ (or of `part` of it) in `dest`, as the repository holds it.

    Tests never read examples/ in place: the README's first command applies it, leaving a
    lock and a sandbox database there, and a test that read them would depend on what the
    user ran before. The copy leaves those out and is the test's own to change. `root` is
    the checkout to copy from (a test of this function uses another one).
    """
    shutil.copytree(root / "examples" / part, dest, ignore=shutil.ignore_patterns(*RUN_ARTIFACTS))
    return dest


def example_texts(part: str = "") -> dict[str, str]:
    """The manifests of examples/`part` by file name, read from a private copy (see copy_examples).

    A new dict on every call (the caller may change it), from texts read once.
    """
    return dict(_example_texts(part))


@functools.cache
def _example_texts(part: str) -> tuple[tuple[str, str], ...]:
    with tempfile.TemporaryDirectory() as tmp:
        copy = copy_examples(Path(tmp) / "examples", part)
        return tuple((p.name, p.read_text(encoding="utf-8")) for p in sorted(copy.glob("*.yaml")))


# -- manifests -------------------------------------------------------------------------


def write_manifests(directory: Path, data: dict[str, dict], *, split: bool = True) -> Path:
    """Write manifest sections as YAML: one file per section (split) or one file."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.yaml"):
        old.unlink()
    if split:
        for index, section in enumerate(SECTIONS):
            if data.get(section):
                text = yaml.safe_dump({section: data[section]}, sort_keys=False, allow_unicode=True)
                (directory / f"{index}-{section}.yaml").write_text(text, encoding="utf-8")
    else:
        body = {s: data[s] for s in SECTIONS if data.get(s)}
        (directory / "all.yaml").write_text(yaml.safe_dump(body, sort_keys=False, allow_unicode=True),
                                            encoding="utf-8")
    if not any(directory.glob("*.yaml")):
        (directory / "empty.yaml").write_text("{}\n", encoding="utf-8")  # a project that declares nothing
    return directory


def company_manifests(orgs: int = 6, prefix: str = "t") -> dict[str, dict]:
    """A realistic manifest set: per organization 2 persons, 2 deals, 3 notes, 2 activities (10 each).

    Every resource has a distinct natural key (name, email, title, content, subject), so
    live objects can be counted per resource by that key.
    """
    data: dict[str, dict] = {s: {} for s in SECTIONS}
    for i in range(orgs):
        org = f"{prefix}-org-{i}"
        data["organizations"][org] = {
            "name": f"{prefix.upper()} Org {i} Holdings",
            "address": f"{i} Main St, Springfield",
            "owner": USERS[i % 3],
            "visible_to": VISIBILITY[i % 4],
            "fields": {"Industry": INDUSTRIES[i % len(INDUSTRIES)]},
        }
        for j in range(2):
            person = f"{org}-p{j}"
            data["persons"][person] = {
                "name": f"Person {i}-{j} {prefix}",
                "org": org,
                "emails": [f"p{i}.{j}@{prefix}-org{i}.example.com"],
                "phones": [f"+1 555 {i:02d}{j:02d}"],
                "owner": USERS[(i + j) % 3],
                "fields": {"Interests": list(INTERESTS[: j + 1])},
            }
            deal = f"{org}-d{j}"
            pipeline = "Sales" if j == 0 else "Partners"
            data["deals"][deal] = {
                "title": f"{prefix.upper()} deal {i}-{j}",
                "value": 1000 * (i + 1) + j,
                "currency": "USD" if j == 0 else "EUR",
                "org": org,
                "person": person,
                "pipeline": pipeline,
                "stage": PIPELINES[pipeline][i % len(PIPELINES[pipeline])],
                "status": "open",
                "expected_close_date": f"2027-0{1 + i % 9}-1{j}",
                "owner": USERS[i % 3],
                "fields": {"Lead source": LEAD_SOURCES[i % len(LEAD_SOURCES)], "Contract value": 500 * i},
            }
            data["notes"][f"{deal}-note"] = {"deal": deal, "content": f"Note on {prefix} deal {i}-{j}: a & b.",
                                             "pinned": j == 0}
            data["activities"][f"{deal}-call"] = {
                "subject": f"Call {prefix} {i}-{j}",
                "type": ACTIVITY_TYPES[(i + j) % len(ACTIVITY_TYPES)],
                "due_date": f"2026-1{j}-0{1 + i % 9}",
                "due_time": "14:00",
                "duration": "00:30",
                "deal": deal,
                "person": person,
                "done": False,
            }
        data["notes"][f"{org}-profile"] = {"org": org, "content": f"Profile of {prefix} org {i}.\nSecond line."}
    return data


def count_resources(data: dict[str, dict]) -> int:
    return sum(len(data.get(s) or {}) for s in SECTIONS)


# -- running the CLI -------------------------------------------------------------------


@dataclass
class Result:
    """One CLI run: exit code and both streams."""

    code: int
    out: str
    err: str

    @property
    def both(self) -> str:
        return self.out + self.err


def cli_env(key: str | None = KEY, **extra: str) -> dict[str, str]:
    """A clean environment: no MATON_/RECONCILER_ from the caller, no colour, a fast client rate."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MATON_", "RECONCILER_")) and k not in ("NO_COLOR", "PYTHONWARNINGS")}
    env.update({"NO_COLOR": "1", "COLUMNS": "200", "RECONCILER_RATE_LIMIT": "200"})
    if key is not None:
        env["MATON_API_KEY"] = key
    env.update(extra)
    return env


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 180, stdin: Any = subprocess.DEVNULL) -> Result:
    """`python -m reconciler ARGS` as a user runs it."""
    proc = subprocess.run([sys.executable, "-m", "reconciler", *args], cwd=cwd, env=env or cli_env(),
                          capture_output=True, text=True, timeout=timeout, stdin=stdin)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def start_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.Popen:
    """The CLI as a background process (to be killed, or to race another one)."""
    return subprocess.Popen([sys.executable, "-m", "reconciler", *args], cwd=cwd, env=env or cli_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)


def run_pty(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            answers: dict[bytes, bytes] | None = None, timeout: float = 120) -> tuple[int, bytes]:
    """`python -m reconciler ARGS` on a pseudo-terminal, as a person at a terminal runs it.

    stdin, stdout and stderr are all the terminal, so rich and click see a TTY. When the
    output ends with a key of `answers`, that answer is typed. Returns every byte the
    program wrote (both streams, as the terminal shows them, escapes included) with the exit code.
    """
    import pty
    import select

    answers = dict(answers or {})
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", *args], cwd=cwd, env=env or cli_env(),
                            stdin=slave, stdout=slave, stderr=slave, close_fds=True, start_new_session=True)
    os.close(slave)
    output = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the program ended and closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
                for prompt in list(answers):
                    if output.rstrip().endswith(prompt):
                        os.write(master, answers.pop(prompt))
            elif proc.poll() is not None:
                break
        else:
            proc.kill()
            raise AssertionError(f"reconciler {' '.join(args)} did not finish on the terminal:\n{output!r}")
    finally:
        os.close(master)
        proc.wait(timeout=30)
    return proc.returncode, output


def invoke(args: list[str], env: dict[str, str] | None = None, input_text: str | None = None) -> Result:
    """The CLI in this process (click's CliRunner): fast, and the sandbox's stats stay readable."""
    from click.testing import CliRunner

    from reconciler.cli import cli

    runner = CliRunner()
    base = {"MATON_API_KEY": None, "MATON_CONNECTION": None, "RECONCILER_ENDPOINT": None,
            "RECONCILER_CONTROL_ENDPOINT": None, "RECONCILER_TIMEOUT": None, "RECONCILER_API_VERSION": None,
            "RECONCILER_SANDBOX_DEPRECATED_V1": None,
            "RECONCILER_RATE_LIMIT": "100000", "NO_COLOR": "1", "COLUMNS": "200"}
    base.update(env or {})
    result = runner.invoke(cli, args, env=base, input=input_text, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        tb = "".join(traceback.format_exception(result.exception))
        raise AssertionError(f"reconciler {' '.join(args)} raised instead of reporting:\n{tb}")
    return Result(result.exit_code, result.stdout, result.stderr)


# -- sandboxes -------------------------------------------------------------------------


class SandboxApi:
    """Direct access to a served sandbox: raw calls with the key, listing, stats."""

    def __init__(self, url: str, key: str = KEY) -> None:
        self.url = url.rstrip("/")
        self.endpoint = self.url + "/pipedrive"
        self.key = key
        self.http = httpx.Client(base_url=self.endpoint, headers={"Authorization": f"Bearer {key}"}, timeout=30)

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, path, **kwargs)
        assert response.status_code < 400, f"{method} {path}: {response.status_code} {response.text}"
        return response.json().get("data")

    def list_all(self, kind: str) -> list[dict]:
        """Every live object of a kind (v2 cursors; notes are v1)."""
        section = {"organization": "organizations", "person": "persons", "deal": "deals", "note": "notes",
                   "activity": "activities"}[kind]
        out: list[dict] = []
        if kind == "note":
            start = 0
            while True:
                body = self._get("/api/v1/notes", {"start": start, "limit": 500})
                out.extend(body.get("data") or [])
                pagination = (body.get("additional_data") or {}).get("pagination") or {}
                if not pagination.get("more_items_in_collection"):
                    return out
                start = pagination["next_start"]
        cursor = None
        while True:
            params = {"limit": 500, **({"cursor": cursor} if cursor else {})}
            body = self._get(f"/api/v2/{section}", params)
            out.extend(o for o in body.get("data") or [] if o.get("status") != "deleted")
            cursor = (body.get("additional_data") or {}).get("next_cursor")
            if not cursor:
                return out

    def _get(self, path: str, params: dict) -> dict:
        """One page, waiting out the server's rate limit (a census right after an apply meets it):
        a 429 read as an empty page would count every object as missing."""
        for _ in range(60):
            response = self.http.get(path, params=params)
            if response.status_code != 429:
                assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
                return response.json()
            time.sleep(float(response.headers.get("retry-after") or 1))
        raise AssertionError(f"GET {path}: still rate limited after a minute")

    def stats(self) -> dict:
        return httpx.get(self.url + "/_sandbox/stats", timeout=10).json()

    def reset_stats(self) -> None:
        httpx.post(self.url + "/_sandbox/reset-stats", timeout=10)


NATURAL = {
    "organization": lambda o: o.get("name"),
    "person": lambda o: next((e["value"] for e in o.get("emails") or [] if e.get("primary")), None),
    "deal": lambda o: o.get("title"),
    "note": lambda o: o.get("content"),
    "activity": lambda o: o.get("subject"),
}
DECLARED = {
    "organization": lambda r: r["name"],
    "person": lambda r: r["emails"][0],
    "deal": lambda r: r["title"],
    "note": lambda r: r["content"],
    "activity": lambda r: r["subject"],
}


def live_census(api: SandboxApi, data: dict[str, dict]) -> dict[str, Any]:
    """Per kind: how many live objects each declared resource has, and live objects no resource declares.

    Notes are compared after Pipedrive's HTML normalisation (text_key).
    """
    from reconciler.normalize import text_key

    report: dict[str, Any] = {"duplicates": [], "missing": [], "extra": []}
    for section in SECTIONS:
        kind = KIND_OF[section]
        norm = (lambda v: text_key(v)) if kind == "note" else (lambda v: v)
        live = Counter(norm(NATURAL[kind](o)) for o in api.list_all(kind))
        declared = {norm(DECLARED[kind](r)): key for key, r in (data.get(section) or {}).items()
                    if not r.get("absent")}
        for value, key in declared.items():
            n = live.get(value, 0)
            if n == 0:
                report["missing"].append(f"{kind}.{key}")
            elif n > 1:
                report["duplicates"].append(f"{kind}.{key} x{n}")
        report["extra"].extend(f"{kind}: {v!r}" for v in live if v not in declared)
    return report


class ServeProcess:
    """`reconciler sandbox serve --port 0` in a subprocess; the URL is read from its first line."""

    def __init__(self, db: Path, *, faults: tuple[str, ...] = (), fault_seed: int = 0,
                 rate_limit: float | None = None, key: str = KEY, timeout_hold: float = 30,
                 extra: tuple[str, ...] = (), env_key: str | None = KEY) -> None:
        args = [sys.executable, "-m", "reconciler", "sandbox", "serve", "--port", "0", "--db", str(db),
                "--fault-seed", str(fault_seed), "--timeout-hold", str(timeout_hold), *extra]
        for fault in faults:
            args += ["--fault", fault]
        if rate_limit is not None:
            args += ["--rate-limit", str(rate_limit)]
        self.proc = subprocess.Popen(args, env=cli_env(env_key), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, text=True)
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()
        if "listening on " not in first:
            self.proc.kill()
            raise RuntimeError(f"sandbox serve did not start: {first!r} {self.proc.stderr.read() if self.proc.stderr else ''}")
        self.output = first
        while True:  # the whole banner, so that nothing stays in this side's read buffer
            line = self.proc.stdout.readline()
            self.output += line
            if not line or line.startswith("Press Ctrl-C"):
                break
        self.url = first.split("listening on ", 1)[1].strip()
        self.endpoint = self.url + "/pipedrive"
        self.api = SandboxApi(self.url, key)

    def stop(self) -> str:
        """SIGTERM, then the rest of its output (for leak checks)."""
        self.api.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            out, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        self.output += out + err
        return self.output


@pytest.fixture
def sandbox_process(tmp_path: Path) -> Iterator[Any]:
    """Factory: start `sandbox serve` subprocesses (faults, rate limit); all stopped at teardown."""
    started: list[ServeProcess] = []

    def start(name: str = "sandbox", **kwargs: Any) -> ServeProcess:
        server = ServeProcess(tmp_path / f"{name}.db", **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@dataclass
class HttpSandbox:
    """A served sandbox in this process: the gateway (stats, store) and the direct API."""

    url: str
    endpoint: str
    gateway: Any
    api: SandboxApi


@pytest.fixture
def http_sandbox(tmp_path: Path) -> Iterator[HttpSandbox]:
    from reconciler.sandbox.gateway import SandboxGateway
    from reconciler.sandbox.server import start_server

    gateway = SandboxGateway(str(tmp_path / "served.db"), api_key=KEY)
    server = start_server(gateway, timeout_hold=5)
    api = SandboxApi(server.url)
    try:
        yield HttpSandbox(server.url, server.url + "/pipedrive", gateway, api)
    finally:
        api.close()
        server.stop()
        gateway.close()


class InProcess:
    """The commands' pipeline over an in-process sandbox: `plan` is what `apply` plans
    (session.plan_run), `apply` is the operation `apply --auto-approve` runs
    (reconciler.operations.apply_manifests)."""

    def __init__(self, db: str | None = None, *, serve_deprecated_v1: bool | None = None) -> None:
        from reconciler.sandbox.gateway import SandboxGateway
        from reconciler.sandbox.transport import SandboxTransport

        self.gateway = SandboxGateway(db, api_key="sandbox", serve_deprecated_v1=serve_deprecated_v1)
        self.transport = SandboxTransport(self.gateway)
        self.raw = httpx.Client(transport=self.transport, base_url="http://sandbox.local/pipedrive",
                                headers={"Authorization": "Bearer sandbox"})

    def close(self) -> None:
        self.raw.close()
        self.gateway.close()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.raw.request(method, path, **kwargs)
        assert response.status_code < 400, f"{method} {path}: {response.status_code} {response.text}"
        return response.json().get("data")

    @contextlib.contextmanager
    def client(self) -> Iterator[Any]:
        from reconciler.pipedrive.client import PipedriveClient
        from reconciler.pipedrive.http import HttpClient
        from reconciler.session import SANDBOX_ENDPOINT

        http = HttpClient(SANDBOX_ENDPOINT, api_key="sandbox", rate_limit=1e6, transport=self.transport)
        try:
            yield PipedriveClient(http)
        finally:
            http.close()

    def plan(self, path: Path, targets: list[str] | None = None) -> Any:
        from reconciler.config import Settings
        from reconciler.session import plan_run

        with self.client() as client:
            run = plan_run(client, Settings(), [str(path)], targets=targets)
        check_plan_json(json.loads(json.dumps(run.plan.to_json(), default=str)))
        return run

    def apply(self, path: Path, settings: Any = None) -> tuple[Any, Any]:
        """`apply --auto-approve PATH`: the same operation the command runs (project lock, plan,
        checks before the first write, the account's lease, re-plan, writes through the client
        bound to the account's vocabulary); every plan it applies is checked against the plan
        schema. Returns (the plan applied, the result)."""
        from reconciler.config import Settings
        from reconciler.operations import ApplyUI, apply_manifests

        class SchemaChecked(ApplyUI):
            def planned(self, run: Any, *, again: bool) -> None:
                check_plan_json(json.loads(json.dumps(run.plan.to_json(), default=str)))

        with self.client() as client:
            done = apply_manifests(client, settings or Settings(), [str(path)], ui=SchemaChecked())
        return done.run.plan, done.result


@pytest.fixture
def in_process() -> Iterator[InProcess]:
    sandbox = InProcess()
    yield sandbox
    sandbox.close()


def wait_for(predicate, timeout: float = 10.0, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto`: two workers per core, because most of the suite's wall time is waiting (rate-limited
    sandboxes, lease TTLs, subprocesses), not CPU: on 2 cores, tests/apply and tests/state took 299 s
    with 4 workers against 422 s with 2. PYTEST_XDIST_AUTO_NUM_WORKERS still decides when set."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return 2 * cores
