"""OCEL 1.0 (JSON and XML) read and converted to OCEL 2.0 the way pm4py reads it.

OCEL 1.0 has no declared attribute types, no qualifiers and no time-stamped object values. The
conversion follows pm4py's classic importers (``pm4py.read_ocel`` on ``.jsonocel``/``.xmlocel``):

- an event's ``activity`` is its OCEL 2.0 type, its ``timestamp`` its time (a time without a UTC
  offset is read in the importer's time zone, UTC unless given, as pm4py reads it as UTC), its
  ``vmap`` its attributes;
- ``omap`` gives the event-to-object relations, once per object, with the empty qualifier unless
  pm4py's extension ``ocel:typedOmap`` (JSON) or a ``qualifier`` attribute (XML) names one;
- an object's ``ovmap`` gives its attribute values, stamped with the epoch (OCEL 2.0's initial
  values); in XML a key repeated in an ``ovmap`` is a later value at its ``timestamp``, and
  pm4py's extensions ``ocel:objectChanges`` and ``ocel:o2o`` (JSON) or ``<o2o>`` (XML) give
  later values and object-to-object relations;
- attribute types follow the values: JSON numbers, booleans and text keep their kind (integers
  mixed with decimals become decimals); XML ``<float>`` is a decimal, ``<date>`` a time and every
  other tag (``<string>``, ``<int>``, ``<boolean>``) text, as pm4py reads them.

Relations to objects the file does not list are quarantined with the reason (pm4py drops or fails
on them). The readers fill the OCEL 2.0 reader's neutral shape (``extractors.files.ocel._Raw``)
and count events and objects against ``KITFLOW_MAX_ROWS``; JSON is nested no deeper than
``KITFLOW_MAX_JSON_DEPTH`` (checked by the caller); XML is parsed element by element without
resolving entities or fetching anything, each event or object freed once read.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from lxml import etree

from extractors.limits import row_counter
from models.errors import InputError

if TYPE_CHECKING:
    from extractors.files.ocel import Declarations, _Raw

EPOCH_TEXT: Final = "1970-01-01T00:00:00+00:00"
JSON_MARKS: Final = ("ocel:events", "ocel:objects", "ocel:global-log")
CONVERSION_NOTE: Final = (
    "converted from OCEL 1.0 to OCEL 2.0 as pm4py reads it: event types are the activities, "
    "object attributes the objects' values at 1970-01-01 (OCEL 2.0's initial values), and "
    "event-object relations have the empty qualifier unless the file names one."
)
_SHOWN: Final = 60
_CHUNK: Final = 1 << 16
_HEAD_CHUNKS: Final = 16  # an OCEL 1.0 file shows itself within its first megabyte


class _Kinds:
    """The value kinds seen per type and attribute, for the OCEL 2.0 declarations."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str, str]] = set()  # type, attribute, kind
        self.types: dict[str, None] = {}  # every type, in file order

    def see(self, type_name: Any, name: str, kind: str) -> None:
        self.seen.add((str(type_name), name, kind))

    def known(self, type_name: Any) -> None:
        self.types.setdefault(str(type_name))

    def declarations(self) -> Declarations:
        """Each type's attributes, each with one kind across the whole file (as pm4py has one
        column per attribute): one kind as it is, integers with decimals as decimals, any other
        mix as text."""
        kinds: dict[str, set[str]] = {}
        for _, name, kind in self.seen:
            kinds.setdefault(name, set()).add(kind)
        declared: Declarations = {t: {} for t in self.types}
        for type_name, name, _ in sorted(self.seen):
            declared.setdefault(type_name, {})[name] = _merged(kinds[name])
        return declared


def _merged(kinds: set[str]) -> str:
    if len(kinds) == 1:
        return next(iter(kinds))
    return "float" if kinds == {"integer", "float"} else "string"


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    return "string"


