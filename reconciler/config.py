"""Where a command connects, resolved from flags, environment, reconciler.toml and defaults.

CONTRACT §4: a flag beats the environment, which beats `reconciler.toml` in the first
PATH, which beats the default. Keeping the resolution in one place means every command
that talks to Pipedrive agrees on it, and the API key is held in one object whose repr
never shows it.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_ENDPOINT = "https://gateway.maton.ai/pipedrive"
DEFAULT_CONTROL_ENDPOINT = "https://ctrl.maton.ai"
DEFAULT_TIMEOUT = 30.0
DEFAULT_RATE_LIMIT = 10.0
DEFAULT_MAX_DELETES = 10
DEFAULT_RETRY_BUDGET = 30.0
# The embedded sandbox (--sandbox) has no gateway budget to respect: unpaced unless
# --rate-limit is given (`sandbox serve` still imitates the gateway's limits).
SANDBOX_RATE_LIMIT = 1_000_000.0
SANDBOX_DB_DEFAULT = ".reconciler/sandbox.db"


class ConfigError(Exception):
    """A setting that cannot be used; the message names the setting."""


class Secret:
    """A string that never prints itself: repr, str and format all hide it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


# What `--on-drift` and `on_drift` take: overwrite drifted fields, keep Pipedrive's values, or fail.
ON_DRIFT = ("overwrite", "keep", "fail")

@dataclass
class Settings:
    endpoint: str = DEFAULT_ENDPOINT
    control_endpoint: str = DEFAULT_CONTROL_ENDPOINT
    api_key: Secret = field(default_factory=lambda: Secret(""))
    connection: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    rate_limit: float = DEFAULT_RATE_LIMIT
    api_version: str = "v2"  # "v2" (v1 for notes) or "v1" everywhere
    sandbox_db: str | None = None  # set: use the embedded sandbox with this database file
    max_deletes: int = DEFAULT_MAX_DELETES  # apply refuses (and plan warns about) plans that delete more
    # seconds of failures in a row (no success between them) before a run gives up
    retry_budget: float = DEFAULT_RETRY_BUDGET
    # what plan and apply do with drift (reconciler/drift.py): overwrite | keep | fail
    on_drift: str = "overwrite"
    # kind -> field labels (or "all") never compared after create, unless a resource says otherwise
    ignore_changes: dict[str, tuple[str, ...] | str] = field(default_factory=dict)
    # who changed drifted fields, and when: True always, False never, None when it is cheap
    drift_details: bool | None = None
    debug: bool = False
    # `--env NAME`: the environment chosen (its lock is reconciler.NAME.lock) and its overlay
    # directory of manifests, merged over the others by kind and key
    environment: str | None = None
    overlay: str | None = None
    # `--allow-option-removal`: plan and apply may remove options that live records use
    allow_option_removal: bool = False
    # `--allow-data-loss`: plan and apply may delete custom fields, pipelines and stages that
    # live records hold values in or sit in (reconciler/shapeloss.py)
    allow_data_loss: bool = False
    # what resolving noticed that the user should know (an environment variable overriding the
    # environment's connection); printed by the command
    warnings: list[str] = field(default_factory=list)

    @property
    def uses_sandbox(self) -> bool:
        return self.sandbox_db is not None


PROJECT_FILE = "reconciler.toml"
SETTINGS = frozenset({"endpoint", "control_endpoint", "connection", "rate_limit", "api_version", "timeout",
                      "max_deletes", "retry_budget", "on_drift", "ignore_changes", "drift_details"})
# what an [environments.NAME] table may set: where it connects, its settings, its overlay
ENVIRONMENT_SETTINGS = SETTINGS | {"overlay"}
ENVIRONMENT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")  # it names a file: reconciler.NAME.lock


def project_file(first_path: str | os.PathLike | None) -> Path | None:
    """reconciler.toml in (or beside) the first PATH, when there is one."""
    if not first_path:
        return None
    base = Path(first_path)
    directory = base if base.is_dir() else base.parent
    candidate = directory / PROJECT_FILE
    return candidate if candidate.is_file() else None


