"""`reconciler pull`: bring the changes made in Pipedrive since the last apply into the manifests.

A plan made with `--on-drift keep` lists every drifted field with its live value in manifest
language; pull writes those values into the files that declare them, and the lock's record
of what was applied is refreshed from a plan of the rewritten files against the same reads,
so that the next plan is empty.

A changed value is rewritten where it stands (reconciler/manifest/spans.py): only its own
characters change, in the style it had; every other byte of the file stays. Where a structure
must change (a list or mapping value, a value emptied, children added) the file is edited with
ruamel.yaml's round-trip mode, which keeps comments, key order, quoting and layout; it is
imported only then (reading manifests stays on pyyaml's C parser). A file ruamel.yaml cannot
write back unchanged (an unusual layout) is never reformatted: pull refuses it and names the
values to change by hand.

Conflicts (a field changed in Pipedrive and in the manifests) are refused unless the caller
says which side wins: `prefer="pipedrive"` writes Pipedrive's value, `prefer="manifests"`
leaves the manifest as it is (the next apply writes it). With `add_children`, notes and
activities created in Pipedrive on managed deals, persons and organizations are added to the
file of their parent, keyed as export keys them.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler import kinds
from reconciler.manifest.model import Manifest
from reconciler.manifest.spans import rewrite

CHILD_KINDS = ("note", "activity")


class PullError(Exception):
    """Pull cannot do what was asked; nothing was written. The message names what and where."""


@dataclass
class Edit:
    """One value to write: the file, the resource, the field path and the new value."""

    file: str
    kind: str
    key: str
    label: str
    value: Any
    state: str  # drift | conflict


@dataclass
class Relink:
    """A reference field replaced by another one where it stood (`lead: KEY` → `deal: KEY`, after a
    conversion in Pipedrive: reconciler/converted_leads.py); its comment stays."""

    file: str
    kind: str
    key: str
    label: str
    new_label: str
    value: Any


def planned_edits(plan: Any, manifest: Manifest, prefer: str | None) -> tuple[list[Edit], list[Edit]]:
    """(edits to make, conflicts left to the manifests) from a plan made with --on-drift keep."""
    edits: list[Edit] = []
    skipped: list[Edit] = []
    conflicts: list[str] = []
    for entry in plan.kept:
        res = manifest.get(entry["kind"], entry["key"])
        if res is None:
            continue
        for label, diff in entry["fields"].items():
            state = "conflict" if diff.get("conflict") else "drift"
            # the file that declares the field (an environment's overlay may declare it over the base)
            where = res.field_pos.get(label, res.pos).file
            edit = Edit(where, res.kind, res.key, label, diff.get("before"), state)
            if state == "conflict":
                if prefer is None:
                    pos = res.field_pos.get(label, res.pos)
                    conflicts.append(f"{pos.file}:{pos.line}:{pos.col}: error: {res.kind} {res.key!r} field "
                                     f"{label}: changed in Pipedrive and in the manifests since the last apply "
                                     "(conflict); pull --prefer pipedrive takes Pipedrive's value, --prefer "
                                     "manifests keeps the manifest's")
                    continue
                if prefer == "manifests":
                    skipped.append(edit)
                    continue
            edits.append(edit)
    if conflicts:
        raise PullError("\n".join(conflicts))
    return edits, skipped


def owner_followers(edits: list[Edit], skipped: list[Edit], manifest: Manifest, live: Any, ids: dict,
                    schema: Any, drift: dict) -> list[Edit]:
    """`edits` with the followers of each record whose owner they pull taken beside that owner.

    A record's `followers:` are the set besides its owner (reconciler/fieldtypes/followers.py), and
    the plan compares them beside the owner the manifests give. When the owner changed in Pipedrive,
    the new owner follows and the previous one keeps following: beside the old owner the followers
    may look unchanged, yet once pull writes the new owner the list names another set (the previous
    owner, now an ordinary follower, missing), and the next plan found a conflict nobody made. So
    where pull writes the owner, it writes the followers as Pipedrive has them beside it (and adds
    the manifests' list to `drift`, by (kind, key), for pull's report of what it replaced)."""
    from reconciler.normalize import Context

    owners = {(e.kind, e.key): e for e in edits if e.label == "owner"}
    kept_back = {(e.kind, e.key) for e in skipped if e.label == "followers"}
    ctx = Context(schema=schema, resolve_key=lambda *_: None, key_for_id=lambda *_: None)
    out = list(edits)
    for (kind_name, key), owner in owners.items():
        res = manifest.get(kind_name, key)
        spec = kinds.kind(kind_name).field("followers")
        obj = (live.objects.get(kind_name) or {}).get(ids.get((kind_name, key))) if live is not None else None
        if res is None or spec is None or "followers" not in res.fields or (kind_name, key) in kept_back \
                or obj is None or not isinstance(spec.live(obj), dict):
            continue
        value = spec.type.from_api_value(spec, spec.live(obj), ctx)
        out = [e for e in out if (e.kind, e.key, e.label) != (kind_name, key, "followers")]
        out.append(Edit(res.field_pos.get("followers", res.pos).file, kind_name, key, "followers", value, owner.state))
        fields = drift.get((kind_name, key)) or {}
        drift[(kind_name, key)] = {"followers": {"after": res.fields["followers"]}, **fields}
    return out


# A value pulled that Pipedrive pairs with another field the manifests may not declare: a deal
# that became lost has a lost reason, which the pull writes beside its status (else the next
# apply's lost deal would have none declared and the reason would go unreviewed).
COMPANIONS = {("deal", "status", "lost"): "lost_reason"}


def companion_edits(edits: list[Edit], manifest: Manifest, client: Any, ids: dict) -> list[Edit]:
    """The fields pulled values bring along (COMPANIONS), read live: one call per such object."""
    out = []
    for edit in edits:
        companion = COMPANIONS.get((edit.kind, edit.label, edit.value)) if isinstance(edit.value, str) else None
        res = manifest.get(edit.kind, edit.key)
        if companion is None or res is None or companion in res.fields or (edit.kind, edit.key) not in ids:
            continue
        live = client.get(edit.kind, ids[(edit.kind, edit.key)]) or {}
        spec = kinds.kind(edit.kind).field(companion)
        value = spec.live(live) if spec is not None else None
        if value not in (None, ""):
            out.append(Edit(edit.file, edit.kind, edit.key, companion, value, edit.state))
    return out


def rename_edits(manifest: Manifest, used: list[Any], renamed: dict) -> list[Edit]:
    """The old names of pipelines, stages and options renamed in Pipedrive, replaced by the new
    ones wherever the manifests use them (reconciler/vocabulary.py found the places)."""
    edits: dict[tuple[str, str, str], Edit] = {}
    for use in used:
        res = manifest.get(use.kind, use.key)
        if res is None:
            continue
        new = renamed[(use.what, use.scope, use.name)]
        where = (use.kind, use.key, use.label)
        if use.label == "conditions" and use.kind == "filter":  # a filter's: the name inside them
            from reconciler.fieldtypes.conditions import renamed_in

            current = renamed_in(edits[where].value if where in edits else res.fields.get(use.label),
                                 use.what, use.name, new)
            edits[where] = Edit(res.field_pos.get(use.label, res.pos).file, use.kind, use.key, use.label, current,
                                f"{use.what} renamed in Pipedrive from {use.name!r} to {new!r}")
            continue
        if where in edits:  # a second label of one multiple-option value
            current = edits[where].value
        elif use.label.startswith("fields."):
            current = (res.fields.get("fields") or {}).get(use.label[len("fields."):])
        else:
            current = res.fields.get(use.label)
        value = [new if item == use.name else item for item in current] if isinstance(current, list) else new
        if isinstance(current, dict):  # a goal's stage, {pipeline, stage}: the name inside it
            value = {**current, use.what: new} if current.get(use.what) == use.name else current
        edits[where] = Edit(res.field_pos.get(use.label, res.pos).file, use.kind, use.key, use.label, value,
                            f"{use.what} renamed in Pipedrive from {use.name!r} to {new!r}")
    return list(edits.values())


def deleted_in_pipedrive(plan: Any, manifest: Manifest) -> dict[str, list[tuple[str, str]]]:
    """Resources whose object was deleted in Pipedrive (kept deleted by the plan), by the file
    that declares them: pull takes them out of the manifests (docs/state.md). One that a
    resource still declared names is refused, naming both: re-point or remove that one first."""
    gone = {(k["kind"], k["key"]) for k in plan.kept if k.get("deleted")}
    out: dict[str, list[tuple[str, str]]] = {}
    problems = []
    for entry in plan.kept:
        if entry.get("deleted") or not entry.get("reason"):
            continue
        res = manifest.get(entry["kind"], entry["key"])
        if res is not None and (res.kind, res.key) not in gone:
            problems.append(f"{res.pos.file}:{res.pos.line}:{res.pos.col}: error: {res.kind} {res.key!r} "
                            f"{entry['reason']}; remove it or name another object, then pull again")
    if problems:
        raise PullError("\n".join(problems))
    for kind_name, key in sorted(gone):
        res = manifest.get(kind_name, key)
        if res is not None:
            out.setdefault(res.pos.file, []).append((kind_name, key))
    return out


MOVED = "moved"


def stale_moves(manifest: Manifest, removals: dict[str, list[tuple[str, str]]]) -> dict[str, list[str]]:
    """The `moved:` entries that name a resource pull takes out (by file, the address moved to):
    left in, they would name nothing and the manifests would no longer validate."""
    gone = {item for items in removals.values() for item in items}
    out: dict[str, list[str]] = {}
    for move in manifest.moves:
        if (move.kind, move.new) in gone:
            out.setdefault(move.pos.file, []).append(f"{move.kind}.{move.new}")
    return out


# -- writing with ruamel.yaml -------------------------------------------------------------------


def _yaml():
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 1_000_000  # never re-wrap a long line
    return yaml


def _layouts(text: str) -> list[tuple[int, int]]:
    """(mapping indent, block sequence offset) to try, the file's own first: how far a nested key
    sits from its parent's, and how far a `- ` item sits from the key that holds it."""
    mapping, offset = 2, 2
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    depths = sorted({len(line) - len(line.lstrip()) for line in lines if not line.lstrip().startswith("- ")} - {0})
    if depths:
        mapping = depths[0]
    for before, line in zip(lines, lines[1:], strict=False):
        if line.lstrip().startswith("- ") and before.rstrip().endswith(":"):
            offset = (len(line) - len(line.lstrip())) - (len(before) - len(before.lstrip()))
            break
    tried = [(mapping, offset)]
    tried += [(m, o) for m in (2, 4) for o in (0, 2, 4) if (m, o) != (mapping, offset)]
    return tried


