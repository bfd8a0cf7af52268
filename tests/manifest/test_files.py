"""Which files a set of PATHs names: each real file once, however it is reached (issue 19 made
the walk resolve each directory once instead of each file's every component)."""

from __future__ import annotations

from pathlib import Path

from reconciler.manifest.files import collect_files, manifests_digest

ORG = "organizations:\n  acme: {name: Acme}\n"


def test_a_file_reached_through_a_link_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(ORG, encoding="utf-8")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    problems: list = []
    files = collect_files([str(tmp_path)], problems)
    assert problems == [] and len(files) == 1
    assert files[0][1] == str((tmp_path / "a.yaml").resolve())


def test_a_directory_reached_through_a_link_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.yaml").write_text(ORG, encoding="utf-8")
    (tmp_path / "alias").symlink_to(tmp_path / "sub", target_is_directory=True)
    problems: list = []
    files = collect_files([str(tmp_path)], problems)
    assert [real for _, real in files] == [str((tmp_path / "sub" / "a.yaml").resolve())]


def test_a_link_out_of_the_tree_is_followed_and_named_by_its_target(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "shared.yaml").write_text(ORG, encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    (project / "link.yaml").symlink_to(outside / "shared.yaml")
    files = collect_files([str(project)], [])
    assert files == [(str(project / "link.yaml"), str((outside / "shared.yaml").resolve()))]


def test_the_digest_names_files_relative_to_their_path(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    for root in (one, two):
        (root / "crm").mkdir(parents=True)
        (root / "crm" / "a.yaml").write_text(ORG, encoding="utf-8")
    assert manifests_digest([str(one)]) == manifests_digest([str(two)])  # same names and contents
    assert manifests_digest([str(one / "crm" / "a.yaml")]) == manifests_digest([str(two / "crm")])
    (two / "crm" / "a.yaml").rename(two / "crm" / "b.yaml")
    assert manifests_digest([str(one)]) != manifests_digest([str(two)])


def test_the_digest_of_a_load_is_of_what_it_read(tmp_path: Path) -> None:
    """A plan digests its manifests from the bytes the load read (not read again): the same
    digest while the files stay, and the content the plan was made from if one changes after."""
    from reconciler.manifest import load_manifests

    (tmp_path / "a.yaml").write_text(ORG, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.yaml").write_text("persons:\n  bo: {name: Bo}\n", encoding="utf-8")
    manifest, problems = load_manifests([str(tmp_path)])
    assert problems == [] and len(manifest.hashes) == 2
    assert manifests_digest([str(tmp_path)], manifest.hashes) == manifests_digest([str(tmp_path)])
    read = manifests_digest([str(tmp_path)])
    (tmp_path / "a.yaml").write_text(ORG.replace("Acme", "Acme Two"), encoding="utf-8")
    assert manifests_digest([str(tmp_path)], manifest.hashes) == read != manifests_digest([str(tmp_path)])
