"""Live account → manifests and a lock, so that `plan` of what was written shows no changes.

Most teams start from an account that is already full of data. `reconciler export` turns
it into the manifest language a person would write (names, emails, labels, keys), then
records every key → id in `reconciler.lock`, so the next plan finds each object through
the lock and compares only what was declared: nothing differs, nothing is created.

The steps, each a function so tests can drive them one by one:

1. `read_objects`: every object of the chosen kinds, by full scans in pages of 500 (the
   cheapest read there is: one call per 500 objects), plus the account's vocabulary
   (`AccountSchema`: users, pipelines, stages, custom fields), a handful of calls more.
2. `assign_keys`: readable, stable keys derived from names, with a deterministic suffix
   (the object's id) only where two objects would get the same key. Keys of a previous
   export's lock for the same account are kept, so re-exporting does not rename anything.
3. `build_files`: each object's declared fields in manifest language, converted by
   `normalize.from_api` / `custom_from_api` (the same functions the planner uses, so the
   round trip holds by construction); one file per organization holding what hangs off it,
   the rest grouped by kind.
4. `write_export`: the files and the lock, never outside the output directory.
"""

from __future__ import annotations

import json
import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler import kinds
from reconciler.kinds import KindSpec
from reconciler.lock import LOCK_NAME, LockError, LockFile
from reconciler.normalize import Context, custom_from_api, from_api, text_key
from reconciler.pipedrive.client import PipedriveClient
from reconciler.pipedrive.schema import AccountSchema

ACCOUNTS_DIR = "accounts"
KEY_RE = re.compile(kinds.KEY_PATTERN)
SLUG_MAX = 60  # a key's readable part; the parent prefix of notes and activities adds to it
KEY_MAX = 128  # kinds.KEY_PATTERN's limit
ORDERED_KINDS: tuple[KindSpec, ...] = tuple(sorted(kinds.KINDS, key=lambda s: s.order))


class ExportError(Exception):
    """Export cannot proceed (non-empty directory, unsafe path); nothing was written."""


class ExportProgress:
    """What export reports while it works; the default reports nothing (quiet, no terminal)."""

    def reading(self, spec: KindSpec) -> None:
        """A kind's scan starts."""

    def advance(self, spec: KindSpec, count: int) -> None:
        """`count` more objects of the kind were read."""

    def writing(self, files: int) -> None:
        """Writing starts: this many files."""

    def wrote(self, count: int) -> None:
        """`count` more files were written."""

    def done(self) -> None:
        """Everything is written."""


@dataclass
class ExportResult:
    """What was written, for the command's closing line and for tests."""

    out_dir: Path
    counts: dict[str, int]  # kind -> objects written
    files: list[str]  # relative paths of the manifests written, sorted
    removed: list[str]  # relative paths of old manifests removed (--force)
    warnings: list[str]
    stats: dict[str, int]  # api_calls, tokens
    account: dict[str, Any]

    @property
    def objects(self) -> int:
        return sum(self.counts.values())


# -- 0. the output directory ---------------------------------------------------------------


def _visible_entries(directory: Path) -> list[str]:
    """Entries a user would call content: hidden ones (.git, .reconciler) do not count.

    Why: `git init` then `export --out .` is the natural way to start a repository, and the
    embedded sandbox keeps its database in `.reconciler/`.
    """
    return sorted(name for name in os.listdir(directory) if not name.startswith("."))