def _null_style(yaml: Any, text: str) -> None:
    """Write null as the file does: `null` or `~` (ruamel.yaml writes nothing after the colon,
    and a file that said `lost_reason: null` could not be written back byte for byte)."""
    word = "~" if re.search(r":[ \t]+~[ \t]*(#.*)?$", text, re.MULTILINE) else "null"
    if not re.search(r":[ \t]+(null|Null|NULL|~)[ \t]*(#.*)?$", text, re.MULTILINE):
        return
    yaml.representer.add_representer(
        type(None), lambda representer, _data: representer.represent_scalar("tag:yaml.org,2002:null", word))


def _load(path: str) -> tuple[Any, Any, str]:
    """The file as ruamel.yaml's round-trip document, checked to write back byte for byte."""
    with open(path, encoding="utf-8", newline="") as handle:  # newline="": see the file's own line endings
        raw = handle.read()
    text = raw.replace("\r\n", "\n")
    for mapping, offset in _layouts(text):
        yaml = _yaml()
        _null_style(yaml, text)
        yaml.newline = "\r\n" if raw.count("\r\n") * 2 > raw.count("\n") else "\n"  # written back the same
        yaml.indent(mapping=mapping, sequence=offset + 2, offset=offset)
        data = yaml.load(text)
        if _dump(yaml, data) == text:
            return yaml, data, text
    raise PullError(f"{path}:1:1: error: this file's layout cannot be kept by the round-trip YAML editor; "
                    "change its values by hand (listed below) or lay it out as export does")


