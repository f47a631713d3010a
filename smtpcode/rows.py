"""A finding as one line of bytes, the way `parse` writes it: JSON (FindingEncoder) or
tab-separated text (TsvEncoder), and the cells the rows of every output are made of.

The pipeline owns these encoders (the rows can be made by any process of a run); the
renderers only write the bytes. A day's log yields hundreds of thousands of findings
with a few dozen distinct codes, so the JSON of the catalogue entries (the bulk of each
line) is encoded once per pair of entries and spliced into each line.
"""

from __future__ import annotations

import dataclasses
import json
import re
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import TYPE_CHECKING

from smtpcode.text import one_line

if TYPE_CHECKING:
    from smtpcode.records import Finding, Reply

# Distinct diagnoses whose JSON pieces are kept.
TEMPLATE_CACHE = 4096
# The columns of a plain (tab-separated) row, a documented contract: scripts cut them.
COLUMNS = (
    "what",
    "code",
    "enhanced",
    "class",
    "reason",
    "provider",
    "recipient",
    "where",
    "time",
)


# DEL and the C1 controls, which JSON may carry raw but a terminal may act on (0x9b is
# a one-byte CSI): always written as \u escapes.
_RAW_CONTROLS = re.compile("[\x7f-\x9f]")


def _escape_controls(encoded: str) -> str:
    if encoded.isascii() and "\x7f" not in encoded:
        return encoded
    return _RAW_CONTROLS.sub(_unicode_escape, encoded)


def dumps(obj: object) -> str:
    """JSON text as smtpcode writes it: UTF-8 kept, control characters escaped."""
    return _escape_controls(json.dumps(obj, ensure_ascii=False, separators=(", ", ": ")))


# Reply fields that differ between replies sharing one diagnosis: probed below by
# changing them and seeing which keys of the finding's dict change.
_PER_REPLY = ("input", "line", "time", "text", "recipient")


# Everything but the per-reply values that Finding.to_dict() reads, apart from the
# catalogue entries (compared by identity): findings alike in these differ in their JSON
# only in the per-reply values. (A tuple built here: attrgetter with dotted names costs
# twice as much, and this runs for every finding.)
def _finding_key(finding: Finding) -> tuple[object, ...]:
    r = finding.reply
    f = finding
    return (
        f.summary,
        f.advice,
        f.reason,
        f.provider,
        f.klass,
        f.hard_bounce,
        f.warnings,
        f.undefined,
        f.remote_mta,
        f.retry,
        f.lang,
        r.basic,
        r.enhanced,
        r.command,
        r.reporter,
        r.remote_host,
        r.direction,
        r.truncated,
    )


class RowTemplate:
    """One diagnosis's JSON cut around its per-reply values."""

    __slots__ = ("basic_entry", "enhanced_entry", "names", "pieces", "vendor_entry")

    def __init__(self, finding: Finding) -> None:
        # The entries are held so that the identity comparison in line() stays sound.
        self.basic_entry = finding.basic_entry
        self.enhanced_entry = finding.enhanced_entry
        self.vendor_entry = finding.vendor_entry
        self.names: list[str] | None = None
        self.pieces: list[bytes] = []
        cut = _cut(finding)
        if cut is not None:
            self.pieces, self.names = cut
            self.pieces[-1] += b"\n"


class FindingEncoder:
    """Finding -> its JSON line (README, "JSON"), equal to dumps(finding.to_dict()).

    Findings of one diagnosis (same codes, reason, advice, meaning, ...) differ only in
    their reply's input, line, time, text and recipient. For a diagnosis seen twice the
    JSON is cut once into constant pieces around those values; each line is then the
    pieces joined with the few values encoded. (A diagnosis seen once, as most of a
    bounce's are, is encoded whole: cutting costs several encodings.)
    """

    def __init__(self) -> None:
        self._templates: dict[tuple[object, ...], RowTemplate | None] = {}
        # The input's JSON, kept while the input stays the same.
        self._input: object = _UNSET
        self._input_json = b""

    def encode(self, finding: Finding) -> str:
        return self.encode_bytes(finding).decode("utf-8")

    def encode_bytes(self, finding: Finding) -> bytes:
        """The JSON line as UTF-8, without its line end."""
        return self.line(finding)[:-1]

    def line(self, finding: Finding) -> bytes:
        """The JSON line as UTF-8, with its line end."""
        template = self._template_for(finding)
        if template is None or template.names is None:
            return self.whole(finding)
        return self.fill(template, finding.reply)

    @staticmethod
    def whole(finding: Finding) -> bytes:
        """The JSON line encoded whole, with no template."""
        return (dumps(finding.to_dict()) + "\n").encode("utf-8", "replace")

    __call__ = line

    def template(self, finding: Finding) -> RowTemplate | None:
        """The finding's JSON cut around its reply's values, for fill(); None when the
        finding must be encoded whole."""
        template = self._template_for(finding)
        return template if template is not None and template.names is not None else None

    def _template_for(self, finding: Finding) -> RowTemplate | None:
        """The diagnosis's template; None the first time it is seen."""
        key = _finding_key(finding)
        if key not in self._templates:
            if len(self._templates) >= TEMPLATE_CACHE:
                self._templates.clear()
            self._templates[key] = None
            return None
        template = self._templates[key]
        if (
            template is None
            or template.basic_entry is not finding.basic_entry
            or template.enhanced_entry is not finding.enhanced_entry
            or template.vendor_entry is not finding.vendor_entry
        ):
            if len(self._templates) >= TEMPLATE_CACHE:
                self._templates.clear()
            template = self._templates[key] = RowTemplate(finding)
        return template

    def fill(self, template: RowTemplate, r: Reply) -> bytes:
        """The JSON line of a finding with this template, for reply r."""
        line = r.line
        if template.names is _USUAL and (line is None or line.__class__ is int):
            # The usual order: input, line, text and recipient (a bool is an int that
            # JSON spells otherwise). Text and recipient that are not strings or None
            # make encode_basestring raise: they go the general way below.
            name = r.input
            if name is not self._input:
                self._input, self._input_json = name, _value(name)
            time, text, recipient = r.time, r.text, r.recipient
            p0, p1, p2, p3, p4, p5 = template.pieces
            try:
                return b"".join(
                    (
                        p0,
                        self._input_json,
                        p1,
                        b"null" if line is None else b"%d" % line,
                        p2,
                        b"null" if time is None else _string(time).encode("utf-8", "replace"),
                        p3,
                        b"null" if text is None else _string(text).encode("utf-8", "replace"),
                        p4,
                        b"null"
                        if recipient is None
                        else _string(recipient).encode("utf-8", "replace"),
                        p5,
                    )
                )
            except TypeError:
                pass
        pieces = template.pieces
        out = [pieces[0]]
        for name, piece in zip(template.names or (), pieces[1:], strict=True):
            out.append(_value(getattr(r, name)))
            out.append(piece)
        return b"".join(out)


