"""Recovery never depends on the client's clock (issue 12, case 3).

After a create whose answer was lost, apply looks for the object among those updated
"recently": recently must be in the server's time. Here the client machine's clock is
off (a sitecustomize skews `datetime` and `time.time` in the CLI's process only) while
`sandbox serve`, in its own process, keeps the true time and drops 30% of the answers
to writes after committing them. Before, a client 3 minutes ahead made duplicates and
reported success.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import cli_env, live_census, run_cli, write_manifests

SITECUSTOMIZE = '''
import datetime as _dt
import os
import time as _time

_SKEW = float(os.environ.get("TEST_CLOCK_SKEW", "0"))
_real_time = _time.time


class _SkewedDatetime(_dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return _dt.datetime.fromtimestamp(_real_time() + _SKEW, tz)

    @classmethod
    def utcnow(cls):
        return _dt.datetime.utcfromtimestamp(_real_time() + _SKEW)


_dt.datetime = _SkewedDatetime
_time.time = lambda: _real_time() + _SKEW
'''


def _manifests() -> dict:
    return {
        "organizations": {f"skew-org-{i}": {"name": f"Skew Org {i}"} for i in range(15)},
        "persons": {f"skew-person-{i}": {"name": f"Skew Person {i}", "org": f"skew-org-{i}",
                                         "emails": [f"p{i}@skew.example.com"]} for i in range(15)},
    }


@pytest.mark.parametrize("skew", [0, 180, -180, 3600])
def test_ambiguous_creates_are_found_whatever_the_client_clock_says(tmp_path: Path, sandbox_process, skew: int) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    check = run_cli("--version", env=cli_env(PYTHONPATH=str(site), TEST_CLOCK_SKEW="3600"))
    assert check.code == 0
    server = sandbox_process(faults=("drop-after-commit:0.3",), fault_seed=7)
    data = _manifests()
    project = write_manifests(tmp_path / "project", data)
    env = cli_env(PYTHONPATH=str(site), TEST_CLOCK_SKEW=str(skew))
    for _ in range(6):
        result = run_cli("apply", str(project), "--auto-approve", "--endpoint", server.endpoint, env=env)
        if result.code == 0:
            break
    assert result.code == 0, result.both[-2000:]
    census = live_census(server.api, data)
    assert census["duplicates"] == [], census
    assert census["missing"] == [], census
