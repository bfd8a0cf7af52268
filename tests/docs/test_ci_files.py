"""The CI files in examples/ci/ are valid for GitHub and GitLab and use only real commands (issue 18).

Why: these files are copied verbatim into users' repositories and run unattended, with
the Maton key in their environment. So:

- each file validates against the official schema for its platform, the ones
  `check-jsonschema` ships (vendored: no network), run as its own command line. The
  GitLab file once had `git commit -m "reconciler.lock: ids ..."` as a script item, which
  YAML reads as a mapping and GitLab refuses with the whole file;
- every script item is a string, and every `reconciler ...` command line is parsed by the
  real click command tree (reconciler.cli.cli), so an unknown command, flag or choice fails
  here first;
- every `pip install` installs this project's distribution (pyproject's name, pinned):
  `reconciler` on PyPI is somebody else's package;
- the concurrency promises of docs/ci.md hold (one group per account, no cancelled apply,
  a drift check never cancelling a pending apply), and the lock commit-back script, run
  for real against a git remote, rebases and retries a rejected push and fails the job on
  a conflict.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from reconciler.cli import cli
from tests.conftest import ROOT, copy_examples

# Hidden, as they sit in a user's repository, which also keeps `reconciler validate examples`
# (the loader skips hidden paths) from reading them as manifests.
GITHUB = ".github/workflows/reconciler.yml"
GITLAB = ".gitlab-ci.yml"
SCHEMAS = {GITHUB: "vendor.github-workflows", GITLAB: "vendor.gitlab-ci"}
ACTIONLINT_CONFIG = ".github/actionlint.yaml"  # actionlint's settings, not a workflow
PYPROJECT = ROOT / "pyproject.toml"
SHELL_KEYS = {"run", "script", "before_script", "after_script", "entry"}
# `reconciler` where the shell runs a command: a line's start, after ; & | ( or then/do/else
# (not inside a string: `printf '### reconciler plan'` runs printf)
COMMAND = re.compile(r"(?:^\s*|[;&|(]\s*|\b(?:then|do|else)\s+)(reconciler\s[^\n]*)", re.M)
PIP_INSTALL = re.compile(r"pip\s+install\b[^;&|\n]*")
OPERATORS = {"|", "||", "&", "&&", ";", ">", ">>", "<", "2>", "2>&1", "(", ")"}
GROUP_FLAGS = {p for param in cli.params for p in param.opts + param.secondary_opts}


def _shell_strings(node: Any, key: str | None = None) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("entry"), str):  # a pre-commit hook: its command is entry + args
            yield shlex.join([*shlex.split(node["entry"]), *map(str, node.get("args") or [])])
        for k, v in node.items():
            if k == "entry":
                continue
            yield from _shell_strings(v, str(k))
    elif isinstance(node, list):
        for item in node:
            yield from _shell_strings(item, key)
    elif isinstance(node, str) and key in SHELL_KEYS:
        yield node


def _argv(line: str) -> list[str]:
    """The reconciler invocation on a line: tokens up to the first shell operator or comment."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    out: list[str] = []
    for token in lexer:
        if token in OPERATORS or set(token) <= set("|&;<>()"):
            break
        out.append(token)
    return out


