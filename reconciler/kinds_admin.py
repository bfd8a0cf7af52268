"""The kinds table's entries for the account's configuration: activity types, labels, filters,
goals and webhooks (issue 27), kept beside the table (reconciler/kinds.py), which imports them.

Why a module of its own: the table is near its size limit, and these kinds bring rules and field
types of their own: activity types' and labels' vocabulary rules (reconciler/shape_rules.py); a filter's conditions (reconciler/filter_rules.py, calls in
reconciler/pipedrive/filters.py); a webhook's URL, and its HTTP auth password, which is named (an environment variable)
and never held. Their calls are reconciler/pipedrive/goalsapi.py and webhooksapi.py, which the
client dispatches to (client.OWN_CALLS); their sandbox routes reconciler/sandbox/pipedrive/goals.py
and webhooks.py.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from typing import Any

from reconciler import filter_rules, shape_rules
from reconciler.fieldtypes import (
    ACTIVITY_TYPE,
    DATE,
    ENUM,
    GOAL_STAGE,
    NUMBER,
    PIPELINES,
    STRING,
    TEAM,
    USER,
    FieldSpec,
    FieldType,
    as_bool,
)
from reconciler.fieldtypes.goals import stage_pipeline
from reconciler.fieldtypes.scalars import Text
from reconciler.kinds import KindHooks, KindSpec
from reconciler.normalize import NormalizeError
from reconciler.redact import register as register_secret

GOAL_TYPES = ("deals_won", "deals_progressed", "activities_completed", "activities_added", "deals_started",
              "revenue_forecast")  # AddGoalRequest.type.name
GOAL_INTERVALS = ("weekly", "monthly", "quarterly", "yearly")  # AddGoalRequestIntervalConst
ACTIVITY_GOALS = ("activities_completed", "activities_added")
DEAL_GOALS = ("deals_won", "deals_progressed", "deals_started", "revenue_forecast")
WEBHOOK_ACTIONS = ("create", "change", "delete", "*")  # AddWebhookRequestEventActionConst
WEBHOOK_OBJECTS = ("activity", "deal", "lead", "note", "organization", "person", "pipeline", "product", "stage",
                   "user", "*")  # AddWebhookRequestEventObjectConst
WEBHOOK_VERSIONS = ("1.0", "2.0")  # AddWebhookRequestVersionConst
URL_PATTERN = r"^https?://[^\s/$.?#][^\s]*$"
ENV_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class Url(Text):
    """A full http(s) URL (a webhook's subscription_url)."""

    name = "url"

    def schema(self, spec):
        return {"type": "string", "pattern": URL_PATTERN}, "A full http:// or https:// URL."

    def expectation(self, spec):
        return "a full http:// or https:// URL"

    def to_api(self, spec, value, ctx, declared, live):
        host = re.sub(r"^https?://([^/:?#]*).*$", r"\1", str(value), flags=re.IGNORECASE).lower()
        if host == "pipedrive.com" or host.endswith(".pipedrive.com"):
            raise NormalizeError(f"{value!r} is a Pipedrive URL, which Pipedrive refuses as a webhook's URL "
                                 "(AddWebhookRequest.subscription_url)")
        return value

    def match_value(self, spec, value):
        return value

    match_live = match_value


class SecretChanged:
    """The live side of a password whose digest differs from the lock's: another password."""

    def __repr__(self) -> str:
        return "(another password)"


CHANGED = SecretChanged()


@functools.lru_cache(maxsize=64)
def _stretched(secret: str) -> str:
    # slow on purpose: the lock keeps a short digest of this, never of the password itself, and
    # a guess costs 200,000 rounds (salted, so no table made for another tool fits)
    return hashlib.pbkdf2_hmac("sha256", secret.encode(), b"reconciler: webhook http auth password",
                               200_000).hex()


class PasswordFromEnv(FieldType):
    """The name of an environment variable holding a password (a webhook's HTTP auth password).

    The value itself is read when a body is written (reconciler/pipedrive/webhooksapi.py) and is
    never in a manifest, plan, plan file, lock or output. Pipedrive never answers it, so the live
    side is the lock's record: the digest of a slow, salted derivation of the password last applied
    (`from_lock`, read by the planner). A different password, under any variable name, is a change.
    """

    name = "environment variable"

    def schema(self, spec):
        return {"type": "string", "pattern": ENV_PATTERN}, ("The name of an environment variable (e.g. "
                                                            "HOOK_PASSWORD), never the password.")

    def expectation(self, spec):
        return "the name of an environment variable"

    def to_api(self, spec, value, ctx, declared, live):
        if not isinstance(value, str) or not re.match(ENV_PATTERN, value):
            raise NormalizeError(f"expected the name of an environment variable, got {value!r}")
        if value not in os.environ:
            raise NormalizeError(f"environment variable {value} is not set (it holds the webhook's HTTP auth "
                                 "password); set it and run again")
        register_secret(os.environ[value])
        return value

    def comparable(self, spec, value, like=None):
        if value is None or isinstance(value, SecretChanged):
            return value if value is None else "(another password)"
        secret = os.environ.get(value)
        return None if secret is None else _stretched(secret)

    def same(self, spec, desired, live):
        return not isinstance(live, SecretChanged) and desired == live

    def from_api(self, spec, value, ctx):
        return "(another password)" if isinstance(value, SecretChanged) else value

    def from_lock(self, spec: FieldSpec, desired: Any, recorded: str | None, digest: Any) -> Any:
        """The live value of a field Pipedrive never answers: the desired one when the lock's
        digest (`digest`: reconciler.drift's, handed over by the planner) says it was last
        applied, else a marker that it was not (a replace)."""
        if recorded is not None and digest(spec, desired) == recorded:  # None too: no password, as applied
            return desired
        return CHANGED

    def export(self, spec, value, ctx, obj):
        from reconciler.fieldtypes import Drop

        raise Drop("a webhook's password is never read back")


URL = Url()
PASSWORD_FROM_ENV = PasswordFromEnv()
GOAL_PARTS = {
    "assignee": ("assignee_user_id", "assignee_team_id"),
    "type": ("type_name", "pipeline_id", "stage_id", "activity_type"),
    "expected_outcome": ("target", "tracking_metric", "currency"),
    "duration": ("start", "end"),
}


def _goal_stage_problem(declared: dict, goal_type: Any) -> str | None:
    """A declared stage on a goal that cannot take it, or outside the goal's declared pipelines."""
    stage = declared.get("stage")
    if stage is None:
        return None
    if goal_type != "deals_progressed":
        return "declares a stage, which Pipedrive tracks only for deals_progressed goals (type.params.stage_id)"
    pipelines = declared.get("pipeline")
    names = pipelines if isinstance(pipelines, list) else [pipelines] if pipelines is not None else None
    if names is not None and stage_pipeline(stage) not in names:
        return (f"declares a stage of pipeline {stage_pipeline(stage)!r}, which is not among the goal's pipelines "
                f"({', '.join(map(repr, names))}): Pipedrive counts deals reaching it in those pipelines only")
    return None


class GoalHooks(KindHooks):
    """Goals: nested parts that an update replaces whole (each part's other keys are added to a
    change from the live goal), an assignee that is a user or a team, and rules of the official
    request model said at plan time rather than refused by Pipedrive at apply."""

    def plan_writes(self, declared_parent, live, writes):
        if live is None:
            return
        for keys in GOAL_PARTS.values():
            if any(k in writes for k in keys):
                for k in keys:
                    writes.setdefault(k, live.get(k))

    def check(self, declared, live, writes):
        if declared.get("assignee") is not None and declared.get("team") is not None:
            return "declares both assignee and team: a goal is assigned to a user or to a team", None
        if live is None and declared.get("assignee") is None and declared.get("team") is None:
            return "declares no assignee (a user's email) or team: Pipedrive needs one for a new goal", None
        goal_type = declared.get("type") or (live or {}).get("type_name")
        if declared.get("activity_type") is not None and goal_type not in ACTIVITY_GOALS:
            return (f"declares an activity_type, which Pipedrive tracks only for {' and '.join(ACTIVITY_GOALS)} "
                    "goals"), None
        if declared.get("pipeline") is not None and goal_type not in DEAL_GOALS:
            return f"declares a pipeline, which Pipedrive tracks only for deal goals ({', '.join(DEAL_GOALS)})", None
        stage_problem = _goal_stage_problem(declared, goal_type)
        if stage_problem:
            return stage_problem, None
        metric = declared.get("tracking_metric") or (live or {}).get("tracking_metric")
        if declared.get("currency") is not None and metric != "sum":
            return "declares a currency, which Pipedrive takes only for sum goals (tracking_metric: sum)", None
        if metric == "sum" and declared.get("currency") is None and not (live or {}).get("currency"):
            return "tracks a sum but declares no currency: Pipedrive needs one (expected_outcome.currency_id)", None
        return None, None

    def export(self, fields):
        if fields.get("team") is not None:
            fields.pop("assignee", None)


WEBHOOK_REPLACED = ("name", "subscription_url", "event_action", "event_object", "user_id", "version",
                    "http_auth_user")


class WebhookHooks(KindHooks):
    """Webhooks: Pipedrive cannot update one, so any change is a replace (delete, then create with
    every declared value: the old one's id is gone, the new one recorded), said in the plan; only
    general webhooks are exported (apps' and automations' belong to them)."""

    def plan_writes(self, declared_parent, live, writes):
        if live is None or not writes:
            return
        for key in WEBHOOK_REPLACED:  # the create of a replace sends the whole webhook
            writes.setdefault(key, live.get(key))

    def check(self, declared, live, writes):
        if live is None or not writes:
            return None, None
        env_name = declared.get("http_auth_password_env")
        if env_name and "http_auth_password_env" not in writes:
            writes["http_auth_password_env"] = env_name  # type: ignore[index]  # the replacement keeps it
        return None, None

    # the change's reason (plan.py): an update of a webhook is a replace, shown as such
    replaced = ("must be replaced: Pipedrive cannot update a webhook, so apply deletes it and creates it "
                "again (a new id; events between the two calls are not sent)")

    def exportable(self, obj):
        return obj.get("type") in (None, "general")

    def ready(self, writes) -> str | None:
        """A saved plan applied where its password variable is not set: refused before any write."""
        env_name = writes.get("http_auth_password_env")
        if env_name and env_name not in os.environ:
            return f"environment variable {env_name} is not set (it holds the webhook's HTTP auth password)"
        return None


GOAL_KIND = KindSpec(
    name="goal",
    section="goals",
    title_field="title",
    fields=(
        FieldSpec("title", STRING, "title", "The goal's title, as shown in Pipedrive's Insights; its natural match "
                  "key: a goal of this title is adopted. Removing a goal (or `absent: true`) deletes it, with no "
                  "opt-in: a goal holds no records (its progress is counted from deals and activities, which "
                  "stay), and declaring it again recreates it.", nullable=False),
        FieldSpec("assignee", USER, "assignee_user_id", "The user the goal is assigned to, by email (or `team`)."),
        FieldSpec("team", TEAM, "assignee_team_id", "The team the goal is assigned to, instead of a user, by name "
                  "(Pipedrive's teams, in Settings > Teams; an id is taken too). A team renamed in Pipedrive is "
                  "still the same team (the lock records its id), and `pull` writes its new name."),
        FieldSpec("type", ENUM, "type_name", "What is tracked: deals_won, deals_progressed, deals_started, "
                  "revenue_forecast (deals), activities_completed or activities_added (activities).",
                  choices=GOAL_TYPES, nullable=False),
        FieldSpec("pipeline", PIPELINES, "pipeline_id", "Deal goals: the pipeline tracked, by name, or a list of "
                  "pipelines (in any order; null or left out: every pipeline). They may be ones the same apply "
                  "creates."),
        FieldSpec("stage", GOAL_STAGE, "stage_id", "deals_progressed goals only: the stage deals must reach, as "
                  "{pipeline, stage} by name; the pipeline must be among the goal's `pipeline` when that is "
                  "declared. It may be one the same apply creates."),
        FieldSpec("activity_type", ACTIVITY_TYPE, "activity_type", "Activity goals: the activity type tracked, by "
                  "name or key (null or left out: every type). It may be one the same apply creates."),
        FieldSpec("target", NUMBER, "target", "The expected outcome: how many (quantity) or how much (sum).",
                  nullable=False),
        FieldSpec("tracking_metric", ENUM, "tracking_metric", "quantity (a count) or sum (of deal values, in "
                  "`currency`).", choices=("quantity", "sum"), nullable=False),
        FieldSpec("currency", STRING, "currency", "Sum goals only: the currency of the target, an ISO 4217 code the "
                  "account has (e.g. EUR)."),
        FieldSpec("interval", ENUM, "interval", "The period each result is counted over.", choices=GOAL_INTERVALS,
                  nullable=False),
        FieldSpec("start", DATE, "start", "The first day of the goal, YYYY-MM-DD.", nullable=False),
        FieldSpec("end", DATE, "end", "The last day of the goal, YYYY-MM-DD; null for an open-ended goal."),
    ),
    v1_path="/api/v1/goals",  # v1 only: Pipedrive has no v2 goals
    v2_path=None,
    match_keys=(("title",),),
    required_on_create=("title", "type", "target", "tracking_metric", "interval", "start"),
    order=-1,
    shape=True,
    id_type=str,
    id_pattern=r"^[0-9a-zA-Z]{1,64}$",
    hooks=GoalHooks(),
)

WEBHOOK_KIND = KindSpec(
    name="webhook",
    section="webhooks",
    title_field="name",
    fields=(
        FieldSpec("name", STRING, "name", "The webhook's name, as shown in Pipedrive's webhook settings. Pipedrive "
                  "cannot update a webhook: any change is a replace (-/+ in the plan: deleted, then created, with a "
                  "new id). Removing one (or `absent: true`) deletes it, with no opt-in: it holds no data, and "
                  "declaring it again recreates it. Webhooks the manifests did not create or export are never "
                  "adopted, changed or deleted, except the one the web UI creates when it edits a declared webhook "
                  "(deleting it and creating another with the same URL and events): that one is followed, its id "
                  "recorded and its changed values drift.", nullable=False),
        FieldSpec("url", URL, "subscription_url", "Where Pipedrive sends the events: a full http(s) URL (not a "
                  "Pipedrive API URL).", nullable=False),
        FieldSpec("event_action", ENUM, "event_action", "The action notified: create, change, delete or * (all).",
                  choices=WEBHOOK_ACTIONS, nullable=False),
        FieldSpec("event_object", ENUM, "event_object", "The object notified: activity, deal, lead, note, "
                  "organization, person, pipeline, product, stage, user or * (all).", choices=WEBHOOK_OBJECTS,
                  nullable=False),
        FieldSpec("user", USER, "user_id", "The user whose permissions the events are checked against, by email "
                  "(left out: the API user)."),
        FieldSpec("version", ENUM, "version", "The webhook payload version, \"1.0\" or \"2.0\" (quote it; "
                  "Pipedrive's default is 2.0).", choices=WEBHOOK_VERSIONS, nullable=False),
        FieldSpec("http_auth_user", STRING, "http_auth_user", "The HTTP basic auth user Pipedrive sends with each "
                  "event, if the URL needs one."),
        FieldSpec("http_auth_password_env", PASSWORD_FROM_ENV, "http_auth_password_env", "The name of the "
                  "environment variable holding the HTTP basic auth password (e.g. HOOK_PASSWORD); the password is "
                  "read at plan and apply and never written anywhere. A missing variable stops plan and apply. "
                  "Pipedrive never answers it: the lock keeps a digest of a salted, slow derivation of it, so a new "
                  "password is a change (a replace). Export leaves it out."),
    ),
    v1_path="/api/v1/webhooks",  # v1 only
    v2_path=None,
    match_keys=(),  # never adopted: a webhook the manifests did not create or export is another integration's
    # ... except the one the UI made when it "edited" ours (delete, create): same events, same place
    recreated_by=("subscription_url", "event_action", "event_object"),
    required_on_create=("name", "url", "event_action", "event_object"),
    order=-1,
    shape=True,
    hooks=WebhookHooks(),
)


class FilterHooks(KindHooks):
    """Filters: calls of their own (reconciler/pipedrive/filters.py), rules in reconciler/filter_rules.py."""

    def plan_writes(self, declared_parent, live, writes):
        filter_rules.plan_writes(live, writes)

    def check(self, declared, live, writes):
        return filter_rules.check(declared, live, writes), None


FILTER_KIND = KindSpec(name="filter", section="filters", title_field="name", fields=filter_rules.FIELDS,
                      v1_path="/api/v1/filters", v2_path=None, match_keys=(("type", "name"),),
                      required_on_create=("name", "type"), order=6, shape=True, hooks=FilterHooks())


class ActivityTypeHooks(KindHooks):
    """Activity types: Pipedrive's v1 activityTypes, with calls of their own
    (reconciler/pipedrive/activitytypes.py, which the client
    dispatches to); activities name a type by key or name, so a
    declared type is entered into the planned vocabulary, with its key known after apply when
    this plan creates it. Only the account's own types are exported (not Pipedrive's defaults)."""

    def read(self, record, out, version):
        out["key_string"] = record.get("key_string")
        out["is_custom"] = as_bool(record.get("is_custom_flag"))

    def declare(self, schema, res, target, live, ctx):
        shape_rules.declare_activity_type(schema, res, target, live)

    def exportable(self, obj):
        return bool(obj.get("is_custom"))


class LabelHooks(KindHooks):
    """Labels: deal, person and organization labels are options of each one's standard `label`
    field, lead labels have their own endpoint (reconciler/pipedrive/labelsapi.py, which the client dispatches to); records name
    them by name, so a declared label is entered into the planned vocabulary, with its id known
    after apply when this plan creates it."""

    def check(self, declared, live, writes):
        return shape_rules.check_label(declared, live), None

    def validate(self, declared):
        entity = declared.get("kind")
        if entity in shape_rules.LABEL_FIELD_ENTITIES and declared.get("color") is not None:
            return "color", shape_rules.label_colour_problem(entity)
        return None

    def declare(self, schema, res, target, live, ctx):
        shape_rules.declare_label(schema, res, target, live)

    def export_key(self, obj, slug):
        return f"{obj.get('entity')}-{slug}"  # a deal's Hot and a lead's Hot are two labels


# Pipedrive's icons for activity types (the official ActivityTypeIconKeyConst, npm pipedrive 33.x)
ACTIVITY_ICONS = (
    "task", "email", "meeting", "deadline", "call", "lunch", "calendar", "downarrow", "document", "smartphone",
    "camera", "scissors", "cogs", "bubble", "uparrow", "checkbox", "signpost", "shuffle", "addressbook",
    "linegraph", "picture", "car", "world", "search", "clip", "sound", "brush", "key", "padlock", "pricetag",
    "suitcase", "finish", "plane", "loop", "wifi", "truck", "cart", "bulb", "bell", "presentation",
)

ACTIVITY_TYPE_KIND = KindSpec(
    name="activity_type",
    section="activity_types",
    title_field="name",
    fields=(
        FieldSpec("name", STRING, "name", "The activity type's name, as shown in Pipedrive; activities name it in "
                  "`type:` (by this name or by its key). Its natural match key: an active type of this name is "
                  "adopted, and renaming one keeps its key, so its activities keep it. Pipedrive deactivates a type "
                  "rather than deleting it: `absent: true` (or leaving a managed type out) deactivates it, past "
                  "activities keep it, and declaring its name again creates a new active type (Pipedrive's API "
                  "cannot reactivate one).", nullable=False),
        FieldSpec("icon_key", ENUM, "icon_key", "The icon shown for the type, one of Pipedrive's icon names.",
                  choices=ACTIVITY_ICONS, nullable=False),
        FieldSpec("color", STRING, "color", "The icon's colour, six hexadecimal digits (e.g. FFC107).",
                  nullable=False),  # CANNOT_CLEAR
    ),
    v1_path="/api/v1/activityTypes",  # v1 only: Pipedrive has no v2 activity types
    v2_path=None,
    match_keys=(("name",),),
    required_on_create=("name", "icon_key"),
    order=-4,
    shape=True,
    deleted_as="deactivated",  # Pipedrive's DELETE /v1/activityTypes/{id} sets active_flag false
    hooks=ActivityTypeHooks(),
)

LABEL_KIND = KindSpec(
    name="label",
    section="labels",
    title_field="name",
    fields=(
        FieldSpec("kind", ENUM, "entity", "What the label is for: deal, person, organization or lead. It cannot "
                  "change.", choices=("deal", "person", "organization", "lead"), nullable=False),
        FieldSpec("name", STRING, "name", "The label's name, as shown in Pipedrive; records name it in `labels:`. "
                  "Matched together with kind to adopt an existing label; renaming one keeps its id, so every "
                  "record keeps it. Deleting one (`absent: true`, or leaving a managed label out) takes it off "
                  "every record that has it.", nullable=False),
        FieldSpec("color", ENUM, "color", "Lead labels only, and required for a new one: one of Pipedrive's ten "
                  "label colours. Pipedrive's API sets no colour on deal, person or organization labels (no current "
                  "v1 or v2 route writes one): `validate` refuses it there; pick the colour in Pipedrive.",
                  choices=("blue", "brown", "dark-gray", "gray", "green", "orange", "pink", "purple", "red",
                           "yellow"), nullable=False),
    ),
    v1_path=None,
    v2_path=None,
    match_keys=(("kind", "name"),),
    required_on_create=("kind", "name"),
    order=-4,
    shape=True,
    id_type=str,
    id_pattern=r"^((deal|person|organization):[0-9]+|lead:[0-9a-f-]{36})$",
    hooks=LabelHooks(),
)
