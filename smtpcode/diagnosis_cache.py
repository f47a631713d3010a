"""Replies -> findings for a whole stream (`parse`), with the diagnosis memoised.

A log repeats the same few replies thousands of times, differing only in what changes
per message: addresses, queue ids, IP addresses, timestamps. Diagnosing each distinct
text again would cost more than everything else `parse` does, so a reply whose text,
with those tokens masked, has been diagnosed before (with the same codes, host, MTA and
command) takes that diagnosis, attached to its own reply. The masks touch only tokens
no diagnosis rule reads; tests/test_parse_stream.py checks on the corpora that the
findings are the same as diagnosing every reply afresh.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from smtpcode.diagnose import diagnose
from smtpcode.records import FINDING_REST, finding_with
from smtpcode.rows import FindingEncoder

if TYPE_CHECKING:
    from smtpcode.records import Finding, Reply
    from smtpcode.rows import RowEncoder, RowTemplate


# Distinct reply shapes remembered; beyond this the memory starts afresh.
CACHE_SIZE = 16_384
# The longest reply text kept; a longer one is cut (and diagnosed afresh, unmasked).
MAX_TEXT = 4096

# Digits and the hex letters of ids become one character: texts that differ only in
# counters, queue ids, timestamps or IP addresses get one shape. (No diagnosis rule
# tells two replies apart by their digits alone; letters a-f are a small price.) The
# shape is made of the text's UTF-8 bytes, where bytes.translate costs a tenth of
# str.translate; characters outside ASCII are left as they are either way.
_TO_ZERO = bytes.maketrans(b"0123456789abcdefABCDEF", b"0" * 22)
# An email address is masked whole, whatever its letters: a run of characters between
# these stops that holds an "@" becomes a lone "@" (at most 20 addresses per text). The
# runs are found with bytes.find on a copy where every stop is a space: a regex has no
# literal to look for first and tries each position of the text, which costs more.
_STOPS = b" <>()[]\"',;:\t"
_STOPS_TO_SPACE = bytes.maketrans(_STOPS, b" " * len(_STOPS))
MAX_ADDRESSES = 20


def shape(text: str) -> bytes:
    """The text with its per-message tokens made alike."""
    # (This runs for every reply of a log: the plain encode is twice as fast as one
    # with an error handler, which only lone surrogates need; and "@" is looked for in
    # the str, where it costs a fifth of the search in bytes.)
    try:
        raw = text.encode()
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogatepass")
    shaped = raw.translate(_TO_ZERO)
    return _mask_addresses(shaped) if "@" in text else shaped


def _mask_addresses(shaped: bytes) -> bytes:
    runs = shaped.translate(_STOPS_TO_SPACE)
    out: list[bytes] = []
    pos = 0
    at = shaped.find(b"@")
    masked = 0
    while at >= 0 and masked < MAX_ADDRESSES:
        start = runs.rfind(b" ", pos, at) + 1 or pos
        end = runs.find(b" ", at)
        if end < 0:
            end = len(shaped)
        out += (shaped[pos:start], b"@")
        masked += 1
        pos = end
        at = shaped.find(b"@", end)
    out.append(shaped[pos:])
    return b"".join(out)


class DiagnosisCache:
    """Diagnoses a stream of replies, reusing the diagnosis of an earlier same-shaped one."""

    def __init__(self) -> None:
        self._seen: dict[tuple[object, ...], tuple[object, ...]] = {}
        # For rows(): the JSON template of each shape's finding (None: encoded whole).
        self._templates: dict[tuple[object, ...], RowTemplate | None] = {}

    def finding(self, reply: Reply) -> Finding:
        key = _key(reply)
        if key is None:
            # No reply is this long (RFC 5321: 512 octets a line); a line made to look
            # like one is cut before diagnosis reads it.
            text = reply.text or ""
            return diagnose(dataclasses.replace(reply, text=text[:MAX_TEXT] + "…", truncated=True))
        known = self._seen.get(key)
        if known is not None:
            # The same diagnosis, for this reply.
            return finding_with(reply, known)
        found = diagnose(reply)
        if len(self._seen) >= CACHE_SIZE:
            self._seen.clear()
            self._templates.clear()
        self._seen[key] = tuple(getattr(found, name) for name in FINDING_REST)
        return found

    def __call__(self, replies: Iterable[Reply]) -> Iterator[Finding]:
        # map(), not a generator: one Python frame less per reply.
        return map(self.finding, replies)

    def rows(self, replies: Iterable[Reply], encoder: RowEncoder) -> Iterator[bytes]:
        """encoder.line(finding) for the finding of each reply. With the JSON encoder, a
        reply of a shape seen
        before gets its row from that shape's JSON template, with no Finding made and
        no template looked up by the finding's fields: the same bytes
        (tests/test_parse_stream.py) for less work."""
        if not isinstance(encoder, FindingEncoder):
            return map(encoder.line, map(self.finding, replies))
        return self._json_rows(replies, encoder)

    def _json_rows(self, replies: Iterable[Reply], encoder: FindingEncoder) -> Iterator[bytes]:
        templates = self._templates
        fill = encoder.fill
        for reply in replies:
            key = _key(reply)
            template = templates.get(key) if key is not None else None
            if template is not None:
                yield fill(template, reply)
                continue
            finding = self.finding(reply)
            made = encoder.template(finding)
            if key is not None and key in self._seen:
                templates[key] = made
            yield fill(made, finding.reply) if made is not None else encoder.whole(finding)


def _key(reply: Reply) -> tuple[object, ...] | None:
    """What makes two replies' diagnoses the same: their codes, shape, host, MTA,
    command and direction; None for a text too long to be a reply (diagnosed afresh, cut)."""
    text = reply.text
    if not text:
        return (
            reply.basic,
            reply.enhanced,
            None,
            reply.remote_host,
            reply.reporter,
            reply.command,
            reply.direction,
        )
    if len(text) > MAX_TEXT:
        return None
    return (
        reply.basic,
        reply.enhanced,
        shape(text),
        reply.remote_host,
        reply.reporter,
        reply.command,
        reply.direction,
    )
