"""Filters' fields and rules for the kinds table (reconciler/kinds.py keeps only their entry).

Why a module: the kinds table is near its size limit; a filter's fields, what Pipedrive refuses
and what export leaves out are data and small functions that need no call. The calls are
reconciler/pipedrive/filters.py's, the conditions' names-to-ids knowledge
reconciler/fieldtypes/conditions.py's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from reconciler.fieldtypes import ENUM, STRING, FieldSpec
from reconciler.fieldtypes.conditions import CONDITIONS, OPTION_TYPES, OWN_OBJECT, operators_for

if TYPE_CHECKING:
    from reconciler.manifest.model import Manifest, Problem

# the official AddFilterRequestTypeConst
FILTER_TYPES = ("deals", "leads", "org", "people", "products", "activity", "projects")
# Types refused at validate: a filter's conditions name fields of the five objects the official
# description lists (person, deal, organization, product, activity: AddFilterRequest.conditions),
# none of them a lead's or a project's, and no lead or project field list says which ids such a
# filter's conditions take. Such filters made in Pipedrive are left alone (reconciler/pipedrive/filters.py).
UNSUPPORTED_TYPES = {"leads": "a lead's", "projects": "a project's"}

FIELDS = (
    FieldSpec("name", STRING, "name", "The filter's name, as people pick it in Pipedrive's lists. Matched together "
              "with type to adopt a filter the API user can edit (Pipedrive's own filters, temporary ones and those "
              "the API user cannot edit are never read, adopted, exported or changed); renaming one keeps its id. "
              "`absent: true` (or leaving a managed filter out) deletes it without --allow-data-loss: a filter holds "
              "no records and its whole definition stays in the manifests' history (`protect: true` guards one). "
              "Pipedrive's API cannot set a filter's visibility, so it is not declared.", nullable=False),
    FieldSpec("type", ENUM, "type", "What the filter lists: deals, org, people, products or activity. It cannot "
              "change (Pipedrive's update takes no type). Pipedrive also has leads and projects filters; validate "
              "refuses them: the objects Pipedrive's filter conditions name (person, deal, organization, product, "
              "activity) include no lead or project, so what their conditions take is not documented.",
              choices=FILTER_TYPES, nullable=False),
    FieldSpec("conditions", CONDITIONS, "conditions", "Which records the filter lists. A condition is about the "
              "filter's own object unless `object` says deal, person, organization, product or activity (an "
              "activity type by its name, as fields' options are); at most 16 in all. Operators as Pipedrive names them: =, !=, "
              "<, >, <=, >=, LIKE '$%' (starts with), LIKE '%$%' (contains), NOT LIKE '$%', IS NULL, IS NOT NULL "
              "(no value); which ones a field takes depends on its type: checked by validate for custom fields the "
              "manifests declare, by plan for the account's fields (names of fields, options, stages, users too).",
              nullable=False),
)


def plan_writes(live: Mapping[str, Any] | None, writes: dict[str, Any]) -> None:
    """Pipedrive's update requires the conditions (UpdateFilterRequest.conditions): a rename alone
    sends the live ones back, unchanged."""
    if live is not None and writes and "conditions" not in writes:
        writes["conditions"] = live.get("conditions") or {"all": [], "any": []}


def check(declared: Mapping[str, Any], live: Mapping[str, Any] | None, writes: Mapping[str, Any]) -> str | None:
    """What Pipedrive would refuse, said at plan time."""
    if live is not None and "type" in writes:
        return (f"is a filter of {live.get('type')} in Pipedrive, the manifests say {declared.get('type')}: a "
                "filter's type cannot change; declare a new filter (another key) and remove this one")
    return None


def condition_problems(manifest: Manifest) -> list[Problem]:
    """What validate can tell offline: a lead or project filter (FILE:LINE of `type`), and conditions
    naming a custom field the manifests declare with an operator that does not fit its type or an
    option it does not have (FILE:LINE of `conditions`). Fields the manifests do not declare are
    Pipedrive's or the account's: checked at plan time."""
    from reconciler.manifest.model import Problem

    # custom fields and filters by their kinds' names: this module is those kinds' rules
    declared = {(res.fields.get("kind"), res.fields.get("name")): res for res in manifest.resources
                if res.kind == "custom_field" and not res.absent}
    problems = []
    for res in manifest.resources:
        if res.kind == "filter" and not res.absent and res.fields.get("type") in UNSUPPORTED_TYPES:
            filter_type = res.fields["type"]
            problems.append(Problem(res.field_pos.get("type", res.pos), f"filter '{res.key}': filters of "
                                    f"{filter_type} are not supported: Pipedrive's filter conditions name fields of "
                                    "person, deal, organization, product or activity (AddFilterRequest.conditions), "
                                    f"not {UNSUPPORTED_TYPES[filter_type]}, so what such a filter's conditions "
                                    "take is not documented; make it in Pipedrive (reconciler leaves it alone)"))
            continue
        if res.kind != "filter" or res.absent or not isinstance(res.fields.get("conditions"), Mapping):
            continue
        own = OWN_OBJECT.get(str(res.fields.get("type")), "deal")
        for group in ("all", "any"):
            for item in res.fields["conditions"].get(group) or []:
                field = declared.get((item.get("object") or own, item.get("field")))
                if field is None:
                    continue
                field_type = str(field.fields.get("type"))
                labels = [str(o) for o in field.fields.get("options") or []]
                where = res.field_pos.get("conditions", res.pos)
                if item["operator"] not in operators_for(field_type):
                    problems.append(Problem(where, f"filter '{res.key}': operator {item['operator']!r} does not fit "
                                                   f"field {item['field']!r} ({field_type}): Pipedrive takes "
                                                   f"{', '.join(operators_for(field_type))}"))
                elif field_type in OPTION_TYPES and item.get("value") is not None and str(item["value"]) not in labels:
                    problems.append(Problem(where, f"filter '{res.key}': field {item['field']!r} has no option "
                                                   f"{item['value']!r} (options: {', '.join(map(repr, labels))})"))
    return problems