def _json_value(value: Any) -> Any:
    """A JSON attribute value as kept: scalars as they are, lists and objects as JSON text."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


# ---------------------------------------------------------------------------------------------
# JSON


def is_ocel1_json(doc: Any) -> bool:
    """Whether a parsed JSON document is an OCEL 1.0 log (its sections are named ``ocel:...``)."""
    return (
        isinstance(doc, dict)
        and any(mark in doc for mark in JSON_MARKS)
        and not ({"events", "objects"} & doc.keys())
    )


def _mapping(value: Any, where: str, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"{where} must be {what}, not {_shown(value)}.")
    return value


def _listing(value: Any, where: str, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"{where} must be {what}, not {_shown(value)}.")
    return value


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


def read_ocel1_json(doc: dict[str, Any], path: Path, raw: _Raw) -> None:
    """Fill ``raw`` from the parsed OCEL 1.0 JSON ``doc`` of file ``path``."""
    name = path.name
    objects = _mapping(
        doc.get("ocel:objects"), f"{name}: 'ocel:objects'", "a JSON object of objects by id"
    )
    events = _mapping(
        doc.get("ocel:events"), f"{name}: 'ocel:events'", "a JSON object of events by id"
    )
    event_kinds, object_kinds = _Kinds(), _Kinds()
    _json_objects(objects, path, raw, object_kinds)
    _json_events(events, path, raw, event_kinds)
    _json_changes(doc.get("ocel:objectChanges"), path, raw, object_kinds)
    raw.event_types = event_kinds.declarations()
    raw.object_types = object_kinds.declarations()


def _json_objects(objects: dict[str, Any], path: Path, raw: _Raw, kinds: _Kinds) -> None:
    count = row_counter(where=str(path), what="objects")
    for oid, item in objects.items():
        count()
        where = f"{path.name}: object {oid!r}"
        obj = _mapping(item, where, "a JSON object with 'ocel:type' and 'ocel:ovmap'")
        object_type = obj.get("ocel:type")
        raw.objects.append((oid, object_type))
        kinds.known(object_type)
        ovmap = _mapping(obj.get("ocel:ovmap"), f"{where}, 'ocel:ovmap'", "a JSON object")
        for key, value in ovmap.items():
            if value is None:
                continue
            kinds.see(object_type, key, _json_kind(value))
            raw.changes.append((oid, EPOCH_TEXT, key, _json_value(value)))
        for listed in _listing(obj.get("ocel:o2o"), f"{where}, 'ocel:o2o'", "a list"):
            rel = _mapping(listed, f"{where}, 'ocel:o2o'", "a list of JSON objects")
            raw.o2o.append((oid, rel.get("ocel:oid"), rel.get("ocel:qualifier")))


def _json_events(events: dict[str, Any], path: Path, raw: _Raw, kinds: _Kinds) -> None:
    count = row_counter(where=str(path), what="events")
    for eid, item in events.items():
        count()
        where = f"{path.name}: event {eid!r}"
        event = _mapping(
            item, where, "a JSON object with 'ocel:activity', 'ocel:timestamp' and 'ocel:omap'"
        )
        activity = event.get("ocel:activity")
        raw.events.append((eid, activity, event.get("ocel:timestamp")))
        kinds.known(activity)
        vmap = _mapping(event.get("ocel:vmap"), f"{where}, 'ocel:vmap'", "a JSON object")
        values = {}
        for key, value in vmap.items():
            if value is None:
                continue
            kinds.see(activity, key, _json_kind(value))
            values[key] = _json_value(value)
        raw.event_values.append(values)
        omap = _listing(event.get("ocel:omap"), f"{where}, 'ocel:omap'", "a list of object ids")
        # Each object once, in the order of the omap; the typed omap only names qualifiers.
        related: dict[Any, Any] = {}
        for oid in omap:
            if isinstance(oid, dict | list):
                raise InputError(f"{where}, 'ocel:omap' lists {_shown(oid)}, not an object id.")
            related.setdefault(oid, None)
        typed = _listing(event.get("ocel:typedOmap"), f"{where}, 'ocel:typedOmap'", "a list")
        for listed in typed:
            rel = _mapping(listed, f"{where}, 'ocel:typedOmap'", "a list of JSON objects")
            if rel.get("ocel:oid") in related:
                related[rel.get("ocel:oid")] = rel.get("ocel:qualifier")
        raw.e2o.extend((eid, oid, qualifier) for oid, qualifier in related.items())


def _json_changes(changes: Any, path: Path, raw: _Raw, kinds: _Kinds) -> None:
    """pm4py's extension ``ocel:objectChanges``: one record per later value of an object."""
    where = f"{path.name}: 'ocel:objectChanges'"
    type_of = {str(oid): object_type for oid, object_type in raw.objects}
    for record in _listing(changes, where, "a list"):
        change = _mapping(record, where, "a list of JSON objects")
        oid, field = change.get("ocel:oid"), change.get("ocel:field")
        value = change.get(field) if isinstance(field, str) else None
        if value is not None and isinstance(field, str):
            kinds.see(type_of.get(str(oid), ""), field, _json_kind(value))
        raw.changes.append((oid, change.get("ocel:timestamp"), field, _json_value(value)))


# ---------------------------------------------------------------------------------------------
# XML


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _parse_events(
    path: Path, events: tuple[str, ...], tags: tuple[str, ...]
) -> Iterator[tuple[str, Any]]:
    """lxml's incremental parse of ``path`` (the elements named ``tags``): no entities resolved,
    nothing fetched."""
    return etree.iterparse(  # type: ignore[no-any-return]
        str(path),
        events=events,
        tag=tags,
        resolve_entities=False,
        no_network=True,
        huge_tree=True,
        remove_comments=True,
        remove_pis=True,
    )


def is_ocel1_xml(path: Path) -> bool:
    """Whether the XML file ``path`` is an OCEL 1.0 log, from its first elements: a ``<global>``
    section, or an event or object written as keyed children (``<string key="id" .../>``)
    rather than with an ``id`` attribute as in OCEL 2.0. Only the file's head is read."""
    parser = etree.XMLPullParser(
        events=("start", "end"), resolve_entities=False, no_network=True, remove_comments=True
    )
    depth = 0
    with path.open("rb") as handle:
        for _ in range(_HEAD_CHUNKS):
            chunk = handle.read(_CHUNK)
            broken = False
            try:
                parser.feed(chunk)
            except etree.XMLSyntaxError:
                broken = True  # what was read before the fault still tells the version
            for event, element in parser.read_events():
                depth += 1 if event == "start" else -1
                if event == "end" or depth == 1:
                    continue
                decided = _decides(depth, _local(element.tag), element.get("id"))
                if decided is not None:
                    return decided
            if broken or not chunk:
                return False  # the OCEL 2.0 reader explains what is wrong with the file
    return False