def _dump(yaml: Any, data: Any) -> str:
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _styled_like(old: Any, new: Any) -> Any:
    """`new` in the style `old` was written in: quotes kept, a date stays a YAML date, a flow
    list or mapping is refilled in place (so it stays flow)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import ScalarString

    if isinstance(old, ScalarString) and isinstance(new, str):
        return type(old)(new)
    if isinstance(old, datetime.date) and isinstance(new, str):
        try:
            return datetime.date.fromisoformat(new)
        except ValueError:
            return new
    if isinstance(old, CommentedSeq) and isinstance(new, list):
        old[:] = [_styled_like(old[i] if i < len(old) else None, item) for i, item in enumerate(new)]
        return old
    if isinstance(old, CommentedMap) and isinstance(new, dict):
        for key in [k for k in old if k not in new]:
            del old[key]
        for key, item in new.items():
            old[key] = _styled_like(old.get(key), item)
        return old
    return new


def _set(data: Any, edit: Edit) -> None:
    section = data[kinds.kind(edit.kind).section]
    resource = section[edit.key]
    if edit.label.startswith("fields."):
        container, name = resource["fields"], edit.label[len("fields."):]
    else:
        container, name = resource, edit.label
    container[name] = _styled_like(container.get(name), edit.value)


def write_edits(edits: list[Edit], additions: dict[str, list[tuple[str, str, dict, Any]]],
                removals: dict[str, list[tuple[str, str]]] | None = None,
                read: Mapping[str, bytes] | None = None,
                unmoved: dict[str, list[str]] | None = None, relinks: list[Relink] | None = None) -> list[str]:
    """Write every edit, addition and removal (a resource deleted in Pipedrive, and the `moved:`
    entries naming it: `unmoved`, from stale_moves), and every field renamed in place (`relinks`),
    file by file; every file is checked before any is written.

    `read` is the sha256 of each file as the run first read it (Manifest.hashes, by real
    path): a file that differs now was edited while pull ran, and writing pull's values into
    it would lose that edit or be based on what it no longer says, so pull refuses and
    writes nothing. Each file is checked again right before it is written (without `read`,
    against its bytes when this function read it).
    """
    removals = removals or {}
    unmoved = unmoved or {}
    by_file: dict[str, list[Edit]] = {}
    for edit in edits:
        by_file.setdefault(edit.file, []).append(edit)
    relinked: dict[str, list[Relink]] = {}
    for relink in relinks or ():
        relinked.setdefault(relink.file, []).append(relink)
    files = sorted(set(by_file) | set(additions) | set(removals) | set(unmoved) | set(relinked))
    first = {path: (read or {}).get(os.path.realpath(path)) for path in files}
    loaded = {}
    rewritten: dict[str, str] = {}
    problems = []
    for path in files:
        try:
            first[path] = _unchanged(path, first[path])
            if path not in additions and path not in removals and path not in unmoved \
                    and path not in relinked:  # values only: in place
                new_text = rewrite(_read_exact(path), [(_field_path(edit), edit.value) for edit in by_file[path]])
                if new_text is not None:  # (manifest/spans.py); else ruamel.yaml, below
                    rewritten[path] = new_text
                    continue
            loaded[path] = _load(path)
        except PullError as exc:
            problems.append(str(exc))
            problems += [f"  {e.kind}.{e.key} {e.label}: {e.value!r}" for e in by_file.get(path, [])]
    if problems:
        raise PullError("\n".join(problems))
    from reconciler.lock import atomic_write

    written: list[str] = []
    for path in files:
        if path in rewritten:
            text, newline = rewritten[path], None
        else:
            yaml, data, _ = loaded[path]
            for edit in by_file.get(path, []):
                _set(data, edit)
            for relink in relinked.get(path, []):
                _relink(data, relink)
            for kind_name, key, values, _object_id in additions.get(path, []):
                _add(data, kind_name, key, values)
            for address in unmoved.get(path, []):
                entries = data.get(MOVED) or []
                for index in reversed(range(len(entries))):  # in place: the rest keeps its layout
                    if entries[index].get("to") == address:
                        del entries[index]
                if not entries and MOVED in data:
                    del data[MOVED]
            for kind_name, key in removals.get(path, []):
                section = data[kinds.kind(kind_name).section]
                del section[key]
                if not section:  # an empty section would read as null
                    del data[kinds.kind(kind_name).section]
            text, newline = _dump(yaml, data), yaml.newline
        try:
            _unchanged(path, first[path])  # as late as it can be: right before the write
        except PullError as exc:
            raise PullError(str(exc) + (f" (already written: {', '.join(written)})" if written else "")) from None
        atomic_write(Path(path), text if newline is None else text.replace("\n", newline))
        written.append(path)
    return files


def _relink(data: Any, relink: Relink) -> None:
    """The field renamed in place: same position, the old key's comment carried over."""
    resource = data[kinds.kind(relink.kind).section][relink.key]
    position = list(resource).index(relink.label)
    comment = resource.ca.items.pop(relink.label, None)
    del resource[relink.label]
    resource.insert(position, relink.new_label, relink.value)
    if comment is not None:
        resource.ca.items[relink.new_label] = comment


