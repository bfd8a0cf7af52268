"""`reconciler connections` and `reconciler whoami` over the HTTP sandbox: outputs, errors, no key leaks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

from tests.accounts.conftest import KEY, ROOT, Cli

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def default_id(cli: Cli) -> str:
    conn = cli.server.gateway.default_connection()
    assert conn is not None
    return conn["connection_id"]


def create(cli: Cli) -> str:
    result = cli("connections", "create", "--format", "json")
    assert result.code == 0, result.err
    return json.loads(result.out)["connection"]["connection_id"]


def one_error_line(result) -> str:
    """The run failed with exit 1 and exactly one line on stderr, an `error:` line; return it."""
    assert result.code == 1, result.both
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, result.err
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


# -- list / create / show / delete ---------------------------------------------------------


def test_list_text_marks_the_default(cli: Cli) -> None:
    result = cli("connections", "list")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split() == ["CONNECTION", "APP", "STATUS", "CREATED"]
    assert len(lines) == 2
    assert lines[1].startswith(default_id(cli))
    assert lines[1].split()[1:3] == ["pipedrive", "ACTIVE"]
    assert lines[1].endswith("default")


def test_list_json(cli: Cli) -> None:
    second = create(cli)
    result = cli("connections", "list", "--format", "json")
    assert result.code == 0, result.err
    found = json.loads(result.out)["connections"]
    assert [c["connection_id"] for c in found] == [default_id(cli), second]
    assert [c["default"] for c in found] == [True, False]
    assert {c["app"] for c in found} == {"pipedrive"}
    assert {c["status"] for c in found} == {"ACTIVE"}


def test_create_text_prints_the_oauth_url(cli: Cli) -> None:
    result = cli("connections", "create")
    assert result.code == 0, result.err
    match = re.search(rf"Created connection ({UUID}) \(pipedrive, ACTIVE\)\.", result.out)
    assert match, result.out
    new_id = match.group(1)
    assert "Open this URL in a browser" in result.out
    assert f"/_sandbox/connect/{new_id}" in result.out
    # the new connection is not the default: the oldest active one stays it
    listed = cli("connections", "list").out
    assert new_id in listed
    assert [line for line in listed.splitlines() if line.endswith("default")][0].startswith(default_id(cli))


def test_create_json(cli: Cli) -> None:
    result = cli("connections", "create", "--format", "json")
    assert result.code == 0, result.err
    conn = json.loads(result.out)["connection"]
    assert re.fullmatch(UUID, conn["connection_id"])
    assert conn["app"] == "pipedrive"
    assert conn["default"] is False
    assert conn["url"].endswith("/_sandbox/connect/" + conn["connection_id"])


def test_show_text_and_json(cli: Cli) -> None:
    ident = default_id(cli)
    text = cli("connections", "show", ident)
    assert text.code == 0, text.err
    fields = dict(line.split(":", 1) for line in text.out.splitlines())
    assert fields["Connection"].strip() == ident
    assert fields["App"].strip() == "pipedrive"
    assert fields["Status"].strip() == "ACTIVE"
    assert fields["Default"].strip().startswith("yes")
    as_json = cli("connections", "show", ident, "--format", "json")
    assert as_json.code == 0, as_json.err
    conn = json.loads(as_json.out)["connection"]
    assert conn["connection_id"] == ident and conn["default"] is True


def test_delete_with_yes(cli: Cli) -> None:
    second = create(cli)
    result = cli("connections", "delete", second, "--yes")
    assert result.code == 0, result.err
    assert result.out.strip() == f"Deleted connection {second}."
    assert f"Commands without --connection now use {default_id(cli)}" in result.err
    assert second not in cli("connections", "list").out
    line = one_error_line(cli("connections", "show", second))
    assert "does not exist or was deleted" in line


def test_delete_json(cli: Cli) -> None:
    second = create(cli)
    result = cli("connections", "delete", second, "--yes", "--format", "json")
    assert result.code == 0, result.err
    body = json.loads(result.out)
    assert body["deleted"] == second
    assert body["default"] == default_id(cli)


def test_delete_refuses_without_terminal_or_yes(cli: Cli) -> None:
    second = create(cli)
    line = one_error_line(cli("connections", "delete", second))
    assert "needs confirmation" in line and "--yes" in line
    assert second in cli("connections", "list").out


def _on_terminal(cli: Cli, args: list[str], answer: str) -> tuple[int, str]:
    """Run the CLI with a pseudo-terminal as stdin, type `answer`, return (exit code, all output)."""
    master, slave = os.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MATON_", "RECONCILER_"))}
    env.update({"MATON_API_KEY": KEY, "NO_COLOR": "1"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args, "--endpoint", cli.endpoint],
        stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cli.cwd,
    )
    os.close(slave)
    threading.Timer(1.0, lambda: os.write(master, answer.encode() + b"\n")).start()
    out, err = proc.communicate(timeout=60)
    os.close(master)
    cli.outputs.append(out + err)
    return proc.returncode, out + err


def test_delete_on_a_terminal_asks_and_names_the_account(cli: Cli) -> None:
    second = create(cli)
    company = json.loads(cli("whoami", "--connection", second, "--format", "json").out)["company_id"]
    code, text = _on_terminal(cli, ["connections", "delete", second], "no")
    assert code == 1
    assert f"(company {company})" in text and "delete cancelled" in text
    assert second in cli("connections", "list").out
    code, text = _on_terminal(cli, ["connections", "delete", second], "yes")
    assert code == 0, text
    assert f"Deleted connection {second}." in text
    assert second not in cli("connections", "list").out


# -- whoami ----------------------------------------------------------------------------------


def test_whoami_default_and_second_connection(cli: Cli) -> None:
    second = create(cli)
    first = cli("whoami")
    assert first.code == 0, first.err
    lines = first.out.splitlines()
    assert re.fullmatch(r"Account: .+ \(company \d+\) as .+ <.+@.+>, connection " + default_id(cli), lines[0])
    assert lines[1].startswith(f"Connection: {default_id(cli)} (pipedrive, ACTIVE), the gateway's default")
    assert lines[2] == f"Endpoint: {cli.endpoint}"

    other = cli("whoami", "--connection", second)
    assert other.code == 0, other.err
    assert f"connection {second}" in other.out.splitlines()[0]
    assert "chosen with --connection" in other.out

    a = json.loads(cli("whoami", "--format", "json").out)
    b = json.loads(cli("whoami", "--format", "json", "--connection", second).out)
    assert a["company_id"] != b["company_id"]
    assert a["connection"] == default_id(cli) and a["connection_source"] == "default"
    assert b["connection"] == second and b["connection_source"] == "explicit"
    for who in (a, b):
        assert who["app"] == "pipedrive" and who["connection_status"] == "ACTIVE"
        assert who["company_name"] and who["user"]["name"] and "@" in who["user"]["email"]
        assert who["control_endpoint"] == cli.server.url


def test_whoami_connection_from_the_environment(cli: Cli) -> None:
    second = create(cli)
    result = cli("whoami", "--format", "json", env={"MATON_CONNECTION": second})
    assert json.loads(result.out)["connection"] == second


def test_whoami_embedded_sandbox(tmp_path: Path) -> None:
    """--sandbox: the control API is served in-process by the same gateway; no key, no network."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MATON_", "RECONCILER_"))}
    db = str(tmp_path / "embedded.db")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "reconciler", *args, "--sandbox", db],
                              capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)

    created = run("connections", "create", "--format", "json")
    assert created.returncode == 0, created.stderr
    second = json.loads(created.stdout)["connection"]["connection_id"]
    listed = json.loads(run("connections", "list", "--format", "json").stdout)["connections"]
    assert [c["connection_id"] for c in listed][1] == second
    me = run("whoami", "--format", "json")
    assert me.returncode == 0, me.stderr
    who = json.loads(me.stdout)
    assert who["sandbox"] is True and who["connection"] == listed[0]["connection_id"]