def reconciler_commands(path: Path) -> list[list[str]]:
    """Every `reconciler ...` argv in a file's shell steps (run, script, entry...)."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    found = []
    for text in _shell_strings(doc):
        for line in text.replace("\\\n", " ").splitlines():
            line = PIP_INSTALL.sub("", line)  # `pip install reconciler` installs; it runs nothing
            for match in COMMAND.finditer(line):
                found.append(_argv(match.group(1)))
    return found


def check_argv(argv: list[str]) -> None:
    """Parse argv exactly as the CLI would, without running anything; raise click errors."""
    assert argv[0] == "reconciler"
    args = argv[1:]
    while args and args[0].startswith("-"):  # group options (flags only) before the command
        if args[0] not in GROUP_FLAGS:
            raise click.NoSuchOption(args[0])
        args = args[1:]
    command: click.Command = cli
    names = []
    while isinstance(command, click.Group):
        if not args:
            raise click.UsageError(f"no command after {' '.join(['reconciler', *names])}")
        sub = command.get_command(click.Context(command), args[0])
        if sub is None:
            raise click.UsageError(f"no such command {args[0]!r} in {' '.join(['reconciler', *names])}")
        names.append(args[0])
        command, args = sub, args[1:]
    command.make_context(" ".join(names), list(args))  # unknown flags, bad choices, missing values


@pytest.fixture(scope="module")
def ci(tmp_path_factory) -> Path:
    """A private copy of examples/ci (tests never read examples/ in place)."""
    return copy_examples(tmp_path_factory.mktemp("examples") / "ci", "ci")


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _distribution() -> tuple[str, str]:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    return project["name"], project["version"]


def test_there_are_ci_files(ci: Path) -> None:
    # every YAML file under examples/ci is one of them: nothing unchecked
    found = sorted(p.relative_to(ci).as_posix() for p in ci.rglob("*") if p.suffix in (".yml", ".yaml"))
    assert found == sorted([*SCHEMAS, ACTIONLINT_CONFIG])


def _check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_valid_for_its_platform_by_the_official_schema(ci: Path, name: str) -> None:
    result = _check_jsonschema(SCHEMAS[name], ci / name)
    assert result.returncode == 0, f"{name}:\n{result.stdout}{result.stderr}"


def test_the_schema_check_catches_an_unquoted_colon_in_a_script(ci: Path, tmp_path: Path) -> None:
    """The defect this check was added for: `- git commit -m "x: y"` is a mapping, not a string."""
    broken = tmp_path / ".gitlab-ci.yml"
    text = (ci / GITLAB).read_text(encoding="utf-8")
    broken.write_text(text.replace("    - status=0\n", '    - git commit -m "reconciler.lock: ids"\n', 1),
                      encoding="utf-8")
    assert broken.read_text(encoding="utf-8") != text
    result = _check_jsonschema(SCHEMAS[GITLAB], broken)
    assert result.returncode == 1 and "apply.script" in result.stdout
    assert any(not isinstance(item, str) for item in _script_items(_load(broken), GITLAB))


def _script_items(doc: Any, name: str) -> Iterator[Any]:
    """Every shell item: GitHub steps' `run`, GitLab jobs' (before_|after_)script items."""
    if name == GITHUB:
        for job in doc["jobs"].values():
            for step in job.get("steps", []):
                if "run" in step:
                    yield step["run"]
        return
    for key, job in doc.items():
        sections = [job] if key == "default" else [job] if isinstance(job, dict) else []
        for section in sections:
            for field in ("before_script", "script", "after_script"):
                items = section.get(field, [])
                yield from items if isinstance(items, list) else [items]


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_script_item_is_a_string(ci: Path, name: str) -> None:
    items = list(_script_items(_load(ci / name), name))
    assert items
    bad = [item for item in items if not isinstance(item, str)]
    assert not bad, f"{name}: YAML reads these as something else than a command: {bad}"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_reconciler_command_and_flag_exists(ci: Path, name: str, tmp_path: Path, monkeypatch) -> None:
    commands = reconciler_commands(ci / name)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plan.json").touch()  # written by the step before (click checks PLANFILE exists)
    assert len(commands) >= 4, f"{name} runs too few reconciler commands"
    for argv in commands:
        try:
            check_argv(argv)
        except click.ClickException as exc:
            pytest.fail(f"{name}: `{shlex.join(argv)}`: {exc.format_message()}")


def _pip_installs(text: str) -> list[str]:
    return [m.group(0) for m in PIP_INSTALL.finditer(text)]


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_ci_installs_this_distribution_pinned(ci: Path, name: str) -> None:
    dist, version = _distribution()
    assert dist != "reconciler", "reconciler on PyPI is an unrelated project"
    doc = _load(ci / name)
    installs = [line for item in _script_items(doc, name) for line in _pip_installs(item)]
    assert installs, f"{name} installs nothing"
    variables = doc.get("env") or doc.get("variables") or {}
    # Issue 26: the name is not on PyPI yet, so `dist==version` installed nothing (or, once
    # someone else registered it, their package): a pinned git URL of this repository
    pin = re.fullmatch(rf"{dist} @ git\+https://github\.com/OWNER/reconciler@(v{re.escape(version)}|[0-9a-f]{{40}})",
                       variables.get("RECONCILER_PIP", ""))
    assert pin, variables.get("RECONCILER_PIP")
    assert all('"$RECONCILER_PIP"' in line for line in installs), installs
    assert "OWNER/reconciler: replace it" in (ci / name).read_text(encoding="utf-8"), "the placeholder is explained"


def test_docs_and_readme_install_the_same_name() -> None:
    dist, _ = _distribution()
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        code = re.findall(r"^```[^\n]*\n(.*?)^```", text, re.S | re.M) + re.findall(r"`([^`\n]+)`", text)
        for line in (found for snippet in code for found in _pip_installs(snippet)):
            # a direct reference ("NAME @ git+URL@REF") is one requirement
            words = [w.strip("'\"") for w in re.sub(r"\s+@\s+", "@", line.replace("`", " ")).split()[2:]]
            for target in [w for w in words if w and not w.startswith("-")]:
                ok = target in (".", ".[test]") or target.startswith((dist, "$", "./", "dist/")) or "git+" in target
                assert ok, f"{page.relative_to(ROOT)}: `{line}` installs {target!r}, not {dist}"


# -- GitHub -------------------------------------------------------------------------------


def test_github_workflow_covers_the_three_flows(ci: Path) -> None:
    doc = _load(ci / GITHUB)
    triggers = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"pull_request", "push", "schedule"} <= set(triggers)
    commands = [shlex.join(a) for a in reconciler_commands(ci / GITHUB)]
    assert any("plan" in c and "--format markdown" in c and "--out plan.json" in c for c in commands)
    assert any(c.startswith("reconciler apply") and "--auto-approve" in c for c in commands)
    assert any(c.startswith("reconciler show plan.json") for c in commands)
    assert any("--detailed-exitcode" in c for c in commands)


ENVIRONMENTS = ("staging", "production")


def test_github_concurrency_one_group_per_account(ci: Path) -> None:
    jobs = _load(ci / GITHUB)["jobs"]
    drift, plan, apply = jobs["drift"]["concurrency"], jobs["plan"]["concurrency"], jobs["apply"]["concurrency"]
    assert drift["group"] == "reconciler-account-${{ matrix.environment }}"
    assert apply == drift, "the drift check waits for its account's applies"
    assert apply["cancel-in-progress"] is False, "a running apply is never cancelled"
    assert apply["queue"] == "max", "a pending apply is never cancelled by a newer pending run"
    assert jobs["apply"]["steps"][0]["with"]["ref"] == "main", "apply checks out main as it is (the last lock)"
    assert "pull_request.number" in plan["group"] and "matrix.environment" in plan["group"]
    assert "concurrency" not in _load(ci / GITHUB), "no workflow-wide group (plans would queue behind applies)"


MATRIX = "${{ fromJSON(needs.environments.outputs.names) }}"


def test_github_fans_out_over_the_environments_and_promotes_in_order(ci: Path, tmp_path: Path) -> None:
    """Issues 17 and 26: a pull request plans against every environment of reconciler.toml
    (`reconciler environments --json`, so one more account needs no edit here); merge applies
    to each in the file's order, one at a time, stopping at a failure, each in its own
    protected environment (production's required reviewers are the approval)."""
    jobs = _load(ci / GITHUB)["jobs"]
    listing = "\n".join(step.get("run", "") for step in jobs["environments"]["steps"])
    assert 'reconciler environments "$CRM_DIR" --json' in listing
    assert jobs["environments"]["outputs"]["names"] == "${{ steps.list.outputs.names }}"
    for name in ("plan", "apply", "drift"):
        assert jobs[name]["needs"] == "environments"
        assert jobs[name]["strategy"]["matrix"]["environment"] == MATRIX
    assert "environment" not in jobs["plan"], "a plan never waits for the production approval"
    apply = jobs["apply"]
    assert apply["environment"] == "${{ matrix.environment }}"
    assert apply["strategy"]["max-parallel"] == 1 and apply["strategy"]["fail-fast"] is True
    assert apply["env"]["MATON_API_KEY"] == "${{ secrets.MATON_API_KEY }}"
    for name in ("plan", "drift", "pull"):  # jobs without an environment hold only the read-only key
        assert jobs[name]["env"]["MATON_API_KEY"] == "${{ secrets.MATON_PLAN_API_KEY }}", name
    commands = [shlex.join(a) for a in reconciler_commands(ci / GITHUB)]
    assert all('--env' in c for c in commands if c.split()[1] in ("plan", "apply", "validate"))
    # what the matrix gets: reconciler.toml's environments, in order
    (tmp_path / "reconciler.toml").write_text('[environments.staging]\nconnection = "s"\n\n'
                                              '[environments.production]\nconnection = "p"\n', encoding="utf-8")
    from tests.conftest import invoke

    listed = invoke(["environments", str(tmp_path), "--json"])
    assert listed.code == 0 and listed.out.strip() == '["staging","production"]'


def test_github_comment_updates_its_own_comment_by_marker(ci: Path) -> None:
    step = next(s for s in _load(ci / GITHUB)["jobs"]["plan"]["steps"] if s.get("name", "").startswith("Comment"))
    script = step["run"]
    assert 'marker="<!-- reconciler-plan:$CRM_DIR:$ENV_NAME -->"' in script
    assert 'select(.user.login == "github-actions[bot]" and (.body | startswith($marker)))' in script
    assert "--method PATCH" in script and "--method POST" in script


def test_github_pip_is_cached(ci: Path) -> None:
    for job in _load(ci / GITHUB)["jobs"].values():
        setup = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python"))
        assert setup["with"]["cache"] == "pip" and setup["with"]["cache-dependency-path"] == GITHUB


# -- GitLab -------------------------------------------------------------------------------


def test_gitlab_plans_both_environments_and_promotes_by_hand(ci: Path) -> None:
    doc = _load(ci / GITLAB)
    assert doc["variables"]["RECONCILER_ENVIRONMENTS"] == '["staging","production"]'
    for name in ("validate", "plan", "drift"):
        assert doc[name]["parallel"]["matrix"] == [{"ENV_NAME": list(ENVIRONMENTS)}]
    check = "\n".join(doc["environments"]["script"])  # the matrix may not fall behind reconciler.toml
    assert 'reconciler environments "$CRM_DIR" --json' in check and '"$RECONCILER_ENVIRONMENTS"' in check
    apply, promote = _job(doc, "apply"), _job(doc, "promote")
    assert (apply["variables"]["ENV_NAME"], promote["variables"]["ENV_NAME"]) == ENVIRONMENTS
    assert (apply["environment"]["name"], promote["environment"]["name"]) == ENVIRONMENTS
    assert promote["needs"] == ["apply"] and promote["rules"][0]["when"] == "manual"
    assert promote["allow_failure"] is False, "the pipeline is blocked until production is applied"
    assert doc["stages"].index("promote") == doc["stages"].index("apply") + 1
    commands = [shlex.join(a) for a in reconciler_commands(ci / GITLAB)]
    assert all('--env' in c for c in commands if c.split()[1] in ("plan", "apply", "validate"))


def test_gitlab_pipeline_covers_the_three_flows(ci: Path) -> None:
    doc = _load(ci / GITLAB)
    assert {"plan", "apply", "drift"} <= set(doc)
    commands = [shlex.join(a) for a in reconciler_commands(ci / GITLAB)]
    assert any("plan" in c and "--format markdown" in c and "--out plan.json" in c for c in commands)
    assert any(c.startswith("reconciler apply") and "--auto-approve" in c for c in commands)
    assert any("--detailed-exitcode" in c for c in commands)
    assert set(doc["plan"]["artifacts"]["paths"]) == {"plan.json", "plan.txt", "plan.md"}


def _job(doc: dict, name: str) -> dict:
    """A GitLab job (its `<<: *anchor` merged by the YAML loader), never one that `extends`
    a hidden job: the official schema does not check hidden jobs' scripts."""
    assert "extends" not in doc[name]
    return doc[name]


def test_gitlab_runs_on_one_account_never_overlap(ci: Path) -> None:
    doc = _load(ci / GITLAB)
    for name in ("apply", "promote"):
        assert _job(doc, name)["resource_group"] == doc["drift"]["resource_group"] == "reconciler-$ENV_NAME"
        assert _job(doc, name)["interruptible"] is False and "after_script" not in _job(doc, name), \
            "after_script cannot fail the job when the lock is not pushed"
    assert doc["plan"]["interruptible"] is True
    assert doc["workflow"]["auto_cancel"]["on_new_commit"] == "interruptible"
    assert doc["plan"]["variables"]["MATON_API_KEY"] == "$MATON_PLAN_API_KEY", "protected variables never " \
        "reach merge-request pipelines"
    assert doc["variables"]["PIP_CACHE_DIR"].startswith("$CI_PROJECT_DIR") and doc["default"]["cache"]["paths"]


# -- the lock commit-back, run for real ------------------------------------------------------


def _git(*args: str, cwd: Path) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def _repos(tmp_path: Path) -> tuple[Path, Path, Path]:
    """origin (bare, branch main), the job's checkout, and a teammate's clone."""
    origin, job, mate = tmp_path / "origin.git", tmp_path / "job", tmp_path / "mate"
    _git("init", "--quiet", "--bare", "--initial-branch=main", str(origin), cwd=tmp_path)
    _git("clone", "--quiet", str(origin), str(mate), cwd=tmp_path)
    (mate / "crm").mkdir()
    (mate / "crm" / "reconciler.staging.lock").write_text('{"resources": {}}\n', encoding="utf-8")
    (mate / "crm" / "a.yaml").write_text("organizations: {}\n", encoding="utf-8")
    _git("add", ".", cwd=mate)
    _git("commit", "--quiet", "-m", "start", cwd=mate)
    _git("push", "--quiet", "origin", "HEAD:main", cwd=mate)
    _git("clone", "--quiet", "--depth", "1", "--branch", "main", str(origin), str(job), cwd=tmp_path)
    return origin, job, mate


def _commit_step(ci: Path) -> str:
    jobs = _load(ci / GITHUB)["jobs"]
    step = next(s for s in jobs["apply"]["steps"] if s.get("name") == "Commit the updated lock")
    assert step["if"] == "success() || failure()", "the lock is committed after a failed apply too"
    return step["run"]


def _run_step(script: str, job: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "CRM_DIR": "crm", "ENV_NAME": "staging", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=job, env=env, capture_output=True,
                          text=True, timeout=120)


def test_the_lock_is_pushed_after_main_moved(ci: Path, tmp_path: Path) -> None:
    origin, job, mate = _repos(tmp_path)
    (job / "crm" / "reconciler.staging.lock").write_text('{"resources": {"deal": {"d": 7}}}\n', encoding="utf-8")
    (job / "crm" / "reconciler.staging.lock.journal").write_text('{"set": ["deal", "e", 8]}\n', encoding="utf-8")
    (job / "crm" / "reconciler.staging.lock.lck").write_text("", encoding="utf-8")
    (mate / "crm" / "b.yaml").write_text("deals: {}\n", encoding="utf-8")  # main moves meanwhile
    _git("add", ".", cwd=mate)
    _git("commit", "--quiet", "-m", "a teammate's merge", cwd=mate)
    _git("push", "--quiet", "origin", "HEAD:main", cwd=mate)
    result = _run_step(_commit_step(ci), job)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "push rejected (attempt 1); rebasing" in result.stdout
    log = _git("log", "--format=%s", "main", cwd=origin).splitlines()
    assert log[0].startswith("reconciler.staging.lock: ids recorded by apply of ") and log[0].endswith("[skip ci]")
    assert log[1] == "a teammate's merge"
    files = _git("ls-tree", "-r", "--name-only", "main", cwd=origin).split()
    assert "crm/reconciler.staging.lock.journal" in files and "crm/reconciler.staging.lock.lck" not in files
    assert '"d": 7' in _git("show", "main:crm/reconciler.staging.lock", cwd=origin)


def test_a_conflicting_lock_fails_the_job(ci: Path, tmp_path: Path) -> None:
    origin, job, mate = _repos(tmp_path)
    (job / "crm" / "reconciler.staging.lock").write_text('{"resources": {"deal": {"d": 7}}}\n', encoding="utf-8")
    (mate / "crm" / "reconciler.staging.lock").write_text('{"resources": {"deal": {"d": 9}}}\n', encoding="utf-8")
    _git("commit", "--quiet", "-am", "someone edited the lock", cwd=mate)
    _git("push", "--quiet", "origin", "HEAD:main", cwd=mate)
    result = _run_step(_commit_step(ci), job)
    assert result.returncode == 1
    assert "::error::reconciler.staging.lock conflicts with a change on main" in result.stdout
    assert _git("log", "-1", "--format=%s", "main", cwd=origin).strip() == "someone edited the lock"


def test_nothing_to_commit_is_not_a_push(ci: Path, tmp_path: Path) -> None:
    origin, job, _ = _repos(tmp_path)
    result = _run_step(_commit_step(ci), job)
    assert result.returncode == 0 and "push" not in result.stdout
    assert _git("log", "-1", "--format=%s", "main", cwd=origin).strip() == "start"


# -- the checker itself ----------------------------------------------------------------------


@pytest.mark.parametrize("line", [
    "reconciler plan crm --no-such-flag",
    "reconciler plan crm --format yaml",
    "reconciler deploy crm",
    "reconciler apply crm --max-deletes",
    "reconciler --verbose plan crm",
    "reconciler connections frobnicate",
])
def test_the_checker_catches_mistakes(line: str) -> None:
    with pytest.raises(click.ClickException):
        check_argv(_argv(line))


def test_pip_install_is_not_a_command(tmp_path: Path) -> None:
    path = tmp_path / "ci.yml"
    path.write_text("job:\n  script:\n    - pip install --quiet pipedrive-reconciler && reconciler plan crm\n",
                    encoding="utf-8")
    assert reconciler_commands(path) == [["reconciler", "plan", "crm"]]


def test_the_checker_stops_at_shell_operators() -> None:
    argv = _argv('reconciler plan "$CRM_DIR" --format markdown > plan.md || code=$?  # note')
    assert argv == ["reconciler", "plan", "$CRM_DIR", "--format", "markdown"]
    check_argv(argv)


# -- issue 15: the drift check reports only Pipedrive's changes; a pull job opens a pull request --

PULL_TITLE = "changes made in Pipedrive since the last apply"


def test_github_drift_check_and_pull_request_of_pipedrive_changes(ci: Path) -> None:
    jobs = _load(ci / GITHUB)["jobs"]
    drift = "\n".join(step.get("run", "") for step in jobs["drift"]["steps"])
    assert "--drift-only" in drift and "--format json" in drift and "--detailed-exitcode" in drift
    pull = jobs["pull"]
    assert pull["if"] == jobs["drift"]["if"], "the pull job runs on the same schedule"
    assert pull["concurrency"] == {**jobs["apply"]["concurrency"], "group": "reconciler-account-production"}, \
        "never during an apply, never cancelling one"
    assert pull["permissions"] == {"contents": "write", "pull-requests": "write"}
    script = "\n".join(step.get("run", "") for step in pull["steps"])
    assert 'reconciler pull "$CRM_DIR" --env "$PULL_ENV"' in script
    assert _load(ci / GITHUB)["env"]["PULL_ENV"] == "production"
    # Issue 26: `gh pr create` with GITHUB_TOKEN failed on a default repository, its pull
    # request ran no checks, and each run made a new timestamped branch. Now: one pull request
    # on a fixed branch, updated by a maintained action, with a token whose pull request runs checks.
    opened = next(step for step in pull["steps"] if step.get("uses", "").startswith("peter-evans/create-pull-request@"))
    assert opened["with"]["branch"] == "reconciler/pull" and opened["with"]["title"] == PULL_TITLE
    assert opened["with"]["token"] == "${{ secrets.RECONCILER_PR_TOKEN || github.token }}"
    assert "gh pr create" not in script and "date" not in script


def test_gitlab_drift_check_and_merge_request_of_pipedrive_changes(ci: Path) -> None:
    doc = _load(ci / GITLAB)
    assert any("--drift-only" in line for line in doc["drift"]["script"])
    pull = doc["pull"]
    assert pull["resource_group"] == doc[".apply"]["resource_group"].replace("$ENV_NAME", pull["variables"]["ENV_NAME"])
    assert pull["rules"] == doc["drift"]["rules"] and pull["interruptible"] is False
    script = "\n".join(pull["script"])
    assert 'reconciler pull "$CRM_DIR" --env production' in script
    assert f'merge_request.title="{PULL_TITLE}"' in script and "merge_request.create" in script
    assert 'branch="reconciler/pull"' in script and "--force" in script, "one merge request on a fixed branch"
