"""The ONE list of the sandbox's deliberate differences from Pipedrive's official models.

Every difference the conformance check finds (tests/conformance/checker.py: a field the model
names that the answer lacks, a field the answer adds, a wrong type, a null where the model says
none) must match a rule here, with the reason. A rule that matches nothing is stale and fails
the suite too, so this list always says exactly where the sandbox is not Pipedrive.

A rule is (API version, model name pattern, field name pattern, kind, reason); patterns are
full-match regular expressions. Kinds: missing, extra, type, null.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HASH = r"[0-9a-f]{40}(_[a-z_0-9]+)?"
COUNTS = (r"(activities|done_activities|undone_activities|email_messages|files|followers|notes|participants|"
          r"products|people|(related_)?(open|closed|won|lost)_deals)_count")
ACTIVITY_SUMMARY = r"(next|last)_activity(_id|_date|_time)?|last_(incoming|outgoing)_mail_time"
V1_DEAL = r"Deal|DealNonStrictWithDetails"
V1_ORG = r"BaseOrganizationItem|BaseOrganizationItemWithEditNameFlag|GetOrganizationItem"
V1_PERSON = r"Person"


@dataclass(frozen=True)
class Rule:
    version: str
    model: str
    field: str
    kind: str
    reason: str

    def matches(self, version: str, model: str, field: str, kind: str) -> bool:
        return (
            self.version == version
            and self.kind == kind
            and re.fullmatch(self.model, model) is not None
            and re.fullmatch(self.field, field) is not None
        )


RULES: tuple[Rule, ...] = (
    # ---- v2 (Pipedrive's current API, what reconciler uses by default)
    Rule("v2", r"Get(Deal|Person|Organization|Activity)Fields200ResponseDataInner",
         r"ui_visibility|important_fields|required_fields", "missing",
         "answered only when include_fields asks for them (the official include_fields enum of the v2 "
         "*Fields endpoints; product fields use the activity fields' model); the include_fields pass checks "
         "their shapes"),
    Rule("v2", r"Deal", r"source_lead_id", "missing",
         "only with include_fields=source_lead_id (official model description); no deal comes from a lead "
         "in the sandbox"),
    Rule("v2", r"Deal", r"creator_user_id|local_(won|lost|close)_date", "extra",
         "kept from the sandbox's first v2 deal shape (v1 deals carry them too); the v2 model omits them and "
         "reconciler reads none of them"),
    Rule("v2", r"Deal", r"notes_count|products_count", "extra",
         "asked for with include_fields (the pass asks for notes_count and products_count); the answer model "
         "names only source_lead_id of the official include_fields values"),
    Rule("v2", r"GetProductSearchResponseAllOfDataItemsInnerItem", r"code", "type",
         "the product search item's model types code as a number, but a product's code is text (the product "
         "models type it as a string, and codes such as 'CW-1' are common); the sandbox answers the code as stored"),
    Rule("v2", r"LeadSearchItemItem", r"was_seen", "extra",
         "asked for with include_fields=lead.was_seen (an official value of the lead search); the item model "
         "does not name the field it adds"),
    Rule("v2", r"Deal", r"archive_time", "extra",
         "the v2 request models take archive_time; the answer echoes it so a client can read back what it "
         "wrote (the answer model names only is_archived)"),
    Rule("v2", r"GetConvertResponse1Data", r"lead_id", "missing",
         "the status model is shared with deal-to-lead conversion, where lead_id is 'the ID of the new lead'; "
         "converting a lead to a deal makes no lead, so the answer has deal_id only"),
    # ---- v1 custom fields and deliberate v1 shapes
    Rule("v1", r"Deal|DealNonStrictWithDetails|Person|BaseOrganizationItem(WithEditNameFlag)?|GetOrganizationItem|"
               r"Lead|GetMergedDealResponseData|MergePersonItem",
         HASH, "extra",
         "v1 puts custom fields at the root keyed by their 40-hex hash (with _currency and similar "
         "siblings), leads included ('the fields' values will be included in the response in the same format "
         "as with the Deals endpoints'); a generated model cannot name per-account keys"),
    Rule("v1", r"DealPersonDataWithIdAllOfPhoneInner|PersonAllOfPhoneInner|PhoneData|DealParticipantItemPersonIdPhoneInner",
         r"label", "missing",
         "an empty phone list is answered as [{value: '', primary: true}] without label, as Pipedrive's v1 does"),
    Rule("v1", r"GetFieldsResponseAllOfAdditionalData", r"start|limit|more_items_in_collection", "missing",
         "v1 field lists page like every other v1 list (additional_data.pagination), which reconciler's "
         "v1 paging reads; the model's flat block is not what the other v1 lists answer"),
    Rule("v1", r"GetFieldsResponseAllOfAdditionalData", r"pagination", "extra",
         "see the rule above: the pagination block of every v1 list"),
    Rule("v1", r"AdditionalData|GetActivitiesResponseAdditionalDataPagination|"
               r"GetLeadSearchResponseAllOfAdditionalDataPagination", r"next_start", "missing",
         "next_start is answered only when there is a next page (more_items_in_collection true)"),
    Rule("v1", r"BaseUser|GetCurrentUserResponseAllOfData", r"is_admin", "extra",
         "the v1 users answer carries is_admin (0/1) next to access[]; kept for clients that read it"),
    Rule("v1", r"Note", r"pinned_to_lead_flag", "extra",
         "the sandbox keeps the lead pin flag beside the deal/person/organization ones"),
    Rule("v1", r"GetProductFieldsResponseDataInner|GetProductFieldResponseData", r"field_type", "type",
         "system product fields have types (boolean, price_list, billing_frequency, visible_to) that the merged "
         "model's enum lacks: it intersects the answer enum (GetFieldAllOf, which lists them) with the "
         "request enum of ProductField"),
    Rule("v1", r"UpsertNoteResponse|GetActivityResponse", r"additional_data", "extra",
         "answered as an empty object, as the other v1 single-object answers do"),
    # ---- the deprecated v1 surface (410 unless served with --serve-deprecated-v1)
    Rule("v1", r"GetItemSearchFieldResponseAllOfDataInner", r"\$field_key", "missing",
         "the model names the matched field as the placeholder $field_key; the answer uses the field's own key"),
    Rule("v1", r"GetItemSearchFieldResponseAllOfDataInner", r"title|name|" + HASH, "extra",
         "the matched field under its own key (title, name or a custom field's hash), which the model's "
         "$field_key stands for"),
    Rule("v1", V1_DEAL + "|" + V1_ORG + "|" + V1_PERSON, COUNTS + "|" + ACTIVITY_SUMMARY, "missing",
         "the sandbox keeps no counters of related objects, mail or activity summaries on the deprecated v1 "
         "answers"),
    Rule("v1", V1_DEAL, r"(acv|arr|mrr)_currency", "missing",
         "no products in the sandbox, so no recurring-revenue currencies"),
    Rule("v1", r"DealNonStrictWithDetails",
         r"age|average_stage_progress|average_time_to_won|stay_in_pipeline_stages|last_activity|next_activity",
         "missing", "deal statistics of the v1 detail answer are not modelled"),
    Rule("v1", V1_DEAL, r"local_(won|lost|close)_date", "extra",
         "the same derived dates as in v2, kept on the deprecated v1 answer"),
    Rule("v1", r"DealAllOfCreatorUserId|DealUserDataWithId", r"has_pic", "type",
         "v1 answers has_pic as 0/1 in nested users, as Pipedrive's v1 does; the model says boolean"),
    Rule("v1", r"GetDealResponseAdditionalData|GetOrganizationResponseAllOfAdditionalData|"
               r"GetPersonDetailsResponseAllOfAdditionalData", r"dropbox_email|followers", "missing",
         "no Smart BCC mailbox and no followers in the sandbox"),
    Rule("v1", V1_ORG + "|" + V1_PERSON, r"delete_time", "extra",
         "the time a deleted object was deleted (null otherwise), kept on the deprecated v1 answers"),
    Rule("v1", r"BaseOrganizationItemWithEditNameFlag|GetOrganizationItem", r"edit_name|last_activity|next_activity",
         "missing", "organization detail extras of the deprecated v1 answer are not modelled"),
    Rule("v1", r"GetOrganizationsResponseAllOfRelatedObjects", r"organization|picture", "missing",
         "the deprecated v1 organization list answers only the owners in related_objects"),
    Rule("v1", r"GetProductsResponseAllOfRelatedObjects", r"organization", "extra",
         "the deprecated v1 person list's related_objects model (shared with products) lacks organizations, "
         "which the sandbox includes for the persons' organizations"),
    Rule("v1", r"OrganizationDataWithId|PersonDataWithID", r"active_flag", "extra",
         "related objects carry active_flag so a client can tell a deleted reference"),
    Rule("v1", r"Activity",
         r"calendar_sync_include_context|conference_meeting_id|gcal_event_id|google_calendar_(etag|id)|"
         r"last_notification_(time|user_id)|notification_language_id|rec_master_activity_id|rec_rule(_extension)?|"
         r"series|(person|deal)_dropbox_bcc", "missing",
         "calendar sync, notifications, recurrence and mail drop boxes are not modelled"),
    Rule("v1", r"Activity", r"location_[a-z_0-9]+", "missing",
         "the deprecated v1 activity answers its location as one string, without the address parts"),
    Rule("v1", r"Activity", r"type_name", "extra", "the activity type's display name, kept for readers"),
    Rule("v1", r"Activity",
         r"note|reference_(type|id)|conference_meeting_(client|url)|update_user_id|source_timezone|org_name|file",
         "null", "empty values are answered as null, as Pipedrive's v1 does; the v1 model declares them "
                 "non-null"),
    Rule("v1", r"ActivityType", r"color", "null", "the default activity types have no colour (null)"),
    Rule("v1", r"AddActivityResponse", r"additional_data", "missing",
         "the deprecated v1 create answer has no additional_data block in the sandbox"),
    Rule("v1", r"AddActivityResponseRelatedObjects|GetActivitiesResponseRelatedObjects", r"deal", "missing",
         "related_objects of activities list users and persons only"),
    Rule("v1", r"GetStageResponseData|PipelineDetails", r"deals_summary", "missing",
         "no deal summaries (totals per currency and stage) in the sandbox"),
    Rule("v1", r"GetStageResponseData", r"pipeline_name|pipeline_deal_probability", "extra",
         "the stage list's pipeline fields, kept on the single-stage answer too"),
    Rule("v1", r"FilterConditionsConditionsInnerConditionsInner", r"field_code", "missing",
         "a filter condition's field_code is present only when include_field_code=true asks for it, as the "
         "official model says"),
    Rule("v1", r"GoalExpectedOutcome", r"currency_id", "extra",
         "a sum goal's currency: AddGoalRequest documents expected_outcome.currency_id for sum goals, and the "
         "answer gives back what was set; the answer model names target and tracking_metric only"),
    Rule("v1", r"BaseTeam", r"users", "missing",
         "a team's member ids are left out when skip_users=1 asks ('When enabled, the teams will not include IDs "
         "of member users', the official getTeams parameter); the pass asks for it once"),
    Rule("v1", r"GoalTypeParams", r"stage_id", "extra",
         "a deals_progressed goal's stage: AddGoalRequest's type says params can include stage_id ('related to "
         "only deals_progressed type of goals') and find filters on type.params.stage_id, so the answer gives "
         "back what was set (on deals_progressed goals only); the answer model names pipeline_id and "
         "activity_type_id only"),
    Rule("v2", r"Deal|Person|OrganizationItem", r"followers_count", "extra",
         "asked for with include_fields=followers_count (an official include_fields value; the pass asks for it "
         "after a follower write); the answer models do not name it"),
)


def rule_for(version: str, model: str, field: str, kind: str) -> Rule | None:
    for rule in RULES:
        if rule.matches(version, model, field, kind):
            return rule
    return None
