"""Readable, stable manifest keys for live objects, derived from their names."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from reconciler import kinds
from reconciler.kinds import KindSpec
from reconciler.normalize import text_key

KEY_RE = re.compile(kinds.KEY_PATTERN)
SLUG_MAX = 60  # a key's readable part; the parent prefix of notes and activities adds to it
KEY_MAX = 128  # kinds.KEY_PATTERN's limit


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
            parent_key = keys.get(parent_spec.ref_kind, {}).get(obj[parent_spec.api])
            if parent_key:
                return f"{parent_key[:SLUG_MAX].rstrip('-.')}-{own}"
        return own
    slug = slugify(title)
    emails_spec = next((f for f in spec.fields if f.type == kinds.EMAILS), None)
    if not slug and emails_spec is not None and obj.get(emails_spec.api):
        slug = slugify(str(obj[emails_spec.api][0].get("value", "")).split("@")[0])  # a nameless person
    return spec.hooks.export_key(obj, slug or spec.name)


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
        if not KEY_RE.match(suffix[1:]):  # an opaque id a key cannot hold (a custom field's "deal:<key>")
            suffix = "-" + re.sub(r"[^a-z0-9]+", "-", str(object_id).lower())[-12:].strip("-")
        candidate = f"{slug[: KEY_MAX - len(suffix)]}{suffix}"
        while candidate in taken:
            candidate = f"{candidate[: KEY_MAX - len(suffix)]}{suffix}"
            if len(candidate) >= KEY_MAX - len(suffix):
                candidate = f"{spec.name}{suffix}-{len(taken)}"
        out[object_id] = candidate
        taken.add(candidate)
    return out
