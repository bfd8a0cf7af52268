"""The markdown plan as a pull-request comment: hostile values stay inert, the size stays capped (issue 18).

Why: values come from manifests and from the live account, so whoever can edit a deal's
title writes into the comment reviewers read before merging. Before, values went in raw:
`@user` pinged people, `</details>` broke the fold and `<!--` hid every later row,
deletes included; and a plan of 802 changes came to 74,118 characters, over GitHub's
65,536, so the comment step failed.

The comment is checked the way a reader sees it: rendered to HTML by markdown-it-py (a
CommonMark parser with GFM tables, which rich already depends on), then read with the
standard library's HTMLParser. A hostile value must appear only as text inside <code>
or <pre> (where GitHub and GitLab make no mentions or references), no HTML tag or
comment may come from a value, and every change's address must be visible.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from reconciler.config import ConfigError
from reconciler.plan import Change, Plan
from reconciler.render.markdown import DEFAULT_LIMIT, code_span, markdown_limit, plan_url, render_markdown
from tests.conftest import check_plan_json

HOSTILE = [
    "@octocat please review",
    "</details><b>bold</b>",
    "<!-- everything after this is hidden",
    "| a | b |\n|---|---|",
    "```",
    "~~~",
    "`code` and ``more``",
    "#1 !2 ~bug %v1 $3 &4",
    "<script>alert(1)</script>",
    "[click](javascript:alert(1)) ![img](http://x/y.png)",
    "bidi \u202eevil\u202c and zero\u200bwidth",
    "line one\nline two\r\nthree\u2028four",
    "\x1b[31mred\x1b[0m and \x9b31m",
    "<details><summary>fake</summary>",
    "**bold** _it_ <br> &amp; &#64;",
]
GITHUB_LIMIT = 65_536


class _Reader(HTMLParser):
    """Text outside <code>/<pre>, every start/end tag, and comments, from rendered HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.outside: list[str] = []
        self.all_text: list[str] = []
        self.tags: list[str] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in ("code", "pre"):
            self.depth += 1

    def handle_endtag(self, tag):
        self.tags.append("/" + tag)
        if tag in ("code", "pre"):
            self.depth -= 1

    def handle_data(self, data):
        self.all_text.append(data)
        if not self.depth:
            self.outside.append(data)

    def handle_comment(self, data):
        self.comments.append(data)


def read(markdown: str) -> _Reader:
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader


def hostile_plan(count: int = len(HOSTILE) * 2, deletes_every: int = 7) -> Plan:
    changes = []
    for i in range(count):
        value, other = HOSTILE[i % len(HOSTILE)], HOSTILE[(i + 1) % len(HOSTILE)]
        kind = ("organization", "person", "deal", "note", "activity")[i % 5]
        if i % deletes_every == 0:
            changes.append(Change("delete", kind, f"gone-{i}", i + 1, reason="removed from manifests"))
        elif i % 2:
            changes.append(Change("update", kind, f"k-{i}", i + 1, fields={
                "title": {"before": value, "after": other},
                "fields.Lead source": {"before": value, "after": None},
                "value": {"before": i, "after": i + 1},
            }))
        else:
            changes.append(Change("create", kind, f"k-{i}", None, fields={
                "title": {"after": value}, "fields.Interests": {"after": [value, other]},
            }))
    return Plan(changes=changes, unchanged=3, account={"company_id": 7, "company_name": "@team </details> <!--"},
                stats={"api_calls": 12, "tokens": 80})


def addresses(plan: Plan) -> list[str]:
    return [c.address for c in plan.changes]


def test_hostile_values_render_as_inert_text() -> None:
    plan = hostile_plan()
    check_plan_json(json.loads(json.dumps(plan.to_json(), default=str)))
    markdown = render_markdown(plan, url="")
    reader = read(markdown)
    outside = "".join(reader.outside)
    assert "@" not in outside, "a value reached text where GitHub and GitLab make mentions"
    assert not re.search(r"(^|\s)[#!~%$&]\d", outside), "a value reached text where GitLab makes references"
    assert reader.comments == [], "an HTML comment came from a value"
    assert set(reader.tags) <= {"h3", "/h3", "h4", "/h4", "p", "/p", "strong", "/strong", "code", "/code", "pre",
                                "/pre", "sub", "/sub", "ul", "/ul", "li", "/li", "details", "/details", "summary",
                                "/summary"}, reader.tags
    assert reader.tags.count("details") == reader.tags.count("/details") <= 1, "only the fold's own tags"
    text = "".join(reader.all_text)
    for address in addresses(plan):
        assert address in text, f"{address} is hidden from the reader"
    assert "\x1b" not in markdown and "\x9b" not in markdown and "\u202e" not in markdown
    assert "\\u202e" in markdown and "\\u001b" in markdown, "invisible characters are written out"