def _unchanged(path: str, expected: bytes | None) -> bytes:
    """The sha256 of the file now; PullError when it is not `expected` (None: anything is)."""
    try:
        now = hashlib.sha256(Path(path).read_bytes()).digest()
    except OSError as exc:
        raise PullError(f"{path}:1:1: error: cannot read the file ({exc.strerror or exc}); nothing was written "
                        "to it") from None
    if expected is not None and now != expected:
        raise PullError(f"{path}:1:1: error: the file changed while pull ran (it differs from what pull read); "
                        "nothing was written to it: run pull again")
    return now


def _read_exact(path: str) -> str:
    """The file's text with its line endings as they are (CRLF stays CRLF)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def _field_path(edit: Edit) -> tuple[str, ...]:
    """Where an edit's value sits in its file: section, resource key, field (custom: "fields", name)."""
    section = kinds.kind(edit.kind).section
    if edit.label.startswith("fields."):
        return (section, edit.key, "fields", edit.label[len("fields."):])
    return (section, edit.key, edit.label)


def _add(data: Any, kind_name: str, key: str, values: dict) -> None:
    from ruamel.yaml.comments import CommentedMap

    section_name = kinds.kind(kind_name).section
    if data.get(section_name) is None:
        data[section_name] = CommentedMap()
    data[section_name][key] = _ruamel(values)


