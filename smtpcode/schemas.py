"""What the data files may hold: every key codes.yaml and rules.yaml know, and the type of
every value, so that a typo (`descriptoin:`) or a tampered copy is refused at load time
instead of being silently ignored or crashing later.

A schema is built from four shapes: Fields (a mapping with known keys), Table (a mapping
whose keys are names the file chooses, each value of one shape), Items (a list) and
Scalar (a leaf of given Python types). `check` walks loaded data against a schema and
returns the first problem with its path (the keys and list positions leading to it);
datafiles.py turns the path into a line of the YAML file. The walk visits every value
once, so it costs well under a millisecond for the bundled files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Scalar:
    types: tuple[type, ...]
    what: str


@dataclass(frozen=True)
class Items:
    item: Spec


@dataclass(frozen=True)
class Table:
    value: Spec


@dataclass(frozen=True)
class Fields:
    fields: Mapping[str, Spec]
    required: frozenset[str] = field(default_factory=frozenset)


Spec = Scalar | Items | Table | Fields


@dataclass(frozen=True)
class Problem:
    """The first thing wrong with the data: where (path) and what."""

    path: Path
    message: str
    unknown_key: bool = False  # the last element of path is a key the schema lacks


TEXT = Scalar((str,), "a text")
FLAG = Scalar((bool,), "true or false")
MAYBE_FLAG = Scalar((bool, type(None)), "true, false or nothing")
CODE = Scalar((str, int), "a code")
TEXTS = Items(TEXT)


def check(data: object, spec: Spec) -> Problem | None:
    """The first problem of data against spec, or None when it fits."""
    # Most data fits: a walk that builds no paths answers that in half the time, and
    # only data that does not fit is walked again to say where.
    return None if _fits(data, spec) else _problem(data, spec)


def _fits(data: object, spec: Spec) -> bool:
    stack: list[tuple[object, Spec]] = [(data, spec)]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        value, want = pop()
        kind = type(want)
        if kind is Scalar:
            if not isinstance(value, want.types):  # type: ignore[union-attr]
                return False
        elif kind is Items:
            if type(value) is not list:
                return False
            item = want.item  # type: ignore[union-attr]
            if type(item) is Scalar:
                types = item.types
                if not all(isinstance(v, types) for v in value):
                    return False
            else:
                extend((v, item) for v in value)
        elif type(value) is not dict:
            return False
        elif kind is Table:
            value_spec = want.value  # type: ignore[union-attr]
            for key, item in value.items():
                if not isinstance(key, str | int) or isinstance(key, bool):
                    return False
                push((item, value_spec))
        else:
            fields = want.fields  # type: ignore[union-attr]
            if not fields.keys() >= value.keys() or not want.required <= value.keys():  # type: ignore[union-attr]
                return False
            extend((v, fields[k]) for k, v in value.items())
    return True


def _problem(data: object, spec: Spec) -> Problem | None:
    # An explicit stack, not recursion: a tampered copy nested 100,000 deep must not
    # raise RecursionError.
    stack: list[tuple[object, Spec, Path]] = [(data, spec, ())]
    while stack:
        value, want, path = stack.pop()
        if isinstance(want, Scalar):
            if not isinstance(value, want.types):
                return Problem(path, f"expected {want.what}, found {_kind(value)}")
        elif isinstance(want, Items):
            if not isinstance(value, list):
                return Problem(path, f"expected a list, found {_kind(value)}")
            stack.extend((item, want.item, (*path, i)) for i, item in enumerate(value))
        elif not isinstance(value, dict):
            return Problem(path, f"expected a mapping, found {_kind(value)}")
        elif isinstance(want, Table):
            for key, item in value.items():
                if not isinstance(key, str | int) or isinstance(key, bool):
                    return Problem(path, f"a key must be a name, found {_kind(key)}")
                stack.append((item, want.value, (*path, str(key))))
        else:
            for key in value:
                if key not in want.fields:
                    return Problem((*path, str(key)), f"unknown key {key!r}", unknown_key=True)
            missing = sorted(want.required - value.keys())
            if missing:
                return Problem(path, f"missing key {missing[0]!r}")
            stack.extend((value[k], want.fields[k], (*path, k)) for k in value)
    return None


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "a text", bool: "true or false"}.get(
        type(value), type(value).__name__
    )


def _fields(required: str, optional: str = "", **shapes: Spec) -> Fields:
    """Fields named in two space-separated lists; each is a text unless shapes say else."""
    names = required.split() + optional.split()
    return Fields({n: shapes.get(n, TEXT) for n in names}, frozenset(required.split()))


# -- codes.yaml -------------------------------------------------------------------------

_LISTS = {n: TEXTS for n in ("fix", "rfcs", "commands", "related", "actors", "associated")}
_LISTS |= {"notes": TEXTS, "rfc_text": TEXTS}
_ENTRY = _fields(
    "code title status description when fix",
    "class rfcs commands related actors associated notes rfc_text retry choose by_class",
    code=CODE,
    by_class=Table(_fields("", "when fix", fix=TEXTS)),
    **_LISTS,
)
_VENDOR_NOTE = _fields("software holds text", "source")
_FIRST_DIGIT = _fields("name title description", "retry")
_SECOND_DIGIT = _fields("title description")

CODES = _fields(
    "meta basic enhanced",
    "vendor_notes",
    meta=_fields(
        "first_digit second_digit enhanced_classes subjects",
        first_digit=Table(_FIRST_DIGIT),
        second_digit=Table(_SECOND_DIGIT),
        enhanced_classes=Items(_ENTRY),
        subjects=Items(_ENTRY),
    ),
    basic=Items(_ENTRY),
    enhanced=Items(_ENTRY),
    vendor_notes=Table(_VENDOR_NOTE),
)

# -- rules.yaml -------------------------------------------------------------------------

_SIGNATURE = _fields("id", "any re case proof", any=TEXTS, re=TEXTS, proof=FLAG)
# A text, or texts per reply class ({transient: ..., permanent: ...}; diagnose.py checks
# the class names).
_BY_CLASS = Scalar((str, dict), "a text or texts per class")
_INBOUND = _fields("advice action")
_TEXT_RULE = _fields(
    "id reason", "any re case class provider", any=TEXTS, re=TEXTS, **{"class": TEXTS}
)
_REASON = _fields(
    "bounce advice summary action",
    "about inbound final",
    advice=_BY_CLASS,
    action=_BY_CLASS,
    inbound=_INBOUND,
    final=FLAG,
)

RULES = _fields(
    "reasons by_enhanced by_basic text_rules providers mtas blocklists",
    "weak_codes basic_codes_are_weak compatible names_cause delist_for by_command objects "
    "inbound_default no_delivery_commands address_codes",
    reasons=Table(_REASON),
    inbound_default=_INBOUND,
    no_delivery_commands=TEXTS,
    address_codes=TEXTS,
    by_enhanced=Table(TEXT),
    by_basic=Table(TEXT),
    text_rules=Items(_TEXT_RULE),
    providers=Table(
        _fields(
            "name",
            "hosts signatures advice",
            hosts=TEXTS,
            signatures=Items(_SIGNATURE),
            advice=Table(_BY_CLASS),
        )
    ),
    mtas=Table(_fields("name", "signatures", signatures=Items(_SIGNATURE))),
    blocklists=Table(_fields("name advice", "signatures", signatures=Items(_SIGNATURE))),
    weak_codes=TEXTS,
    basic_codes_are_weak=FLAG,
    compatible=Items(TEXTS),
    names_cause=TEXTS,
    delist_for=TEXTS,
    by_command=Table(Table(TEXT)),
    objects=Table(TEXT),
)

# -- providers/*.yaml (the provider layer; smtpcode.provider_codes checks the values) ------

PROVIDER = _fields(
    "id name help emits codes",
    help=TEXTS,
    codes=Items(
        _fields(
            "class title description when fix retry reason",
            "token code aliases basic enhanced emits help registry_differs through",
            aliases=TEXTS,
            basic=Items(CODE),
            enhanced=TEXTS,
            fix=TEXTS,
            help=TEXTS,
            registry_differs=FLAG,
        )
    ),
)

# -- translations: codes.<lang>.yaml and rules.<lang>.yaml ------------------------------
# Only the texts a person reads, keyed like the English (codes by code, the rest by id);
# every key optional, so that a missing text falls back to English (smtpcode.translations).

_ENTRY_TEXTS = _fields(
    "",
    "title description when fix retry choose by_class",
    fix=TEXTS,
    by_class=Table(_fields("", "when fix", fix=TEXTS)),
)
CODES_TEXTS = _fields(
    "",
    "meta basic enhanced vendor_notes",
    meta=_fields(
        "",
        "first_digit second_digit enhanced_classes subjects",
        first_digit=Table(_fields("", "title description retry")),
        second_digit=Table(_fields("", "title description")),
        enhanced_classes=Table(_ENTRY_TEXTS),
        subjects=Table(_ENTRY_TEXTS),
    ),
    basic=Table(_ENTRY_TEXTS),
    enhanced=Table(_ENTRY_TEXTS),
    vendor_notes=Table(_fields("text")),
)
# A reason's texts: each a text, or texts by variant (by class, say), keyed like the
# English reason; the test suite checks that the keys are the English ones.
_REASON_TEXT = Scalar((str, dict), "a text or a mapping of texts")
RULES_TEXTS = _fields(
    "",
    "reasons providers blocklists objects inbound_default",
    reasons=Table(Table(_REASON_TEXT)),
    providers=Table(_fields("", "advice", advice=Table(_REASON_TEXT))),
    inbound_default=_fields("", "advice action"),
    blocklists=Table(_fields("", "advice")),
    objects=Table(TEXT),
)
# providers/<lang>/<id>.yaml: the texts of a provider file's entries, each keyed by the
# entry's code (the first of a range) or token.
PROVIDER_TEXTS = _fields(
    "",
    "name codes",
    codes=Items(_fields("key", "title description when fix", key=CODE, fix=TEXTS)),
)

# The schema of each data file, by its path relative to the repository's top; a pattern
# ("providers/*.yaml") covers a folder of files of one kind.
BY_FILE: dict[str, Spec] = {
    "codes.yaml": CODES,
    "rules.yaml": RULES,
    # Before "providers/*.yaml": fnmatch's * matches a "/" too.
    "providers/*/*.yaml": PROVIDER_TEXTS,
    "providers/*.yaml": PROVIDER,
    "codes.*.yaml": CODES_TEXTS,
    "rules.*.yaml": RULES_TEXTS,
}


def schema_for(name: str) -> Spec:
    """The schema of a data file ("codes.yaml", "providers/microsoft.yaml")."""
    from fnmatch import fnmatchcase

    if name in BY_FILE:
        return BY_FILE[name]
    for pattern, spec in BY_FILE.items():
        if fnmatchcase(name, pattern):
            return spec
    raise KeyError(f"no schema for the data file {name}")