def _decides(depth: int, tag: str, element_id: str | None) -> bool | None:
    """OCEL 1.0 or not from one opening element, or None while it cannot tell."""
    if depth == 2:
        if tag in ("global", "o2o"):
            return True
        return None if tag in ("events", "objects") else False
    return element_id is None


def read_ocel1_xml(path: Path, raw: _Raw) -> None:
    """Fill ``raw`` from the OCEL 1.0 XML file ``path``, one event or object at a time."""
    event_kinds, object_kinds = _Kinds(), _Kinds()
    count_event = row_counter(where=str(path), what="events")
    count_object = row_counter(where=str(path), what="objects")
    try:
        for _, element in _parse_events(path, ("end",), ("{*}event", "{*}object", "{*}o2o")):
            place = _place(element)
            if place == "log/o2o":
                raw.o2o.extend(
                    (rel.get("source"), rel.get("target"), rel.get("qualifier")) for rel in element
                )
            elif place == "log/events/event":
                count_event()
                _xml_event(element, path, raw, event_kinds)
            elif place == "log/objects/object":
                count_object()
                _xml_object(element, path, raw, object_kinds)
            else:
                continue  # an element of that name elsewhere is no item
            _free(element)
    except etree.XMLSyntaxError as error:
        raise InputError(
            f"{path.name} is not well-formed XML ({error}); an OCEL 1.0 XML file has a <log> "
            "root with <events> and <objects>, each event and object written as keyed values "
            '(<string key="id" value="..."/>).'
        ) from error
    raw.event_types = event_kinds.declarations()
    raw.object_types = object_kinds.declarations()


def _place(element: Any) -> str:
    """The local tags from the root down to ``element`` (at most four levels), joined by /."""
    tags: list[str] = []
    while element is not None and len(tags) < 4:
        tags.append(_local(element.tag))
        element = element.getparent()
    return "/".join(reversed(tags))


def _free(element: Any) -> None:
    """Drop a read element and the siblings before it, so memory holds one item at a time."""
    element.clear()
    parent = element.getparent()
    while parent is not None and element.getprevious() is not None:
        del parent[0]


@functools.cache
def _xml_kind(tag: str) -> str:
    # pm4py's parse_xml: a tag naming float is a decimal, one naming date a time, others text.
    lowered = _local(tag).lower()
    if "float" in lowered:
        return "float"
    return "time" if "date" in lowered else "string"


def _xml_value(child: Any, path: Path) -> Any:
    value = child.get("value")
    if value is not None and _xml_kind(child.tag) == "float":
        try:
            return float(value)
        except ValueError:
            raise InputError(
                f"{path.name}, line {child.sourceline}: <{_local(child.tag)} "
                f"key={child.get('key')!r}> has the value {value!r}, which is not a number."
            ) from None
    return value


def _keyed(element: Any) -> dict[str, Any]:
    """An OCEL 1.0 event's or object's children by their key (the last of a repeated key, as
    pm4py takes it)."""
    return {str(child.get("key")): child for child in element}


def _value_of(keyed: dict[str, Any], key: str) -> Any:
    child = keyed.get(key)
    return None if child is None else child.get("value")


def _xml_event(element: Any, path: Path, raw: _Raw, kinds: _Kinds) -> None:
    keyed = _keyed(element)
    eid, activity = _value_of(keyed, "id"), _value_of(keyed, "activity")
    raw.events.append((eid, activity, _value_of(keyed, "timestamp")))
    kinds.known(activity)
    values: dict[str, Any] = {}
    for child in keyed.get("vmap", ()):
        name = str(child.get("key"))
        kinds.see(activity, name, _xml_kind(child.tag))
        values[name] = _xml_value(child, path)
    raw.event_values.append(values)
    # Each object once (pm4py keys the omap by object), with the qualifier written last.
    related = {ref.get("value"): ref.get("qualifier") for ref in keyed.get("omap", ())}
    raw.e2o.extend((eid, oid, qualifier) for oid, qualifier in related.items())


def _xml_object(element: Any, path: Path, raw: _Raw, kinds: _Kinds) -> None:
    keyed = _keyed(element)
    oid, object_type = _value_of(keyed, "id"), _value_of(keyed, "type")
    raw.objects.append((oid, object_type))
    kinds.known(object_type)
    seen: set[str] = set()
    for child in keyed.get("ovmap", ()):
        name = str(child.get("key"))
        kinds.see(object_type, name, _xml_kind(child.tag))
        # As pm4py: a key's first value is the object's own, a repeated key a later change.
        moment = child.get("timestamp") if name in seen else EPOCH_TEXT
        seen.add(name)
        raw.changes.append((oid, moment, name, _xml_value(child, path)))
