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
from smtpcode.records import Finding

if TYPE_CHECKING:
    from smtpcode.records import Reply

# Finding's fields after `reply`, in order: a known diagnosis is stored as their values.
_FIELDS = [f.name for f in dataclasses.fields(Finding)]
if _FIELDS[0] != "reply":  # Finding(reply, *others) relies on it
    raise ImportError("smtpcode.records.Finding must have `reply` as its first field")
_OTHER_FIELDS = tuple(_FIELDS[1:])

# Distinct reply shapes remembered; beyond this the memory starts afresh.
CACHE_SIZE = 16_384
# The longest reply text kept; a longer one is cut (and diagnosed afresh, unmasked).
MAX_TEXT = 4096

# Digits and the hex letters of ids become one character: texts that differ only in
# counters, queue ids, timestamps or IP addresses get one shape. (No diagnosis rule
# tells two replies apart by their digits alone; letters a-f are a small price.)
_TO_ZERO = str.maketrans("0123456789abcdefABCDEF", "0" * 22)
# Characters around an email address: it is masked whole, whatever its letters.
_ADDRESS_STOPS = " <>()[]\"',;:\t"


def _mask_addresses(text: str) -> str:
    out: list[str] = []
    pos = 0
    at = text.find("@")
    while at >= 0 and len(out) < 40:
        start = at
        while start > pos and text[start - 1] not in _ADDRESS_STOPS:
            start -= 1
        end = at + 1
        while end < len(text) and text[end] not in _ADDRESS_STOPS:
            end += 1
        out.append(text[pos:start])
        out.append("@")
        pos = end
        at = text.find("@", pos)
    out.append(text[pos:])
    return "".join(out)


def shape(text: str) -> str:
    """The text with its per-message tokens made alike."""
    text = text.translate(_TO_ZERO)
    return _mask_addresses(text) if "@" in text else text


class Findings:
    """Diagnoses a stream of replies, reusing the diagnosis of an earlier same-shaped one."""

    def __init__(self) -> None:
        self._seen: dict[tuple[object, ...], tuple[object, ...]] = {}

    def finding(self, reply: Reply) -> Finding:
        text = reply.text
        if text is not None and len(text) > MAX_TEXT:
            # No reply is this long (RFC 5321: 512 octets a line); a line made to look
            # like one is cut before diagnosis reads it.
            reply = dataclasses.replace(reply, text=text[:MAX_TEXT] + "…")
            return diagnose(reply)
        key = (
            reply.basic,
            reply.enhanced,
            shape(text) if text else None,
            reply.host,
            reply.mta,
            reply.command,
        )
        known = self._seen.get(key)
        if known is not None:
            # The same diagnosis, for this reply: Finding(reply, *the other fields).
            return Finding(reply, *known)  # type: ignore[arg-type]
        found = diagnose(reply)
        if len(self._seen) >= CACHE_SIZE:
            self._seen.clear()
        self._seen[key] = tuple(getattr(found, name) for name in _OTHER_FIELDS)
        return found

    def __call__(self, replies: Iterable[Reply]) -> Iterator[Finding]:
        finding = self.finding
        for reply in replies:
            yield finding(reply)
