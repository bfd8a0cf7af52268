"""The API key never leaks (CONTRACT §4, issue 8), and it only travels encrypted or on loopback.

With MATON_API_KEY set to a recognisable value, every command runs with --debug (the HTTP
trace and tracebacks) on success and failure paths against a served sandbox that knows
that key, and again with a wrong key (which must not leak either). The key must appear
in no stdout, stderr, plan file, lock file, exported file or exception text. The client
refuses plain http:// except on loopback, and keeps TLS verification on.
"""

from __future__ import annotations

import json
import ssl
import traceback
from pathlib import Path

import pytest

from reconciler.config import ConfigError, check_endpoint, resolve
from reconciler.pipedrive.errors import PipedriveError
from reconciler.pipedrive.http import HttpClient
from tests.conftest import KEY, ServeProcess, cli_env, copy_examples, run_cli, write_manifests

WRONG = "rk-wrong-key-0c9d8e7f6a5b-LEAK"


def _assert_clean(text: str, where: str) -> None:
    for secret in (KEY, WRONG):
        assert secret not in text, f"the key leaked in {where}"
        assert secret[4:20] not in text, f"part of the key leaked in {where}"


def _files_clean(*roots: Path) -> int:
    checked = 0
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not path.name.endswith(".db") and "-wal" not in path.name:
                _assert_clean(path.read_bytes().decode("utf-8", "replace"), str(path))
                checked += 1
    return checked


def test_no_command_leaks_the_key(tmp_path: Path, http_sandbox) -> None:
    project = tmp_path / "project"
    copy_examples(project)
    bad = write_manifests(tmp_path / "bad", {"deals": {"x": {"title": "Bad currency", "currency": "DOLLARS"}}})
    unknown_user = write_manifests(tmp_path / "unknown", {"deals": {"x": {"title": "T", "owner": "eve@example.com"}}})
    invalid = tmp_path / "invalid"
    invalid.mkdir()
    (invalid / "m.yaml").write_text("deals:\n  Bad Key: {title: 1}\n")
    endpoint = ["--endpoint", http_sandbox.endpoint]
    connection = http_sandbox.gateway.default_connection()["connection_id"]
    plan_file = tmp_path / "saved" / "plan.json"
    export_dir = tmp_path / "exported"

    runs: list[tuple[list[str], int | None]] = [
        (["validate", str(project)], 0),
        (["validate", str(invalid)], 1),
        (["plan", str(project), *endpoint], 0),
        (["plan", str(project), "--format", "json", *endpoint], 0),
        (["plan", str(project), "--format", "markdown", "--out", str(plan_file), *endpoint], 0),
        (["plan", str(invalid), *endpoint], 1),
        (["plan", str(unknown_user), *endpoint], 1),
        (["apply", str(project), "--auto-approve", *endpoint], 0),
        (["apply", "--plan", str(plan_file), "--auto-approve", *endpoint], 1),  # stale: created since
        (["apply", str(bad), "--auto-approve", *endpoint], 1),
        (["apply", str(project), *endpoint], 0),  # nothing to confirm
        (["whoami", *endpoint], 0),
        (["whoami", "--format", "json", *endpoint], 0),
        (["whoami", "--connection", "no-such-connection", *endpoint], 1),
        (["connections", "list", *endpoint], 0),
        (["connections", "show", connection, "--format", "json", *endpoint], 0),
        (["connections", "show", "no-such-connection", *endpoint], 1),
        (["connections", "create", *endpoint], 0),
        (["export", "--out", str(export_dir), "--force", *endpoint], 0),
        (["export", "--out", str(project), *endpoint], 1),  # not empty
        (["plan", str(export_dir), "--detailed-exitcode", *endpoint], 0),
    ]
    env = cli_env(KEY)
    wrong_env = cli_env(WRONG)
    outputs = 0
    for index, (args, expected) in enumerate(runs):
        debug_args = ["--debug", *args] if index % 2 else [*args, "--debug"]  # global option, either place
        result = run_cli(*debug_args, env=env)
        if expected is not None:
            assert result.code == expected, f"{debug_args}: {result.out}\n{result.err}"
        _assert_clean(result.both, f"output of reconciler {' '.join(debug_args)}")
        outputs += 1
    assert "debug: GET /api/v1/users/me" in run_cli("--debug", "whoami", *endpoint, env=env).err, \
        "the HTTP trace is on, so the test looks where a leak would be"
    # a wrong key: every command that talks to the gateway fails with 401, and says so without the key
    for args in (["plan", str(project)], ["apply", str(project), "--auto-approve"], ["whoami"],
                 ["connections", "list"], ["export", "--out", str(tmp_path / "exported-2")]):
        result = run_cli("--debug", *args, *endpoint, env=wrong_env)
        assert result.code == 1, f"{args}: {result.both}"
        assert "401" in result.err or "refused the API key" in result.err, result.err
        _assert_clean(result.both, f"output of {args} with a wrong key")
        outputs += 1
    checked = _files_clean(tmp_path)
    assert (project / "reconciler.lock").exists() and plan_file.exists() and (export_dir / "reconciler.lock").exists()
    assert outputs > 20 and checked >= 8


