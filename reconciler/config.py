"""Where a command connects, resolved from flags, environment, reconciler.toml and defaults.

CONTRACT §4: a flag beats the environment, which beats `reconciler.toml` in the first
PATH, which beats the default. Keeping the resolution in one place means every command
that talks to Pipedrive agrees on it, and the API key is held in one object whose repr
never shows it.
"""

from __future__ import annotations

import ipaddress
import os
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

    @property
    def uses_sandbox(self) -> bool:
        return self.sandbox_db is not None


def read_project_file(first_path: str | None) -> dict:
    """Settings from reconciler.toml in (or beside) the first PATH, if there is one."""
    if not first_path:
        return {}
    base = Path(first_path)
    directory = base if base.is_dir() else base.parent
    candidate = directory / "reconciler.toml"
    if not candidate.is_file():
        return {}
    try:
        with candidate.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{candidate}: not valid TOML: {exc}") from None
    allowed = {"endpoint", "control_endpoint", "connection", "rate_limit", "api_version", "timeout", "max_deletes",
               "retry_budget", "on_drift", "ignore_changes", "drift_details"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(f"{candidate}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(allowed))}")
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
) -> Settings:
    """Combine flag values (None when not given), the environment and the project file."""
    env = os.environ if env is None else env
    project = read_project_file(first_path)

    def pick(flag, env_name, file_key, default):
        if flag is not None:
            return flag
        if env_name and env.get(env_name):
            return env[env_name]
        if file_key in project:
            return project[file_key]
        return default

    settings = Settings(debug=debug)
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
    limit = max_deletes if max_deletes is not None else project.get("max_deletes", DEFAULT_MAX_DELETES)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ConfigError(f"max_deletes must be a whole number of objects, 0 or more, not {limit!r}")
    settings.max_deletes = limit
    try:
        settings.retry_budget = float(pick(None, "RECONCILER_RETRY_BUDGET", "retry_budget", DEFAULT_RETRY_BUDGET))
    except (TypeError, ValueError):
        raise ConfigError("retry_budget (RECONCILER_RETRY_BUDGET) must be a number of seconds") from None
    if settings.retry_budget < 0:
        raise ConfigError("retry_budget (RECONCILER_RETRY_BUDGET) must be 0 or more seconds")
    settings.on_drift = str(on_drift if on_drift is not None else project.get("on_drift", "overwrite"))
    if settings.on_drift not in ("overwrite", "keep", "fail"):
        raise ConfigError(f"on_drift must be overwrite, keep or fail, not {settings.on_drift!r}")
    settings.ignore_changes = ignore_defaults(project.get("ignore_changes", {}), first_path)
    details = drift_details if drift_details is not None else project.get("drift_details")
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
