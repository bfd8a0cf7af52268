"""One redactor for every message (issue 25, item 6 of the reproduction).

Before: a manifest symlinked to a `.env` file printed `got 'MATON_API_KEY=…'` with the key
in full, and a key echoed lowercased or as a 12-character prefix was not redacted. Now the
loader's messages, the HTTP layer's, and every line the CLI prints pass one redactor: the
key in any letter case, any prefix of it of 8 characters or more, and the value of a
`MATON_API_KEY=` line even when the key is not in this process's environment.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from reconciler.pipedrive.errors import PipedriveError
from reconciler.pipedrive.http import HttpClient
from reconciler.redact import redact
from tests.conftest import KEY, cli_env, run_cli


def _leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [variant for variant in (KEY, KEY.lower(), KEY.upper(), KEY[:12], KEY[:8]) if variant.lower() in lowered]


@pytest.mark.parametrize("variant", [KEY, KEY.lower(), KEY.upper(), KEY[:12], KEY[:8], KEY[:8].upper()])
def test_the_key_in_any_case_and_its_long_prefixes_are_redacted(variant: str, monkeypatch) -> None:
    monkeypatch.setenv("MATON_API_KEY", KEY)
    assert _leaks(redact(f"the gateway said: bad key {variant}!")) == []


def test_a_short_prefix_is_not_the_key(monkeypatch) -> None:
    monkeypatch.setenv("MATON_API_KEY", KEY)
    assert redact(f"id {KEY[:7]}") == f"id {KEY[:7]}"


@pytest.mark.parametrize("with_key", [True, False])
def test_a_manifest_that_is_a_dotenv_never_prints_the_key(tmp_path: Path, with_key: bool) -> None:
    (tmp_path / ".env").write_text(f"MATON_API_KEY={KEY}\n", encoding="utf-8")
    project = tmp_path / "crm"
    project.mkdir()
    os.symlink(tmp_path / ".env", project / "crm.yaml")
    env = cli_env(KEY if with_key else None)
    for args in (("validate", str(project)), ("plan", str(project), "--sandbox", str(tmp_path / "s.db"))):
        result = run_cli(*args, env=env)
        assert result.code == 1, result.both
        assert "crm.yaml:1" in result.both
        assert _leaks(result.both) == [], result.both


def test_an_error_echoing_the_key_lowercased_or_cut_is_redacted() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"success": False, "error": f"unknown key {KEY.lower()} (starts {KEY[:12]})"})

    http = HttpClient("http://gateway.invalid/pipedrive", api_key=KEY, transport=httpx.MockTransport(answer))
    try:
        with pytest.raises(PipedriveError) as raised:
            http.request("GET", "/api/v1/users/me")
    finally:
        http.close()
    assert _leaks(str(raised.value)) == [], str(raised.value)
