"""What `parse` shows per finding, shared by the renderers, and its fast JSON encoding.

A day's log yields hundreds of thousands of findings with a few dozen distinct codes,
so the JSON of the catalogue entries (the bulk of each line) is encoded once per pair of
entries and spliced into each line.
"""

from __future__ import annotations

import dataclasses
import json
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from operator import attrgetter
from typing import TYPE_CHECKING

from smtpcode.text import one_line

if TYPE_CHECKING:
    from smtpcode.records import Finding

# Distinct diagnoses whose JSON pieces are kept.
TEMPLATE_CACHE = 4096
COLUMNS = ("line", "code", "enhanced", "class", "reason", "meaning")


def dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))


# The JSON pieces around a finding's per-reply values, the values' names, and the
# entries the pieces were made from (held so that their ids stay theirs).
Template = tuple[list[bytes], list[str], tuple[object, object]]


# Reply fields that differ between replies sharing one diagnosis: probed below by
# changing them and seeing which keys of the finding's dict change.
_PER_REPLY = ("input", "line", "text", "recipient")


class FindingEncoder:
    """Finding -> the JSON line of GUIDE §3, equal to dumps(finding.to_dict()).

    Findings of one diagnosis (same codes, reason, advice, meaning, ...) differ only in
    their reply's input, line, text and recipient. For each diagnosis the JSON is cut
    once into constant pieces around those values; each line is then the pieces joined
    with the few values encoded.
    """

    def __init__(self) -> None:
        self._templates: dict[tuple[object, ...], Template | None] = {}

    def encode(self, finding: Finding) -> str:
        return self.encode_bytes(finding).decode("utf-8")

    def encode_bytes(self, finding: Finding) -> bytes:
        """The JSON line as UTF-8, without its line end."""
        r = finding.reply
        key = (
            *_finding_key(finding),
            id(finding.basic_entry),
            id(finding.enhanced_entry),
            *_reply_key_fields(r),
        )
        try:
            template = self._templates[key]
        except KeyError:
            if len(self._templates) >= TEMPLATE_CACHE:
                self._templates.clear()
            template = self._templates[key] = _template(finding)
        if template is None:
            return dumps(finding.to_dict()).encode("utf-8", "replace")
        pieces, names, _ = template
        values = dict(zip(_PER_REPLY, _per_reply(r), strict=True))
        out = [pieces[0]]
        for name, piece in zip(names, pieces[1:], strict=True):
            value = values[name]
            if value is None:
                out.append(b"null")
            elif value.__class__ is str:
                out.append(encode_basestring(value).encode("utf-8", "replace"))
            elif value.__class__ is int:
                out.append(str(value).encode())
            else:
                out.append(dumps(value).encode("utf-8", "replace"))
            out.append(piece)
        return b"".join(out)


# What makes two findings' JSON differ only in their per-reply values. Entries are
# taken by identity (hashing one hashes all its texts); a template keeps its entries
# alive, so an id is never reused while it is a key.
_finding_key = attrgetter(
    "klass",
    "reason",
    "provider",
    "hard_bounce",
    "advice",
    "warnings",
    "undefined",
    "summary",
    "mta",
    "evidence",
)
_reply_key_fields = attrgetter("basic", "enhanced", "command", "mta", "host")
_per_reply = attrgetter(*_PER_REPLY)


def _template(finding: Finding) -> Template | None:
    """The finding's JSON cut around its per-reply values: pieces and value names; None
    when the dict derives other fields from those values (then it is encoded whole)."""
    d = finding.to_dict()
    probe = dataclasses.replace(
        finding.reply, input="\x00i", line=-7, text="\x00t", recipient="\x00r"
    )
    changed = dataclasses.replace(finding, reply=probe).to_dict()
    varying = [k for k in d if d[k] != changed.get(k)]
    if set(varying) - set(_PER_REPLY):
        return None
    pieces: list[str] = []
    names: list[str] = []
    current: list[str] = []
    first = True
    for k, v in d.items():
        current.append(("{" if first else ", ") + dumps(k) + ": ")
        first = False
        if k in varying:
            pieces.append("".join(current))
            names.append(k)
            current = []
        else:
            current.append(dumps(v))
    current.append("}")
    pieces.append("".join(current))
    encoded = [p.encode("utf-8", "replace") for p in pieces]
    return encoded, names, (finding.basic_entry, finding.enhanced_entry)


def meaning(finding: Finding) -> str:
    """The shortest statement of what the codes mean: the most specific entry's title."""
    for entry in (finding.enhanced_entry, finding.basic_entry):
        if entry is not None and entry.defined:
            return entry.title
    for entry in (finding.enhanced_entry, finding.basic_entry):
        if entry is not None:
            return entry.title
    return finding.summary or ""


def where(finding: Finding, with_input: bool) -> str:
    r = finding.reply
    line = str(r.line) if r.line is not None else "-"
    return f"{r.input}:{line}" if with_input and r.input else line


def plain_row(finding: Finding) -> str:
    """A tab-separated row: where (input:line), code, enhanced, class, reason, meaning."""
    row = []
    for cell in cells(finding, with_input=True):
        # Untrusted text: control characters shown as escapes, never sent raw.
        row.append(cell if cell.isprintable() else one_line(cell))
    return "\t".join(row)


def cells(finding: Finding, with_input: bool) -> list[str]:
    """One row: where, code, enhanced code, class, reason, meaning (and recipient)."""
    r = finding.reply
    about = meaning(finding)
    if r.recipient:
        about = f"{about} — {r.recipient}" if about else r.recipient
    return [
        where(finding, with_input),
        r.basic or "-",
        r.enhanced or "-",
        finding.klass or "-",
        finding.reason,
        about,
    ]