def check_out_dir(out_dir: Path, force: bool) -> Path:
    """The resolved output directory; refuse a file, or a non-empty directory without force.

    Called before any network call, so a mistake costs nothing.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"{out_dir} exists and is not a directory")
    if out_dir.is_dir() and not force:
        entries = _visible_entries(out_dir)
        if entries:
            shown = ", ".join(entries[:5]) + (" …" if len(entries) > 5 else "")
            raise ExportError(
                f"{out_dir} is not empty ({shown}); choose an empty directory, or pass --force to "
                "replace the manifests and the lock in it"
            )
    return out_dir.resolve()


def safe_path(root: Path, relative: str) -> Path:
    """`root/relative`, refusing anything that could land outside root.

    A relative path of plain names only (no absolute path, no `..`, no empty part), and no
    existing component below root that is a symlink: following one could write anywhere.
    """
    parts = relative.split("/")
    if not relative or relative.startswith("/") or any(p in ("", ".", "..") or "\\" in p for p in parts):
        raise ExportError(f"refusing to write {relative!r}: not a plain relative path")
    path = root
    for part in parts:
        path = path / part
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(mode):
            raise ExportError(f"refusing to write {path}: it is a symbolic link, which could lead outside {root}")
    return path


def old_manifests(root: Path) -> list[str]:
    """Manifest files already under root, as the loader would read them (hidden paths skipped).

    With --force they are removed first: a leftover manifest would be read by the next
    plan and break the round trip. Symlinked directories are not entered.
    """
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or not name.endswith((".yaml", ".yml")):
                continue
            found.append(str((Path(dirpath) / name).relative_to(root)).replace(os.sep, "/"))
    return sorted(found)


# -- 1. reading --------------------------------------------------------------------------------


def read_objects(
    client: PipedriveClient, specs: Sequence[KindSpec], progress: ExportProgress
) -> dict[str, dict[int, dict]]:
    """Every live object of these kinds, canonical, by id: full scans in pages of 500."""
    live: dict[str, dict[int, dict]] = {}
    for spec in specs:
        progress.reading(spec)
        objects: dict[int, dict] = {}
        pending = 0
        for obj in client.list(spec.name):
            objects[int(obj["id"])] = obj
            pending += 1
            if pending == 100:
                progress.advance(spec, pending)
                pending = 0
        progress.advance(spec, pending)
        live[spec.name] = objects
    return live


# -- 2. keys -----------------------------------------------------------------------------------


def slugify(text: Any, limit: int = SLUG_MAX) -> str:
    """A readable key fragment: ASCII, lower case, words joined by '-', cut at a word boundary.

    "Acme Corporation, Inc." → "acme-corporation-inc"; "Café Müller" → "cafe-muller".
    """
    if text is None:
        return ""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > limit:
        cut = slug.rfind("-", 0, limit + 1)
        slug = slug[: cut if cut >= limit // 2 else limit].strip("-")
    return slug


def _words(text: Any, count: int) -> str:
    """The first few words of a text (a note), enough to recognise it."""
    plain = text_key(text) or ""
    return " ".join(plain.split()[:count])


def parent_field(spec: KindSpec, obj: dict) -> str | None:
    """The one parent a note (or activity) is exported under: deal, else person, else org.

    Pipedrive fills a deal note's person and org too; the manifest names exactly one parent
    (the most specific), which is also the one its pinned flag belongs to.
    """
    for name in spec.parents:
        field_spec = spec.field(name)
        if field_spec is not None and obj.get(field_spec.api):
            return name
    return None


def base_key(spec: KindSpec, obj: dict, keys: dict[str, dict[int, str]]) -> str:
    """The key an object would get without collisions, from its title field.

    Kinds that always hang off a parent (notes, activities) are keyed under the parent's
    key, which makes "follow-up-call" readable: `acme-renewal-2027-follow-up-call`. A long
    text title (a note's content) contributes its first words.
    """
    title_spec = spec.field(spec.title_field)
    title = obj.get(title_spec.api if title_spec else spec.title_field)
    if title_spec is not None and title_spec.type == kinds.TEXT:
        title = _words(title, 4)
    if spec.parent_count[0] >= 1:
        own = slugify(title, 40) or spec.name
        parent = parent_field(spec, obj)
        parent_spec = spec.field(parent) if parent else None
        if parent_spec is not None and parent_spec.ref_kind is not None:
            parent_key = keys.get(parent_spec.ref_kind, {}).get(int(obj[parent_spec.api]))
            if parent_key:
                return f"{parent_key[:SLUG_MAX].rstrip('-.')}-{own}"
        return own
    slug = slugify(title)
    emails_spec = next((f for f in spec.fields if f.type == kinds.EMAILS), None)
    if not slug and emails_spec is not None and obj.get(emails_spec.api):
        slug = slugify(str(obj[emails_spec.api][0].get("value", "")).split("@")[0])  # a nameless person
    return slug or spec.name


def assign_keys(
    spec: KindSpec,
    objects: dict[int, dict],
    keys: dict[str, dict[int, str]],
    reserved: dict[int, str] | None = None,
) -> dict[int, str]:
    """id → key for one kind: readable, unique, and the same every time for the same account.

    Keys a previous export recorded for these ids (`reserved`) are kept. Otherwise, in id
    order, the oldest object of a name gets the bare slug and each later one `slug-<id>`:
    the suffix appears only on a collision, and objects added later (higher ids) do not
    rename earlier ones (with a lock from the previous export, nothing is ever renamed).
    """
    out: dict[int, str] = {}
    taken: set[str] = set()
    for object_id, key in sorted((reserved or {}).items()):
        if object_id in objects and KEY_RE.match(key) and key not in taken:
            out[object_id] = key
            taken.add(key)
    groups: dict[str, list[int]] = {}
    for object_id in sorted(objects):
        if object_id not in out:
            groups.setdefault(base_key(spec, objects[object_id], keys)[:KEY_MAX], []).append(object_id)
    later: list[tuple[str, int]] = []
    for slug, ids in groups.items():
        rest = ids
        if slug not in taken:
            out[ids[0]] = slug
            taken.add(slug)
            rest = ids[1:]
        later.extend((slug, object_id) for object_id in rest)
    for slug, object_id in sorted(later, key=lambda item: item[1]):
        suffix = f"-{object_id}"
        candidate = f"{slug[: KEY_MAX - len(suffix)]}{suffix}"
        while candidate in taken:
            candidate = f"{candidate[: KEY_MAX - len(suffix)]}{suffix}"
            if len(candidate) >= KEY_MAX - len(suffix):
                candidate = f"{spec.name}{suffix}-{len(taken)}"
        out[object_id] = candidate
        taken.add(candidate)
    return out


# -- 3. manifest values ------------------------------------------------------------------------


class Flow(dict):
    """A small mapping written inline ({id: 5}, {value: 1, currency: USD}), as people write them."""


class FlowList(list):
    """A list of scalars written inline ([a@x.com, b@x.com])."""


class Quoted(str):
    """A string always written in double quotes: phone numbers, which YAML could misread."""


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


class Converter:
    """One object's declared fields in manifest language, via normalize's from_api."""

    def __init__(self, schema: AccountSchema, keys: dict[str, dict[int, str]]) -> None:
        self.schema = schema
        self.keys = keys
        self.ctx = Context(schema=schema, resolve_key=lambda kind, key: None, key_for_id=self._key_for_id)
        self.warnings: list[str] = []
        self.dropped: dict[str, int] = {}  # "deal owner: user 9 is not an active user" -> count

    def _key_for_id(self, kind: str, object_id: int) -> str | None:
        return self.keys.get(kind, {}).get(object_id)

    def _drop(self, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1

    def fields(self, spec: KindSpec, obj: dict) -> dict[str, Any]:
        """Only fields with a value, plus what the next plan needs to find nothing to change."""
        out: dict[str, Any] = {}
        parent = parent_field(spec, obj) if spec.parent_count == (1, 1) else None
        for field_spec in spec.fields:
            if field_spec.type == kinds.CUSTOM:
                custom = self.custom(spec, obj)
                if custom:
                    out[field_spec.name] = custom
                continue
            if field_spec.type == kinds.REF and parent is not None and field_spec.name != parent:
                continue  # a note names exactly one parent
            live = obj.get(field_spec.api)
            value = from_api(field_spec, live, self.ctx)
            if _is_empty(value) or (field_spec.type == kinds.BOOL and value is False):
                continue
            if isinstance(value, dict) and field_spec.type != kinds.REF:
                # an id the account has no name for (an inactive user, a deleted stage): the
                # manifest can only name it, so it is left undeclared, hence unmanaged
                self._drop(f"{spec.name} {field_spec.name}: {field_spec.api} {value['id']} has no name")
                continue
            if field_spec.type == kinds.VISIBILITY and not isinstance(value, str):
                self._drop(f"{spec.name} visible_to: unknown value {value}")
                continue
            if field_spec.type == kinds.PIPELINE and len(self.schema.pipelines.get(value, [])) > 1:
                # the stage is still declared: plan resolves it in the deal's live pipeline
                self._drop(f"deal pipeline: the name {value!r} is shared by several pipelines")
                continue
            if field_spec.type == kinds.STAGE and not self._stage_unique(obj, value):
                self._drop(f"deal stage: the name {value!r} is not unique in its pipeline")
                continue
            if isinstance(value, dict):
                value = Flow(value)
            elif isinstance(value, list):
                value = FlowList(Quoted(v) for v in value) if field_spec.type == kinds.PHONES else FlowList(value)
            out[field_spec.name] = value
        return out

    def _stage_unique(self, obj: dict, name: str) -> bool:
        pipeline_id = obj.get("pipeline_id")
        return len(self.schema.stages.get(pipeline_id, {}).get(name, [])) <= 1

    def custom(self, spec: KindSpec, obj: dict) -> dict[str, Any]:
        """Custom fields by name, options by label, in the account's field order."""
        values = obj.get("custom_fields") or {}
        if not values:
            return {}
        out: dict[str, Any] = {}
        for key, custom in self.schema.custom_by_key.get(spec.name, {}).items():
            live = values.get(key)
            if _is_empty(live):
                continue
            if len(self.schema.custom.get(spec.name, {}).get(custom.name, [])) > 1:
                self._drop(f"{spec.name} custom field {custom.name!r}: its name is shared by several fields")
                continue
            value = custom_from_api(custom, live)
            if custom.field_type in ("enum", "set"):
                labels = value if isinstance(value, list) else [value]
                if any(not isinstance(label, str) for label in labels):
                    self._drop(f"{spec.name} custom field {custom.name!r}: an option id has no label")
                    continue
            if isinstance(value, dict):
                if custom.field_type != "monetary" or value.get("value") is None:
                    self._drop(f"{spec.name} custom field {custom.name!r}: a {custom.field_type} value "
                               "has no manifest form")
                    continue
                value = Flow(value) if value.get("currency") else value["value"]
            elif isinstance(value, list):
                value = FlowList(value)
            out[custom.name] = value
        return out

    def summary(self) -> list[str]:
        """One warning per reason, with how many values it left undeclared."""
        return [f"not declared ({count}x): {reason}" for reason, count in sorted(self.dropped.items())] + self.warnings


# -- 3b. files -----------------------------------------------------------------------------------


@dataclass
class ExportFiles:
    """What to write: relative path → {section: {key: fields}}, and kind → {key: id} for the lock."""

    files: dict[str, dict[str, dict[str, dict]]] = field(default_factory=dict)
    lock: dict[str, dict[str, int]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


HOME_KIND = "organization"  # the kind that gets a file of its own, holding what hangs off it


def home_org(spec: KindSpec, obj: dict, live: dict[str, dict[int, dict]], keys: dict[str, dict[int, str]]) -> int | None:
    """The exported organization an object hangs off: its own org, else its parents' (deal, person).

    References are followed in the order the kinds table lists them, organization first,
    so a deal with an org and a person goes with its org, a person-only deal with the
    person's organization, a note with its one declared parent's.
    """
    homes = keys.get(HOME_KIND, {})
    seen: set[tuple[str, int]] = set()

    def walk(kind_spec: KindSpec, item: dict | None, refs: tuple[str, ...] | None = None) -> int | None:
        if item is None or (kind_spec.name, int(item["id"])) in seen:
            return None
        seen.add((kind_spec.name, int(item["id"])))
        if kind_spec.name == HOME_KIND:
            return int(item["id"]) if int(item["id"]) in homes else None
        ref_specs = sorted(kind_spec.ref_fields, key=lambda f: f.ref_kind != HOME_KIND)
        for ref in ref_specs:
            if refs is not None and ref.name not in refs:
                continue
            if item.get(ref.api) and ref.ref_kind:
                target = kinds.kind(ref.ref_kind)
                found = walk(target, live.get(target.name, {}).get(int(item[ref.api])))
                if found is not None:
                    return found
        return None

    if spec.parent_count == (1, 1):  # exactly one parent (notes): follow the one declared
        parent = parent_field(spec, obj)
        return walk(spec, obj, (parent,)) if parent else None
    return walk(spec, obj)


def _has_title(spec: KindSpec, obj: dict) -> bool:
    """Whether an object has the title a manifest must give it to create it (a note's content)."""
    if spec.title_field not in spec.required_on_create:
        return True
    title_spec = spec.field(spec.title_field)
    value = obj.get(title_spec.api if title_spec else spec.title_field)
    text = text_key(value) if title_spec is not None and title_spec.type == kinds.TEXT else value
    return bool(str(text or "").strip())


def build_files(
    live: dict[str, dict[int, dict]],
    schema: AccountSchema,
    reserved: dict[str, dict[str, int]] | None = None,
) -> ExportFiles:
    """Keys, declared fields and file placement for every object read."""
    result = ExportFiles()
    keys: dict[str, dict[int, str]] = {}
    skipped: dict[str, int] = {}
    exportable: dict[str, dict[int, dict]] = {}
    for spec in ORDERED_KINDS:
        if spec.name not in live:
            continue
        objects = {}
        for object_id, obj in live[spec.name].items():
            if spec.parent_count[0] >= 1 and parent_field(spec, obj) is None:
                skipped[spec.name] = skipped.get(spec.name, 0) + 1  # a manifest needs a parent
                continue
            if not _has_title(spec, obj):
                skipped[spec.name] = skipped.get(spec.name, 0) + 1  # e.g. an empty note
                continue
            objects[object_id] = obj
        exportable[spec.name] = objects
        previous = {object_id: key for key, object_id in (reserved or {}).get(spec.name, {}).items()}
        keys[spec.name] = assign_keys(spec, objects, keys, previous)
    converter = Converter(schema, keys)
    for spec in ORDERED_KINDS:
        if spec.name not in exportable:
            continue
        result.counts[spec.name] = len(exportable[spec.name])
        for object_id, obj in exportable[spec.name].items():
            key = keys[spec.name][object_id]
            org_id = home_org(spec, obj, live, keys)
            path = f"{ACCOUNTS_DIR}/{keys[HOME_KIND][org_id]}.yaml" if org_id is not None else f"{spec.section}.yaml"
            section = result.files.setdefault(path, {}).setdefault(spec.section, {})
            section[key] = converter.fields(spec, obj)
            result.lock.setdefault(spec.name, {})[key] = object_id
    if not result.files and exportable:
        # an empty account still gets a manifest: plan refuses a directory without any
        first = next(spec for spec in ORDERED_KINDS if spec.name in exportable)
        result.files[f"{first.section}.yaml"] = {first.section: {}}
    for kind_name, count in sorted(skipped.items()):
        result.warnings.append(f"skipped {count} {kinds.kind(kind_name).section} with no parent or an empty "
                               f"{kinds.kind(kind_name).title_field} (a manifest cannot declare them)")
    result.warnings.extend(converter.summary())
    return result


# -- 4. writing ---------------------------------------------------------------------------------


# Why a small emitter of our own: PyYAML builds a node object per value before emitting,
# which made writing 55,000 exported objects take five seconds, more than reading them. The
# data written here has one fixed shape (sections → keys → fields → scalars, small inline
# maps and lists), so each scalar is written plain when a conservative pattern proves that is
# safe, as a literal block for multi-line text, and double-quoted otherwise. Tests load every
# form back with yaml.safe_load and compare.

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9 _.,@&()/'+-]*")  # no ':', '#', quotes or indicators first
_PLAIN_IN_FLOW = re.compile(r"[A-Za-z_][A-Za-z0-9 _.@&()/'+-]*")  # and no ',' inside [..] or {..}
_RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf"}
_UNSAFE_IN_QUOTES = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
_BLOCK_SAFE = re.compile("[\t\n\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*")


def _quoted(text: str) -> str:
    """A double-quoted YAML scalar: JSON's escapes are YAML's, plus the characters YAML forbids raw."""
    dumped = json.dumps(text, ensure_ascii=False)
    return _UNSAFE_IN_QUOTES.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)


def _number(value: float) -> str:
    text = repr(value)
    if "e" in text and "." not in text:  # YAML 1.1 reads 1e+20 as a string; 1.0e+20 is a float
        text = text.replace("e", ".0e")
    return text


def emit_scalar(value: Any, flow: bool = False) -> str:
    """One scalar as YAML that loads back to exactly `value`."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value)
    text = str(value)
    if isinstance(value, Quoted):
        return _quoted(text)
    plain = _PLAIN_IN_FLOW if flow else _PLAIN
    if plain.fullmatch(text) and not text.endswith(" ") and text.lower() not in _RESERVED:
        return text
    return _quoted(text)


def _literal_block(text: str, indent: str) -> str | None:
    """Multi-line note text as a literal block, which reads like the note; None when not exact."""
    if "\n" not in text or "\r" in text or not _BLOCK_SAFE.fullmatch(text):
        return None
    body = text[:-1] if text.endswith("\n") else text
    lines = body.split("\n")
    if not lines[0] or lines[0][0] in " \t" or any(line != line.rstrip() for line in lines) or "" in lines[-1:]:
        return None
    chomp = "" if text.endswith("\n") else "-"
    return f"|{chomp}\n" + "\n".join(f"{indent}{line}" if line else "" for line in lines)


def _emit_value(value: Any, indent: str) -> str:
    """What follows `key:` for one value: ' scalar', ' [inline]', ' {inline}', a block, or nested lines."""
    if isinstance(value, Flow):
        inner = ", ".join(f"{emit_scalar(k, True)}: {emit_scalar(v, True)}" for k, v in value.items())
        return " {" + inner + "}"
    if isinstance(value, list):
        return " [" + ", ".join(emit_scalar(v, True) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return " {}"
        return "\n" + "\n".join(f"{indent}{emit_scalar(k)}:{_emit_value(v, indent + '  ')}"
                                 for k, v in value.items())
    if isinstance(value, str) and not isinstance(value, Quoted):
        block = _literal_block(value, indent)
        if block is not None:
            return " " + block
    return " " + emit_scalar(value)


def render_file(document: dict[str, dict[str, dict]], header: str) -> str:
    """One manifest file: a comment header, then the kind sections in creation order, keys sorted.

    A blank line between sections and between the resources of a section, as people write them.
    """
    out: list[str] = [header.rstrip("\n")] if header else []
    for spec in ORDERED_KINDS:
        if spec.section not in document:
            continue
        resources = document[spec.section]
        if out:
            out.append("")
        out.append(f"{spec.section}:" if resources else f"{spec.section}: {{}}")
        for number, (key, fields) in enumerate(sorted(resources.items())):
            if number:
                out.append("")
            out.append(f"  {emit_scalar(key)}:{_emit_value(fields, '    ')}")
    return "\n".join(out) + "\n"


def _write_text(path: Path, text: str) -> None:
    """Write a file without following a symlink at its place (O_NOFOLLOW)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def write_export(
    root: Path,
    built: ExportFiles,
    account: dict[str, Any],
    *,
    force: bool,
    progress: ExportProgress,
) -> tuple[list[str], list[str]]:
    """Write the manifests and the lock under root; return (written, removed) relative paths."""
    root.mkdir(parents=True, exist_ok=True)
    if not force and _visible_entries(root):  # it filled up while we were reading
        raise ExportError(f"{root} is no longer empty; pass --force to replace its manifests")
    targets = {rel: safe_path(root, rel) for rel in sorted(built.files)}
    lock_path = safe_path(root, LOCK_NAME)
    removed = []
    if force:
        for rel in old_manifests(root):
            if rel not in targets:
                os.unlink(safe_path(root, rel))
                removed.append(rel)
    name = " ".join(str(account.get("company_name")).split())  # one comment line, whatever the name
    header = (f"# Exported by `reconciler export` from {name} (company {account.get('company_id')}).\n"
              "# Keys are derived from names; reconciler.lock maps each key to its Pipedrive id.\n")
    progress.writing(len(targets))
    for rel, path in targets.items():
        parent = path.parent
        if parent != root:
            parent.mkdir(parents=True, exist_ok=True)
            safe_path(root, str(parent.relative_to(root)).replace(os.sep, "/"))  # not swapped for a link
        _write_text(path, render_file(built.files[rel], header))
        progress.wrote(1)
    lock = LockFile(path=lock_path,
                    account={"company_id": account.get("company_id"), "company_name": account.get("company_name")})
    lock.resources = {kind_name: dict(entries) for kind_name, entries in built.lock.items()}
    try:
        lock.save()
    except OSError as exc:
        raise LockError(f"{lock_path}: cannot write the lock file ({exc})") from None
    progress.done()
    return list(targets), removed


def previous_keys(root: Path, company_id: int | None) -> dict[str, dict[str, int]]:
    """Key → id from a lock already in root, when it belongs to this account, so keys stay put."""
    path = root / LOCK_NAME
    if not path.is_file() or path.is_symlink():
        return {}
    try:
        lock = LockFile.read(path)
    except LockError:
        return {}
    if lock.account is None or lock.account.get("company_id") != company_id:
        return {}
    return lock.resources


def export_account(
    client: PipedriveClient,
    out_dir: Path,
    account: dict[str, Any],
    kind_names: Iterable[str] = (),
    *,
    force: bool = False,
    progress: ExportProgress | None = None,
) -> ExportResult:
    """Everything `reconciler export` does after connecting: read, name, convert, write."""
    progress = progress or ExportProgress()
    root = check_out_dir(out_dir, force)
    wanted = {kinds.kind(name).name for name in kind_names}
    specs = [spec for spec in ORDERED_KINDS if not wanted or spec.name in wanted]
    schema = AccountSchema.load(client, {spec.name for spec in specs})
    live = read_objects(client, specs, progress)
    built = build_files(live, schema, previous_keys(root, account.get("company_id")) if force else None)
    written, removed = write_export(root, built, account, force=force, progress=progress)
    return ExportResult(
        out_dir=out_dir,
        counts=built.counts,
        files=written,
        removed=removed,
        warnings=built.warnings,
        stats=client.stats.as_dict(),
        account=account,
    )
