"""Any platform (issue 26, item 2): console encodings, portable export file names, line endings.

Reproduced before: with output redirected in cp1252 (Windows' default for redirected output),
`plan > plan.txt` and `plan --format markdown > plan.md` died with UnicodeEncodeError on
'\\u2192' whenever the plan had an update; `export` wrote accounts/con.yaml, aux.yaml,
nul.yaml, com1.yaml (device names Git for Windows refuses to check out); `pull` rewrote a
CRLF manifest as LF, a diff of every line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.export.paths import portable_name
from reconciler.render.encoding import make_safe
from tests.conftest import InProcess, cli_env, copy_examples, invoke
from tests.examples_project import BOB, ExamplesProject, apply_examples_once, copy_applied


@pytest.fixture(scope="module")
def applied(tmp_path_factory) -> tuple[Path, str]:
    """The examples applied to a sandbox, then a deal renamed in the manifests (so plans have an update)."""
    root = tmp_path_factory.mktemp("enc")
    project = copy_examples(root / "crm")
    db = str(root / "s.db")
    assert invoke(["apply", str(project), "--sandbox", db, "--auto-approve"]).code == 0
    acme = project / "accounts" / "acme.yaml"
    acme.write_text(acme.read_text(encoding="utf-8").replace("title: Acme renewal 2027",
                                                             "title: Acme renewal 2027 – 续约"), encoding="utf-8")
    return project, db


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_plan_redirected_in_cp1252_is_written_not_raised(applied: tuple[Path, str], tmp_path: Path, fmt: str) -> None:
    project, db = applied
    target = tmp_path / f"plan.{fmt}"
    env = cli_env(PYTHONIOENCODING="cp1252")
    with target.open("wb") as handle:  # `reconciler plan ... > plan.txt`
        proc = subprocess.run([sys.executable, "-m", "reconciler", "plan", str(project), "--sandbox", db,
                               "--format", fmt], stdout=handle, stderr=subprocess.PIPE, env=env, timeout=180)
    stderr = proc.stderr.decode("cp1252", "replace")
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr and "UnicodeEncodeError" not in stderr
    text = target.read_bytes().decode("cp1252")  # a cp1252 file, as Windows tools read it back
    if fmt == "json":
        data = json.loads(text)
        change = next(c for c in data["changes"] if c["key"] == "acme-renewal-2027")
        assert change["fields"]["title"]["after"] == "Acme renewal 2027 – 续约"  # the same data, escaped
    else:
        assert 'title: "Acme renewal 2027" -> "Acme renewal 2027 – \\u7eed\\u7ea6"' in text


def test_the_fallback_keeps_every_character_recoverable(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    with open(path, "w", encoding="cp1252") as stream:
        make_safe(stream)
        stream.write("a → b × 3 … 😀 é")
    assert path.read_bytes().decode("cp1252") == "a -> b × 3 … \\ud83d\\ude00 é"  # cp1252 has × and …


RESERVED = ["CON", "aux", "Nul", "com1", "LPT9", "prn", "con.x"]


def test_export_never_writes_a_reserved_or_invalid_file_name(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    sandbox = InProcess(str(db))
    try:
        for name in RESERVED:
            org = sandbox.call("POST", "/api/v2/organizations", json={"name": name})["id"]
            sandbox.call("POST", "/api/v2/persons", json={"name": f"Person of {name}", "org_id": org})
    finally:
        sandbox.close()
    out = tmp_path / "out"
    result = invoke(["export", "--out", str(out), "--sandbox", str(db)])
    assert result.code == 0, result.both
    names = sorted(p.name for p in (out / "accounts").iterdir())
    for name in names:
        stem = name.split(".", 1)[0].lower()
        assert stem not in {"con", "aux", "nul", "prn", *(f"com{n}" for n in range(1, 10)),
                            *(f"lpt{n}" for n in range(1, 10))}, names
        assert not name.endswith((".", " ")) and not set(name) & set('<>:"/\\|?*'), names
    assert "con_.yaml" in names and "con_.x.yaml" not in names
    plan = invoke(["plan", str(out), "--sandbox", str(db), "--detailed-exitcode"])
    assert plan.code == 0, plan.both  # the round trip holds: a file name is not a key


@pytest.mark.parametrize(("stem", "portable"), [
    ("con", "con_"), ("COM9", "COM9_"), ("lpt1", "lpt1_"), ("com10", "com10"), ("con.x", "con_.x"),
    ("acme.", "acme_"), ("a b ", "a b_"), ("a:b?", "a_b_"), ("acme", "acme"), ("", "_")])
def test_portable_names(stem: str, portable: str) -> None:
    assert portable_name(stem) == portable


@pytest.fixture(scope="module")
def applied_examples(tmp_path_factory) -> Path:
    return apply_examples_once(tmp_path_factory)[0]


def test_pull_keeps_crlf_line_endings(applied_examples: Path, tmp_path: Path) -> None:
    path, db = copy_applied(applied_examples, tmp_path)
    project = ExamplesProject(path, db)
    acme = path / "accounts" / "acme.yaml"
    acme.write_bytes(acme.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))  # checked out on Windows
    pilot = project.id("deal", "acme-robotics-pilot")
    project.api("PATCH", f"/api/v2/deals/{pilot}", headers=BOB, json={"title": "Acme robotics pilot, phase 2"})
    result = project.run("pull")
    assert result.code == 0, result.err
    raw = acme.read_bytes()
    assert b"title: Acme robotics pilot, phase 2\r\n" in raw
    assert raw.count(b"\n") == raw.count(b"\r\n"), "every line still ends in CRLF"
