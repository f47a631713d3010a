"""The catalogue's texts in another language: codes.<lang>.yaml, rules.<lang>.yaml and
providers/<lang>/<id>.yaml laid over the English data.

A translation file holds only the texts a person reads, keyed like the English file (codes
by their code, reasons, providers and blocklists by their id). Everything else (classes,
commands, RFCs, rules, patterns) comes from the English file alone, so a translation can
never change what smtpcode decides, only how it says it. A text missing from the
translation stays English: `missing` lists those, and the test suite requires the list
to be empty for the bundled files.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

# The fields of a catalogue entry a person reads (rfc_text quotes the RFCs: it stays).
ENTRY_TEXTS = ("title", "description", "when", "fix", "retry", "choose")
BY_CLASS_TEXTS = ("when", "fix")
FIRST_DIGIT_TEXTS = ("title", "description", "retry")
SECOND_DIGIT_TEXTS = ("title", "description")
# A reason's fields that are not texts; every other field of a reason is a text, or a
# mapping of texts (variants, e.g. by class), and is translated key by key.
REASON_VALUES = frozenset({"hard_bounce", "bounce", "final"})


def _codes_sections(data: Mapping[str, Any]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    meta = data["meta"]
    yield "enhanced_classes", meta["enhanced_classes"]
    yield "subjects", meta["subjects"]
    yield "basic", data["basic"]
    yield "enhanced", data["enhanced"]


def _translation_section(texts: Mapping[str, Any], section: str) -> Mapping[str, Any]:
    if section in ("enhanced_classes", "subjects"):
        return (texts.get("meta") or {}).get(section) or {}
    return texts.get(section) or {}


def _lay(target: dict[str, Any], source: Mapping[str, Any], fields: tuple[str, ...]) -> None:
    for name in fields:
        if name in target and source.get(name):
            target[name] = source[name]


def translated_codes(data: Mapping[str, Any], texts: Mapping[str, Any]) -> dict[str, Any]:
    """codes.yaml's data with the texts of a translation laid over it."""
    out: dict[str, Any] = copy.deepcopy(dict(data))
    meta_texts = texts.get("meta") or {}
    for part, fields in (
        ("first_digit", FIRST_DIGIT_TEXTS),
        ("second_digit", SECOND_DIGIT_TEXTS),
    ):
        for key, digit in out["meta"][part].items():
            _lay(digit, (meta_texts.get(part) or {}).get(str(key)) or {}, fields)
    for section, entries in _codes_sections(out):
        own = _translation_section(texts, section)
        for entry in entries:
            mine = own.get(str(entry["code"])) or {}
            _lay(entry, mine, ENTRY_TEXTS)
            for digit, variant in (entry.get("by_class") or {}).items():
                _lay(variant, (mine.get("by_class") or {}).get(str(digit)) or {}, BY_CLASS_TEXTS)
    notes = texts.get("vendor_notes") or {}
    for key, note in (out.get("vendor_notes") or {}).items():
        _lay(note, notes.get(str(key)) or {}, ("text",))
    return out


def translated_rules(data: Mapping[str, Any], texts: Mapping[str, Any]) -> dict[str, Any]:
    """rules.yaml's data with the texts of a translation laid over it."""
    out: dict[str, Any] = copy.deepcopy(dict(data))
    for key, reason in out["reasons"].items():
        mine = (texts.get("reasons") or {}).get(str(key)) or {}
        for name, value in reason.items():
            theirs = mine.get(name)
            if name in REASON_VALUES or not theirs:
                continue
            if isinstance(value, str) and isinstance(theirs, str):
                reason[name] = theirs
            elif isinstance(value, dict) and isinstance(theirs, dict):
                for variant, text in value.items():
                    if isinstance(text, str) and isinstance(theirs.get(variant), str):
                        value[variant] = theirs[variant]
    for key, provider in out["providers"].items():
        advice = provider.get("advice") or {}
        mine = ((texts.get("providers") or {}).get(str(key)) or {}).get("advice") or {}
        for reason, text in advice.items():
            theirs = mine.get(reason)
            if isinstance(text, dict) and isinstance(theirs, dict):
                text.update({k: v for k, v in theirs.items() if k in text and v})
            elif isinstance(text, str) and isinstance(theirs, str) and theirs:
                advice[reason] = theirs
    inbound = out.get("inbound_default")
    if isinstance(inbound, dict):
        _lay(inbound, texts.get("inbound_default") or {}, ("advice", "action"))
    for key, blocklist in out["blocklists"].items():
        _lay(blocklist, (texts.get("blocklists") or {}).get(str(key)) or {}, ("advice",))
    objects = out.get("objects") or {}
    for key in objects:
        mine = (texts.get("objects") or {}).get(str(key))
        if mine:
            objects[key] = mine
    return out


# -- what a translation lacks -----------------------------------------------------------


def missing_codes(data: Mapping[str, Any], texts: Mapping[str, Any]) -> list[str]:
    """Every text of codes.yaml the translation lacks, as "basic.550.when"."""
    out: list[str] = []
    meta_texts = texts.get("meta") or {}
    for part, fields in (
        ("first_digit", FIRST_DIGIT_TEXTS),
        ("second_digit", SECOND_DIGIT_TEXTS),
    ):
        for key, digit in data["meta"][part].items():
            mine = (meta_texts.get(part) or {}).get(str(key)) or {}
            out += [f"meta.{part}.{key}.{f}" for f in fields if f in digit and not mine.get(f)]
    for section, entries in _codes_sections(data):
        own = _translation_section(texts, section)
        for entry in entries:
            code = str(entry["code"])
            mine = own.get(code) or {}
            out += [f"{section}.{code}.{f}" for f in ENTRY_TEXTS if f in entry and not mine.get(f)]
            for digit, variant in (entry.get("by_class") or {}).items():
                theirs = (mine.get("by_class") or {}).get(str(digit)) or {}
                out += [
                    f"{section}.{code}.by_class.{digit}.{f}"
                    for f in BY_CLASS_TEXTS
                    if f in variant and not theirs.get(f)
                ]
    notes = texts.get("vendor_notes") or {}
    out += [
        f"vendor_notes.{k}.text"
        for k in (data.get("vendor_notes") or {})
        if not (notes.get(str(k)) or {}).get("text")
    ]
    return out


