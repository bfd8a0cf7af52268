"""A YAML syntax error in one file does not hide the reference errors of the others (issue 13.6)."""

from __future__ import annotations

from pathlib import Path

from reconciler.manifest import load_manifests


def test_a_syntax_error_does_not_hide_other_files_reference_errors(tmp_path: Path) -> None:
    (tmp_path / "a-broken.yaml").write_text("organizations:\n  acme:\n    name: [unclosed\n", encoding="utf-8")
    (tmp_path / "b-deals.yaml").write_text(
        "deals:\n  d1: {title: D1, org: acme}\n  d2: {title: D2, org: nowhere}\n", encoding="utf-8")
    _manifest, problems = load_manifests([str(tmp_path)])
    lines = [str(p) for p in problems]
    assert any("a-broken.yaml" in line and "invalid YAML" in line for line in lines), lines
    assert any("b-deals.yaml:3:" in line and "names organization 'nowhere'" in line for line in lines), lines
    # acme is declared in the broken file's text: a reference to it is not reported missing
    assert not any("'acme'" in line for line in lines), lines