# -- errors: one actionable line each, exit 1 --------------------------------------------------


def test_unknown_connection_id(cli: Cli) -> None:
    line = one_error_line(cli("whoami", "--connection", "no-such-connection"))
    assert "no connection 'no-such-connection' for this key" in line
    assert "reconciler connections list" in line
    for command in (["connections", "show", "no-such-connection"],
                    ["connections", "delete", "no-such-connection", "--yes"]):
        assert "no connection 'no-such-connection'" in one_error_line(cli(*command))


def test_deleted_connection(cli: Cli) -> None:
    second = create(cli)
    assert cli("connections", "delete", second, "--yes").code == 0
    line = one_error_line(cli("whoami", "--connection", second))
    assert f"no connection '{second}' for this key: it does not exist or was deleted" in line


def test_key_with_no_connection_at_all(cli: Cli) -> None:
    assert cli("connections", "delete", default_id(cli), "--yes").code == 0
    listed = cli("connections", "list")
    assert listed.code == 0 and "No pipedrive connections for this key" in listed.out
    line = one_error_line(cli("whoami"))
    assert "this key has no active pipedrive connection" in line
    assert "reconciler connections create" in line


def test_wrong_key(cli: Cli) -> None:
    wrong = "wrong-key-4be1d02c"
    for command in (["whoami"], ["connections", "list"], ["connections", "create"],
                    ["whoami", "--debug"]):
        result = cli(*command, key=wrong)
        assert result.code == 1, result.both
        assert "refused the API key (401)" in result.err
        assert wrong not in result.both
    assert "check MATON_API_KEY" in one_error_line(cli("connections", "list", key=wrong))


def test_missing_key(cli: Cli) -> None:
    line = one_error_line(cli("connections", "list", key=""))
    assert "MATON_API_KEY" in line


def test_control_endpoint_flag_is_used(cli: Cli) -> None:
    """--control-endpoint wins over the endpoint's origin: a wrong one fails, naming the flag."""
    result = cli("connections", "list", "--control-endpoint", cli.endpoint + "/nowhere")
    line = one_error_line(result)
    assert "--control-endpoint" in line


def test_debug_trace_never_shows_the_key(cli: Cli) -> None:
    result = cli("--debug", "whoami")
    assert result.code == 0, result.err
    assert "debug: GET /connections" in result.err
    assert "debug: GET /api/v1/users/me" in result.err
    assert KEY not in result.both


def test_help_lists_the_group() -> None:
    result = subprocess.run([sys.executable, "-m", "reconciler", "connections", "--help"],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0
    for name in ("list", "create", "show", "delete"):
        assert name in result.stdout