_UNSET = object()


def _string(value: str) -> str:
    encoded: str = encode_basestring(value)
    # (Inlined _escape_controls: this runs for every text of every row.)
    if encoded.isascii() and "\x7f" not in encoded:
        return encoded
    return _RAW_CONTROLS.sub(_unicode_escape, encoded)


def _unicode_escape(m: re.Match[str]) -> str:
    return f"\\u{ord(m.group()):04x}"


def _value(value: object) -> bytes:
    if value is None:
        return b"null"
    if value.__class__ is str:
        return _string(value).encode("utf-8", "replace")  # type: ignore[no-any-return]
    return dumps(value).encode("utf-8", "replace")


def _cut(finding: Finding) -> tuple[list[bytes], list[str]] | None:
    """The finding's JSON cut around its per-reply values: pieces and value names; None
    when the dict derives other fields from those values (then it is encoded whole)."""
    d = finding.to_dict()
    probe = dataclasses.replace(
        finding.reply, input="\x00i", line=-7, time="\x00d", text="\x00t", recipient="\x00r"
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
    if names == list(_USUAL):
        names = _USUAL  # the fast path in FindingEncoder.line()
    return [p.encode("utf-8", "replace") for p in pieces], names


_USUAL = ["input", "line", "time", "text", "recipient"]


def meaning(finding: Finding) -> str:
    """The shortest statement of what the codes mean: the most specific entry's title
    (the provider's own meaning first, where the reply carried one)."""
    for entry in (finding.vendor_entry, finding.enhanced_entry, finding.basic_entry):
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


# headline() of the summaries seen: a log repeats a few dozen diagnoses.
_HEADLINES: dict[str, str] = {}


def headline(finding: Finding) -> str:
    """What happened and why, in one sentence: the diagnosis summary's first sentence
    ("Gmail rejected the recipient: the address does not exist."), or the reason and
    the provider where there is no summary ("user-unknown (google)")."""
    summary = finding.summary
    if summary:
        first = _HEADLINES.get(summary)
        if first is None:
            if len(_HEADLINES) >= 4096:
                _HEADLINES.clear()
            end = summary.find(". ")
            first = _HEADLINES[summary] = summary[: end + 1] if end > 0 else summary
        return first
    if finding.provider:
        return f"{finding.reason} ({finding.provider})"
    return finding.reason


class TsvEncoder:
    """Finding -> one tab-separated line (plain_row), as UTF-8 bytes that never fail to
    encode (a lone surrogate from undecodable input is written as an escape)."""

    def line(self, finding: Finding) -> bytes:
        return (plain_row(finding) + "\n").encode("utf-8", "backslashreplace")

    __call__ = line


RowEncoder = FindingEncoder | TsvEncoder


def row_encoder(kind: str) -> RowEncoder:
    """The encoder of a kind of rows: "json" or "tsv"."""
    if kind == "json":
        return FindingEncoder()
    if kind == "tsv":
        return TsvEncoder()
    raise ValueError(f"unknown kind of rows {kind!r}")


def plain_row(finding: Finding) -> str:
    """A tab-separated row, the columns of COLUMNS ("-" for what the input does not say)."""
    row = cells(finding, with_input=True)
    # Untrusted text: control characters shown as escapes, never sent raw. (One test
    # over the whole row: a tab is no printable character, so the row's own tabs are
    # left out of it.)
    if not "".join(row).isprintable():
        row = [cell if cell.isprintable() else one_line(cell) for cell in row]
    return "\t".join(row)


def cells(finding: Finding, with_input: bool) -> list[str]:
    """One row, in the order of COLUMNS: what happened and why first, then the codes,
    class, reason and provider, the recipient, where the reply is, and when."""
    r = finding.reply
    return [
        headline(finding),
        r.basic or "-",
        r.enhanced or "-",
        finding.klass or "-",
        finding.reason,
        finding.provider or "-",
        r.recipient or "-",
        where(finding, with_input),
        r.time or "-",
    ]