def test_sandbox_serve_never_prints_its_key(tmp_path: Path) -> None:
    server = ServeProcess(tmp_path / "s.db")
    output = server.stop()
    assert "from MATON_API_KEY" in output
    _assert_clean(output, "sandbox serve output")
    served = ServeProcess(tmp_path / "t.db", extra=("--api-key", KEY, "--verbose"), env_key=None)
    result = run_cli("--debug", "whoami", "--endpoint", served.endpoint, env=cli_env(KEY))
    assert result.code == 0, result.err
    output = served.stop()
    assert "from --api-key" in output and "GET /pipedrive/api/v1/users/me" in output
    _assert_clean(output, "sandbox serve --api-key --verbose output")


def test_exceptions_and_reprs_do_not_hold_the_key(http_sandbox) -> None:
    client = HttpClient(http_sandbox.endpoint, api_key=WRONG, rate_limit=1000)
    with pytest.raises(PipedriveError) as caught:
        client.request("GET", "/api/v1/users/me")
    client.close()
    exc = caught.value
    text = "".join(traceback.format_exception(exc)) + repr(exc) + str(exc) + repr(vars(exc))
    _assert_clean(text, "the exception")
    _assert_clean(repr(client) + str(client), "the client's repr")
    settings = resolve(env={"MATON_API_KEY": KEY}, endpoint="https://gateway.maton.ai/pipedrive")
    _assert_clean(repr(settings) + str(settings) + f"{settings}", "the settings' repr")
    assert settings.api_key.reveal() == KEY


@pytest.mark.parametrize("url", [
    "http://gateway.maton.ai/pipedrive", "http://10.0.0.5:8765/pipedrive", "http://127.0.0.1.evil.example/pipedrive",
    "http://127.attacker.example/pipedrive", "http://localhost.evil.example/pipedrive", "ftp://127.0.0.1/x",
])
def test_plain_http_is_refused_except_on_loopback(url: str) -> None:
    with pytest.raises(ConfigError, match="not an http|unencrypted"):
        check_endpoint(url)


def test_the_commands_refuse_plain_http_before_sending_anything(tmp_path: Path) -> None:
    url = "http://127.0.0.1.evil.example/pipedrive"
    result = run_cli("whoami", "--endpoint", url, env=cli_env(KEY))
    assert result.code == 1 and "uses plain http:// to a non-loopback host" in result.err
    project = write_manifests(tmp_path / "p", {"organizations": {"o": {"name": "Org"}}})
    result = run_cli("plan", str(project), env=cli_env(KEY, RECONCILER_CONTROL_ENDPOINT="http://10.1.2.3"))
    assert result.code == 1 and "control endpoint" in result.err
    _assert_clean(result.both, "the refusal")


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765/pipedrive", "http://localhost:1/pipedrive",
                                 "http://[::1]:8765/pipedrive", "http://127.0.0.2/pipedrive",
                                 "https://gateway.maton.ai/pipedrive"])
def test_loopback_and_https_are_accepted(url: str) -> None:
    assert check_endpoint(url) == url


def test_tls_verification_stays_on() -> None:
    from reconciler.pipedrive.control import open_control

    client = HttpClient("https://gateway.maton.ai/pipedrive", api_key=KEY)
    try:
        context = client._http._transport._pool._ssl_context
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    finally:
        client.close()
    settings = resolve(env={"MATON_API_KEY": KEY, "SSL_CERT_FILE": "", "PYTHONHTTPSVERIFY": "0"})
    with open_control(settings) as control:
        context = control.http._http._transport._pool._ssl_context
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_plan_json_and_lock_hold_no_secret_fields(tmp_path: Path) -> None:
    project = write_manifests(tmp_path / "p", {"organizations": {"o": {"name": "Org"}}})
    result = run_cli("apply", str(project), "--auto-approve", "--sandbox", str(tmp_path / "s.db"), env=cli_env(KEY))
    assert result.code == 0, result.err
    lock = json.loads((project / "reconciler.lock").read_text())
    plan = run_cli("plan", str(project), "--format", "json", "--sandbox", str(tmp_path / "s.db"), env=cli_env(KEY))
    for document in (lock, json.loads(plan.out)):
        names = _all_keys(document)
        assert not {n for n in names if any(w in n.lower() for w in ("key", "token", "auth", "secret", "bearer"))
                    and n not in ("tokens", "recovery_keys")}, names


def _all_keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(map(str, value)) | set().union(*(_all_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_all_keys(v) for v in value)) if value else set()
    return set()