def test_hostile_values_inside_the_fold_cannot_break_it() -> None:
    plan = hostile_plan(count=60, deletes_every=1000)  # one delete, the rest in one <details>
    markdown = render_markdown(plan, url="")
    reader = read(markdown)
    assert reader.tags.count("details") == 1 and reader.tags.count("/details") == 1
    assert reader.comments == []
    text = "".join(reader.all_text)
    for address in addresses(plan):
        assert address in text


def test_the_company_name_is_shown_as_code() -> None:
    markdown = render_markdown(hostile_plan(), url="")
    assert "Account: `@team </details> <!--` (company 7)" in markdown
    assert code_span("a `b` c") == "``a `b` c``"
    assert code_span("`x`") == "`` `x` ``"
    reader = read(code_span("``` @x </details> <!--"))
    assert reader.comments == [] and "@" not in "".join(reader.outside)


def test_a_thousand_changes_fit_under_the_smaller_platform_limit() -> None:
    plan = hostile_plan(count=1000, deletes_every=50)
    markdown = render_markdown(plan, url="https://ci.example/runs/1")
    size = len(markdown.encode("utf-8"))
    assert size <= DEFAULT_LIMIT < GITHUB_LIMIT and len(markdown) <= GITHUB_LIMIT
    assert size > DEFAULT_LIMIT * 0.9, "the cap is used, not wasted"
    deletes = [c.address for c in plan.changes if c.action == "delete"]
    first_delete = markdown.index("#### Deletes (20)")
    for address in deletes:  # every delete, first, before any other change
        assert address in markdown[first_delete:markdown.index("Other changes") if "Other changes" in markdown
                                   else markdown.index("<details>")]
    shown = len(re.findall(r"^[-+~] \S+ \(id \d+\) will|^[-+~] \S+ will", markdown, re.M))
    left = int(re.search(r"\*\*(\d+) more changes not shown\*\*", markdown).group(1))
    assert shown + left == 1000
    per_kind = re.findall(r"^- (\w+): (.*)$", markdown, re.M)
    assert sum(int(n) for _, counts in per_kind for n in re.findall(r"(\d+) to", counts)) == left
    assert "[the CI job's artifacts](https://ci.example/runs/1)" in markdown
    reader = read(markdown)
    assert reader.comments == [] and "@" not in "".join(reader.outside)


@pytest.mark.parametrize("limit", [2_000, 5_000, 20_000])
def test_any_limit_is_kept_and_deletes_still_come_first(limit: int) -> None:
    plan = hostile_plan(count=400, deletes_every=3)  # 134 deletes: not all fit in 2,000 bytes
    markdown = render_markdown(plan, limit=limit, url="")
    assert len(markdown.encode("utf-8")) <= limit
    body = markdown.split("#### Deletes", 1)[1]
    lines = [line for line in body.splitlines() if re.match(r"[-+~] \S", line)]
    assert lines and lines[0].startswith("- "), "the first change shown is a delete"
    kinds = [line[0] for line in lines if " will " in line]
    assert kinds == sorted(kinds, key=lambda s: s != "-"), "no other change before the last delete shown"


def test_drifted_fields_come_first_with_the_deletes() -> None:
    plan = Plan(changes=[
        Change("create", "deal", "new", None, fields={"title": {"after": "New"}}),
        Change("update", "deal", "edited-in-ui", 4, fields={"value": {"before": 5, "after": 6, "drift": True}}),
        Change("delete", "deal", "gone", 9),
    ])
    markdown = render_markdown(plan, url="")
    assert "#### Deletes and drift (2)" in markdown
    assert markdown.index("deal.gone") < markdown.index("deal.edited-in-ui") < markdown.index("deal.new")
    assert "(drift: changed in Pipedrive since the last apply)" in markdown


def test_a_small_plan_is_not_folded() -> None:
    plan = Plan(changes=[Change("update", "deal", "d", 1, fields={"value": {"before": 1, "after": 2}})], unchanged=4)
    markdown = render_markdown(plan, url="")
    assert "<details>" not in markdown and "~ deal.d (id 1) will be updated in-place" in markdown
    assert "~     value: 1 → 2" in markdown and "not shown" not in markdown


def test_the_limit_and_url_settings() -> None:
    assert markdown_limit({}) == DEFAULT_LIMIT == 60_000
    assert markdown_limit({"RECONCILER_MARKDOWN_LIMIT": "3000"}) == 3000
    for bad in ("lots", "100"):
        with pytest.raises(ConfigError, match="RECONCILER_MARKDOWN_LIMIT"):
            markdown_limit({"RECONCILER_MARKDOWN_LIMIT": bad})
    assert plan_url({"RECONCILER_PLAN_URL": "https://gl.example/job/1/artifacts (x)"}) == \
        "https://gl.example/job/1/artifacts%20%28x%29"
    with pytest.raises(ConfigError, match="RECONCILER_PLAN_URL"):
        plan_url({"RECONCILER_PLAN_URL": "javascript:alert(1)"})