def _ruamel(value: Any) -> Any:
    """Export's values (flow lists and mappings marked by their class) as ruamel.yaml nodes."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    from reconciler.export.emit import Flow, FlowList
    from reconciler.fieldtypes import Quoted

    if isinstance(value, Quoted):
        return DoubleQuotedScalarString(str(value))
    if isinstance(value, dict):
        out = CommentedMap((k, _ruamel(v)) for k, v in value.items())
        if isinstance(value, Flow):
            out.fa.set_flow_style()
        return out
    if isinstance(value, list):
        seq = CommentedSeq(_ruamel(v) for v in value)
        if isinstance(value, FlowList) or all(not isinstance(v, dict | list) for v in value):
            seq.fa.set_flow_style()
        return seq
    return value


# -- children added in Pipedrive ------------------------------------------------------------------


def children(client: Any, schema: Any, manifest: Manifest, lock: Any,
             ids: dict[tuple[str, str], Any]) -> dict[str, list[tuple[str, str, dict, Any]]]:
    """Notes and activities on managed objects that no manifest declares, by the file of their parent.

    One list of each child kind (pages of 500); keys as export makes them (the parent's key
    first), never one already declared or locked.
    """
    from reconciler.export.convert import Converter
    from reconciler.export.keys import assign_keys, parent_field

    keys: dict[str, dict[Any, str]] = {}
    for (kind_name, key), object_id in ids.items():
        keys.setdefault(kind_name, {})[object_id] = key
    known_ids = {kind_name: set(lock.resources.get(kind_name, {}).values()) for kind_name in CHILD_KINDS}
    for (kind_name, _key), object_id in ids.items():
        if kind_name in known_ids:
            known_ids[kind_name].add(object_id)
    out: dict[str, list[tuple[str, str, dict, Any]]] = {}
    converter = Converter(schema, keys)
    for kind_name in CHILD_KINDS:
        spec = kinds.kind(kind_name)
        found: dict[Any, dict] = {}
        parents: dict[Any, tuple[str, str]] = {}
        for obj in client.list(kind_name):
            if obj["id"] in known_ids[kind_name]:
                continue
            parent = parent_field(spec, obj)
            parent_spec = spec.field(parent) if parent else None
            if parent_spec is None or parent_spec.ref_kind is None:
                continue
            parent_key = keys.get(parent_spec.ref_kind, {}).get(obj[parent_spec.api])
            if parent_key is None:
                continue  # not on a managed object
            found[obj["id"]] = obj
            parents[obj["id"]] = (parent_spec.ref_kind, parent_key)
        if not found:
            continue
        taken = {res.key for res in manifest.by_kind(kind_name)} | set(lock.resources.get(kind_name, {}))
        new_keys = assign_keys(spec, found, keys)
        for object_id, key in sorted(new_keys.items()):
            while key in taken:
                key = f"{key}-{object_id}"
            taken.add(key)
            parent_kind, parent_key = parents[object_id]
            parent_res = manifest.get(parent_kind, parent_key)
            if parent_res is None:
                continue
            values = converter.fields(spec, found[object_id])
            out.setdefault(parent_res.pos.file, []).append((kind_name, key, values, object_id))
            keys.setdefault(kind_name, {})[object_id] = key
    return out