def read_project_file(first_path: str | os.PathLike | None) -> dict:
    """Settings from reconciler.toml in (or beside) the first PATH, if there is one."""
    candidate = project_file(first_path)
    if candidate is None:
        return {}
    try:
        with candidate.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{candidate}: not valid TOML: {exc}") from None
    allowed = SETTINGS | {"environments"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(f"{candidate}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(allowed))}")
    environments = data.get("environments", {})
    if not isinstance(environments, dict) or not all(isinstance(t, dict) for t in environments.values()):
        raise ConfigError(f"{candidate}: environments must be tables, [environments.NAME]")
    for name, table in environments.items():
        if not ENVIRONMENT_NAME.match(name):
            raise ConfigError(f"{candidate}: environment name {name!r} must be lowercase letters, digits, '_' or "
                              "'-' (it names the lock file reconciler.NAME.lock)")
        unknown = sorted(set(table) - ENVIRONMENT_SETTINGS)
        if unknown:
            raise ConfigError(f"{candidate}: [environments.{name}]: unknown setting(s) {', '.join(unknown)}; "
                              f"known: {', '.join(sorted(ENVIRONMENT_SETTINGS))}")
    return data


def ignore_defaults(table: object, first_path: str | None) -> dict[str, tuple[str, ...] | str]:
    """reconciler.toml's `[ignore_changes]`: kind (deal, or deals) -> field labels or "all"."""
    where = "reconciler.toml [ignore_changes]"
    if not table:
        return {}
    from reconciler import kinds

    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table of kinds, e.g. deal = [\"stage\"]")
    out: dict[str, tuple[str, ...] | str] = {}
    for name, labels in table.items():
        spec = kinds.BY_NAME.get(name) or kinds.BY_SECTION.get(name)
        if spec is None:
            raise ConfigError(f"{where}: unknown kind {name!r} (kinds: {', '.join(kinds.BY_NAME)})")
        if labels == "all":
            out[spec.name] = "all"
            continue
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise ConfigError(f"{where}: {name} must be a list of field names or \"all\"")
        for label in labels:
            base = "fields" if label.startswith("fields.") else label
            if spec.field(base) is None:
                raise ConfigError(f"{where}: unknown {spec.name} field {label!r} "
                                  f"(fields: {', '.join(spec.field_names)})")
        out[spec.name] = tuple(labels)
    return out


def overlay_dirs(first_path: str | os.PathLike | None) -> list[Path]:
    """Every environment's overlay directory (resolved), so that reading the manifests leaves
    them out: an overlay is read only for its own environment, merged over the rest."""
    try:
        project = read_project_file(first_path)
    except ConfigError:
        return []  # the command that resolves its settings reports it
    candidate = project_file(first_path)
    out = []
    for table in (project.get("environments") or {}).values():
        if isinstance(table.get("overlay"), str) and candidate is not None:
            out.append((candidate.parent / table["overlay"]).resolve())
    return out


def _environment(first_path: str | None, project: dict, name: str) -> dict:
    """The [environments.NAME] table of the project file, its overlay made an absolute path."""
    candidate = project_file(first_path)
    if candidate is None:
        raise ConfigError(f"--env {name}: no {PROJECT_FILE} in {first_path or 'the current directory'} "
                          f"declares [environments.{name}] (it is read from the first PATH)")
    environments = project.get("environments") or {}
    if name not in environments:
        known = ", ".join(sorted(environments)) or "none declared"
        raise ConfigError(f"--env {name}: {candidate} has no [environments.{name}] (environments: {known})")
    table = dict(environments[name])
    if "overlay" in table:
        assert candidate is not None
        overlay = candidate.parent / str(table["overlay"])
        if not overlay.is_dir():
            raise ConfigError(f"{candidate}: [environments.{name}] overlay {str(table['overlay'])!r} is not a "
                              f"directory ({overlay})")
        table["overlay"] = str(overlay)
    return table


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def is_loopback(host: str) -> bool:
    """localhost or a loopback address; a name that merely starts with "127." is not."""
    host = host.lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(url: str, what: str = "endpoint") -> str:
    """Refuse endpoints that would send the key in clear text, except to loopback."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{what} {url!r} is not an http(s) URL")
    if parts.scheme == "http":
        if not is_loopback(parts.hostname or ""):
            raise ConfigError(
                f"{what} {url!r} uses plain http:// to a non-loopback host; the API key would travel "
                "unencrypted. Use https://, or http:// only on 127.0.0.1/localhost."
            )
    return url.rstrip("/")


def resolve(
    *,
    first_path: str | None = None,
    endpoint: str | None = None,
    control_endpoint: str | None = None,
    connection: str | None = None,
    sandbox: str | None = None,
    rate_limit: float | None = None,
    api_version: str | None = None,
    max_deletes: int | None = None,
    on_drift: str | None = None,
    drift_details: bool | None = None,
    debug: bool = False,
    env: dict | None = None,
    environment: str | None = None,
    allow_option_removal: bool = False,
    allow_data_loss: bool = False,
) -> Settings:
    """Combine flag values (None when not given), the environment variables and the project file.

    With `environment` (`--env NAME`), the file's [environments.NAME] table comes between the
    environment variables and the file's top level: flag > variable > environment table >
    file > default. A variable that overrides the table's connection or endpoint is said (a
    shell's MATON_CONNECTION would otherwise silently point `--env production` elsewhere; the
    environment's lock then refuses the other account).
    """
    env = os.environ if env is None else env
    project = read_project_file(first_path)
    table = _environment(first_path, project, environment) if environment else {}
    layered = {**{k: v for k, v in project.items() if k != "environments"}, **table}

    def pick(flag, env_name, file_key, default):
        if flag is not None:
            return flag
        if env_name and env.get(env_name):
            return env[env_name]
        if file_key in layered:
            return layered[file_key]
        return default

    settings = Settings(debug=debug, environment=environment, overlay=table.get("overlay"),
                        allow_option_removal=allow_option_removal, allow_data_loss=allow_data_loss)
    for key, variable, flag in (("connection", "MATON_CONNECTION", connection),
                                ("endpoint", "RECONCILER_ENDPOINT", endpoint)):
        if key in table and flag is None and env.get(variable) and env[variable] != str(table[key]):
            settings.warnings.append(f"{variable} overrides {key} {table[key]!r} of [environments.{environment}] "
                                     f"(a flag or variable beats the file); unset it to use the environment's")
    settings.endpoint = check_endpoint(str(pick(endpoint, "RECONCILER_ENDPOINT", "endpoint", DEFAULT_ENDPOINT)))
    default_control = (
        DEFAULT_CONTROL_ENDPOINT if settings.endpoint == DEFAULT_ENDPOINT else _origin(settings.endpoint)
    )
    settings.control_endpoint = check_endpoint(
        str(pick(control_endpoint, "RECONCILER_CONTROL_ENDPOINT", "control_endpoint", default_control)),
        "control endpoint",
    )
    settings.connection = pick(connection, "MATON_CONNECTION", "connection", None) or None
    try:
        settings.timeout = float(pick(None, "RECONCILER_TIMEOUT", "timeout", DEFAULT_TIMEOUT))
    except (TypeError, ValueError):
        raise ConfigError("RECONCILER_TIMEOUT must be a number of seconds") from None
    if settings.timeout <= 0:
        raise ConfigError("RECONCILER_TIMEOUT must be positive")
    try:
        settings.rate_limit = float(pick(rate_limit, "RECONCILER_RATE_LIMIT", "rate_limit", DEFAULT_RATE_LIMIT))
    except (TypeError, ValueError):
        raise ConfigError("rate limit must be a number of requests per second") from None
    if settings.rate_limit <= 0:
        raise ConfigError("rate limit must be positive")
    version = str(pick(api_version, "RECONCILER_API_VERSION", "api_version", "v2"))
    if version not in ("v1", "v2"):
        raise ConfigError(f"api_version must be v1 or v2, not {version!r}")
    settings.api_version = version
    settings.api_key = Secret(env.get("MATON_API_KEY", ""))
    limit = max_deletes if max_deletes is not None else layered.get("max_deletes", DEFAULT_MAX_DELETES)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ConfigError(f"max_deletes must be a whole number of objects, 0 or more, not {limit!r}")
    settings.max_deletes = limit
    try:
        settings.retry_budget = float(pick(None, "RECONCILER_RETRY_BUDGET", "retry_budget", DEFAULT_RETRY_BUDGET))
    except (TypeError, ValueError):
        raise ConfigError("retry_budget (RECONCILER_RETRY_BUDGET) must be a number of seconds") from None
    if settings.retry_budget < 0:
        raise ConfigError("retry_budget (RECONCILER_RETRY_BUDGET) must be 0 or more seconds")
    settings.on_drift = str(on_drift if on_drift is not None else layered.get("on_drift", "overwrite"))
    if settings.on_drift not in ON_DRIFT:
        raise ConfigError(f"on_drift must be overwrite, keep or fail, not {settings.on_drift!r}")
    settings.ignore_changes = ignore_defaults(layered.get("ignore_changes", {}), first_path)
    details = drift_details if drift_details is not None else layered.get("drift_details")
    if details is not None and not isinstance(details, bool):
        raise ConfigError(f"drift_details must be true or false, not {details!r}")
    settings.drift_details = details
    if sandbox is not None:
        if sandbox == "":
            base = Path(first_path) if first_path else Path(".")
            directory = base if base.is_dir() else base.parent
            sandbox = str(directory / SANDBOX_DB_DEFAULT)
        settings.sandbox_db = sandbox
        if rate_limit is None:  # RECONCILER_RATE_LIMIT and reconciler.toml are the gateway's budget
            settings.rate_limit = SANDBOX_RATE_LIMIT
    return settings
