"""An activity type renamed in git and pulled before it is applied, found by the team day
(tests/state/team_day_admin.py).

Ops rename a declared type (and the activities that name it) in git; someone runs `pull` before
the apply. Before, pull recorded the new name in the lock's vocabulary as if Pipedrive had it (the
names "as the plan leaves them", though pull applies nothing): the next plan said "activity type
renamed in Pipedrive from 'Demo' to 'Product demo'" and the next pull wrote the old name back into
the activities, where it named nothing (the plan renames the type): pull failed. Now pull records
the account's names: the rename stays a change made in git, which the next apply makes.
"""

from __future__ import annotations

from tests.kinds.conftest import Project
from tests.kinds.test_activity_type_deactivated import applied, demo_type
from tests.kinds.test_activity_type_renamed import read, rename


def test_a_type_renamed_in_git_stays_a_git_change_through_pull(project: Project) -> None:
    applied(project)
    held = demo_type(project)
    shape, records = read(project, "shape.yaml"), read(project, "records.yaml")
    shape["activity_types"]["product-demo"]["name"] = "Demo"
    records["activities"]["acme-demo"]["type"] = "Demo"
    project.write("shape.yaml", shape)
    project.write("records.yaml", records)

    for _ in range(2):
        project.ok("pull", str(project.path))
        assert read(project, "records.yaml")["activities"]["acme-demo"]["type"] == "Demo"
        result = project.run("plan", "--no-color")
        assert result.code == 0 and "renamed in Pipedrive" not in result.both, result.both
        (change,) = project.plan_json()["changes"]
        assert change["fields"]["name"] == {"before": "Product demo", "after": "Demo"}

    project.apply()
    assert demo_type(project) == held
    assert project.run("plan", "--detailed-exitcode").code == 0


def renamed_in_settings_and_in_git(project: Project) -> None:
    """The applied type renamed in Settings, and in git (with the activity that names it) to another name."""
    applied(project)
    rename(project, "Product demo", "Demo in Settings")
    shape, records = read(project, "shape.yaml"), read(project, "records.yaml")
    shape["activity_types"]["product-demo"]["name"] = "Demo in git"
    records["activities"]["acme-demo"]["type"] = "Demo in git"
    project.write("shape.yaml", shape)
    project.write("records.yaml", records)

def test_a_git_rename_that_keep_left_is_not_recorded_as_pipedrive_has_it(project: Project) -> None:
    """Renamed in Settings and in git: `apply --on-drift keep` leaves Pipedrive's name (a conflict
    kept); before, that apply recorded the git name anyway, so `pull --prefer manifests` took
    Pipedrive's name for a rename of the git one, wrote it into the activities and failed."""
    renamed_in_settings_and_in_git(project)
    project.ok("apply", "--auto-approve", "--on-drift", "keep")
    assert "Demo in git" not in (project.lock().get("vocabulary") or {}).get("activity_type", {})

    project.ok("pull", str(project.path), "--prefer", "manifests")
    assert read(project, "records.yaml")["activities"]["acme-demo"]["type"] == "Demo in git"
    project.apply()
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_pull_prefer_pipedrive_of_a_name_renamed_on_both_sides_renames_the_activities_too(project: Project) -> None:
    """Renamed in git (the type and its activities) and in Settings: `pull --prefer pipedrive`
    writes Settings' name into `activity_types`; before, the activities kept the git name, which
    then named nothing, and pull failed."""
    renamed_in_settings_and_in_git(project)

    project.ok("pull", str(project.path), "--prefer", "pipedrive")
    assert read(project, "shape.yaml")["activity_types"]["product-demo"]["name"] == "Demo in Settings"
    assert read(project, "records.yaml")["activities"]["acme-demo"]["type"] == "Demo in Settings"
    assert project.run("plan", "--detailed-exitcode").code == 0