def missing_rules(data: Mapping[str, Any], texts: Mapping[str, Any]) -> list[str]:
    """Every text of rules.yaml the translation lacks, as "reasons.spam.advice"."""
    out: list[str] = []
    for key, reason in data["reasons"].items():
        mine = (texts.get("reasons") or {}).get(str(key)) or {}
        for name, value in reason.items():
            theirs = mine.get(name)
            if name in REASON_VALUES:
                continue
            if isinstance(value, str) and not (isinstance(theirs, str) and theirs):
                out.append(f"reasons.{key}.{name}")
            elif isinstance(value, dict):
                theirs = theirs if isinstance(theirs, dict) else {}
                out += [
                    f"reasons.{key}.{name}.{variant}"
                    for variant, text in value.items()
                    if isinstance(text, str) and not theirs.get(variant)
                ]
    for key, provider in data["providers"].items():
        mine = ((texts.get("providers") or {}).get(str(key)) or {}).get("advice") or {}
        for r, text in (provider.get("advice") or {}).items():
            theirs = mine.get(r)
            if isinstance(text, dict):
                theirs = theirs if isinstance(theirs, dict) else {}
                out += [f"providers.{key}.advice.{r}.{v}" for v in text if not theirs.get(v)]
            elif not theirs:
                out.append(f"providers.{key}.advice.{r}")
    inbound = data.get("inbound_default") or {}
    mine_inbound = texts.get("inbound_default") or {}
    out += [f"inbound_default.{k}" for k in inbound if not mine_inbound.get(k)]
    for key in data["blocklists"]:
        if not ((texts.get("blocklists") or {}).get(str(key)) or {}).get("advice"):
            out.append(f"blocklists.{key}.advice")
    for key in data.get("objects") or {}:
        if not (texts.get("objects") or {}).get(str(key)):
            out.append(f"objects.{key}")
    return out


def pairs(
    data: Mapping[str, Any], texts: Mapping[str, Any], kind: str
) -> Iterator[tuple[str, Any, Any]]:
    """(where, English, translation) for every text both files have: what a structure
    check compares. kind is "codes" or "rules"."""
    merged = translated_codes(data, texts) if kind == "codes" else translated_rules(data, texts)
    yield from _walk("", data, merged)


def _walk(where: str, english: Any, other: Any) -> Iterator[tuple[str, Any, Any]]:
    if isinstance(english, dict) and isinstance(other, dict):
        for key, value in english.items():
            yield from _walk(f"{where}.{key}" if where else str(key), value, other.get(key))
    elif isinstance(english, list) and isinstance(other, list):
        if english and all(isinstance(e, dict) for e in english):
            for a, b in zip(english, other, strict=True):
                yield from _walk(f"{where}.{a.get('code', a.get('id', '?'))}", a, b)
        elif english != other:
            yield where, english, other
    elif isinstance(english, str) and english != other:
        yield where, english, other


# -- the provider layer: providers/<lang>/<id>.yaml --------------------------------------
# A provider file's translation holds its display name and, per entry (keyed by the
# entry's code, the first of a range, or its token), the texts a person reads.

PROVIDER_TEXTS = ("title", "description", "when", "fix")


def provider_key(raw: Mapping[str, Any]) -> str:
    """What names an entry of a provider file: its code, or its token."""
    return str(raw.get("code", raw.get("token", "?"))).strip()


def provider_texts_by_key(texts: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(item["key"]).strip(): item for item in texts.get("codes") or []}


def translated_provider(data: Mapping[str, Any], texts: Mapping[str, Any]) -> dict[str, Any]:
    """A provider file's data with the texts of a translation laid over it."""
    out: dict[str, Any] = copy.deepcopy(dict(data))
    _lay(out, texts, ("name",))
    mine = provider_texts_by_key(texts)
    for entry in out["codes"]:
        _lay(entry, mine.get(provider_key(entry)) or {}, PROVIDER_TEXTS)
    return out


def missing_provider(data: Mapping[str, Any], texts: Mapping[str, Any]) -> list[str]:
    """Every text of a provider file the translation lacks, as "codes.TSS04.when"."""
    out = [] if texts.get("name") else ["name"]
    mine = provider_texts_by_key(texts)
    for entry in data["codes"]:
        key = provider_key(entry)
        theirs = mine.get(key) or {}
        out += [f"codes.{key}.{f}" for f in PROVIDER_TEXTS if f in entry and not theirs.get(f)]
    return out


def provider_pairs(
    data: Mapping[str, Any], texts: Mapping[str, Any]
) -> Iterator[tuple[str, Any, Any]]:
    """(where, English, translation) for every text of a provider file both have."""
    merged = translated_provider(data, texts)
    for a, b in zip(data["codes"], merged["codes"], strict=True):
        for name in PROVIDER_TEXTS:
            if name in a and a[name] != b[name]:
                yield f"codes.{provider_key(a)}.{name}", a[name], b[name]
