"""The shortcuts `parse` takes for speed read what the plain ways read.

Each fast path is compared with a straightforward version of the same reading: the line
reader with one readline() per line, read_reply() step by step, the delivery-line regex
with one find per field, the bulk reading of a Postfix log with one take() per line,
the byte-wise reply shape with the character-wise one, the record makers with the
dataclass constructors.
"""

from __future__ import annotations

import io
import pickle
import random
import re
from collections.abc import Iterator
from dataclasses import FrozenInstanceError, replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtpcode.diagnosis_cache import shape
from smtpcode.extract import Scanner
from smtpcode.extract.postfix import _DELIVERY, _codes, attempt_fields
from smtpcode.extract.reader import iter_lines
from smtpcode.extract.reply_text import (
    REPLY_START,
    Codes,
    enhanced_at_start,
    read_reply,
    unflatten,
)
from smtpcode.records import FINDING_REST, Finding, Reply, finding_with, new_reply

DATA = Path(__file__).parent / "data"


# -- the line reader ---------------------------------------------------------------------


def _readline_lines(stream: io.BufferedIOBase, limit: int) -> Iterator[bytes]:
    """The reader as it was: LF / CRLF lines by readline(limit), bare CRs when the
    first 64 kB show them, cut lines losing all trailing CRs."""
    head = stream.read1(min(1 << 16, limit))  # type: ignore[attr-defined]
    if not head:
        return
    if b"\r" in head[:-1].replace(b"\r\n", b""):
        data = (head + stream.read()).replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = data.split(b"\n")
        if lines[-1] == b"":
            lines.pop()
        yield from (line[:limit] for line in lines)
        return
    pending = head
    while True:
        nl = pending.find(b"\n")
        if 0 <= nl < limit:
            line, pending = pending[:nl], pending[nl + 1 :]
            yield line[:-1] if line[-1:] == b"\r" else line
            continue
        if len(pending) >= limit:
            yield pending[:limit].rstrip(b"\r")
            rest = pending[limit:]
            while b"\n" not in rest:
                rest = stream.read(limit)
                if not rest:
                    return
            pending = rest[rest.find(b"\n") + 1 :]
            continue
        more = stream.read(limit)
        if not more:
            if pending:
                yield pending.rstrip(b"\r")
            return
        pending += more


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from([b"a", b"bb", b"\n", b"\r\n", b"x" * 40, b"\r", b"\n\n"]), max_size=40
    ),
    st.sampled_from([3, 8, 50, 1 << 20]),
)  # fmt: skip
def test_reader_gives_the_lines_readline_gives(parts: list[bytes], limit: int) -> None:
    data = b"".join(parts)
    if b"\r" in data.replace(b"\r\n", b""):
        data = data.replace(b"\r", b"")  # bare CRs: a separate, simpler case below
    expected = list(_readline_lines(io.BufferedReader(io.BytesIO(data)), limit))  # type: ignore[arg-type]
    assert list(iter_lines(io.BytesIO(data), limit)) == expected


def test_reader_bare_cr_and_long_lines() -> None:
    assert list(iter_lines(io.BytesIO(b"a\rb\r\rc"))) == [b"a", b"b", b"", b"c"]
    assert list(iter_lines(io.BytesIO(b"x" * 10 + b"\r\r\nyy\n"), 4)) == [b"xxxx", b"yy"]
    assert list(iter_lines(io.BytesIO(b"ab\n" * 30000 + b"ab\r\r"))) == [b"ab"] * 30001


# -- codes at a reply's start --------------------------------------------------------------


def _read_reply_by_steps(text: str) -> Codes:
    stripped = text.strip()
    if stripped[:1] and stripped[:1] not in "2345":
        labels = r"(?:smtp|x-[\w-]+|x-unix|mta)[ \t]*;[ \t]*|remote host said:[ \t]*|<<<[ \t]*"
        m = re.match(r"[ \t]*(?:" + labels + ")", stripped, re.IGNORECASE)
        if m:
            stripped = stripped[m.end() :]
    code = stripped[:3]
    if (
        code[:1] in ("2", "3", "4", "5")
        and code[1:].isdigit()
        and code.isascii()
        and len(code) == 3
        and (len(stripped) == 3 or stripped[3] in " -")
    ):
        rest = stripped[3:].lstrip(" -:")
        if rest[:3] == code and rest[3:4] in (" ", "-"):
            rest = rest[4:].lstrip()
        return Codes(code, enhanced_at_start(rest), stripped)
    return Codes(None, enhanced_at_start(stripped), stripped or None)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["550", "5.1.1", "250", " ", "-", ":", "#", "\t", "\n", "x", "1", ".", "smtp;",
             "Remote host said:", "5.1.10", "554 554 ", "\u00a0", "\u0665", "4.7.0", "_"]
        ),
        max_size=10,
    )
)  # fmt: skip
def test_read_reply_reads_what_the_steps_read(parts: list[str]) -> None:
    text = "".join(parts)
    assert read_reply(text) == _read_reply_by_steps(text)


# -- the delivery line in one match ---------------------------------------------------------

DELIVERY = (
    "Nov 29 00:00:01 relay1 postfix/smtp[5262]: 069F1819D33: to=<judy@example.org>, "
    "orig_to=<j@example.org>, relay=mx.example.org[192.0.2.1]:25, conn_use=2, delay=3.2, "
    "delays=0.02/0.01/0.3/1.38, dsn=5.1.1, status=bounced (host mx.example.org[192.0.2.1] "
    "said: 550 5.1.1 no such user (in reply to RCPT TO command))"
)


@settings(max_examples=500, deadline=None)
@given(st.data())
def test_delivery_regex_reads_what_the_finds_read(data: st.DataObject) -> None:
    text = DELIVERY
    for _ in range(data.draw(st.integers(0, 3))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 3))
        pieces = ["", " ", ",", "<", ">", "=", " dsn=4.0.0", "(", ")", "to=<x>"]
        insert = data.draw(st.sampled_from(pieces))
        text = text[:at] + insert + text[at + cut :]
    m = _DELIVERY.fullmatch(text)
    if m is not None:
        recipient, relay, dsn, what = m.groups()
        assert (recipient, relay, dsn, what.strip()) == attempt_fields(text)


def test_delivery_regex_takes_the_usual_lines() -> None:
    assert _DELIVERY.fullmatch(DELIVERY) is not None
    assert _DELIVERY.fullmatch(DELIVERY.replace("orig_to=<j@example.org>, ", "")) is not None


def _codes_by_regex(what: str) -> tuple[str | None, str | None, str]:
    m = REPLY_START.match(what)
    basic, enhanced = m.group(1, 2) if m else read_reply(what)[:2]
    return basic, enhanced, unflatten(what) if basic and what[3:4] == "-" else what


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["250", "550", " ", "2.0.0", "5.1.10", "4.7.1", ".", "0", "x", "-", "#", "\t",
             "\u0665", "OK", "2.0.0.1", "\n"]
        ),
        min_size=1,
        max_size=8,
    )
)  # fmt: skip
def test_outcome_codes_read_what_reply_start_reads(parts: list[str]) -> None:
    what = "".join(parts)
    if what:
        assert _codes(what) == _codes_by_regex(what)


# -- bulk reading ---------------------------------------------------------------------------


def _log(seed: int) -> bytes:
    rng = random.Random(seed)
    lines = (DATA / "mta" / "logs" / "postfix.log").read_bytes().split(b"\n")
    others = [
        b"Nov 29 00:00:01 relay1 dovecot: imap-login: Login: user=<a@example.org>",
        b"550 5.1.1 <x@example.com>: Recipient address rejected",
        b"250-first",
        b"250 last",
        b"Remote host said: 550 5.1.1 no such user",
        b"  " + lines[5],
        b"",
    ]
    out = []
    for line in lines * 3:
        if rng.random() < 0.05:
            out.append(rng.choice(others))
        out.append(line)
    return b"\n".join(out)


@pytest.mark.parametrize("seed", range(6))
def test_bulk_reading_gives_what_line_by_line_gives(seed: int) -> None:
    data = _log(seed)
    if seed % 2:
        # Merged from hosts whose names differ in length: "postfix" in several columns.
        hosts = [b"relay1", b"mx-backup-2", b"a", b"host-number-three"][: 2 + seed // 2]
        lines = data.split(b"\n")
        data = b"\n".join(
            line.replace(b" mx postfix", b" " + hosts[i % len(hosts)] + b" postfix", 1)
            for i, line in enumerate(lines)
        )
    bulk = list(Scanner("x").scan_stream(io.BytesIO(data)))
    by_line = list(Scanner("x").scan_lines(data.split(b"\n")))
    assert bulk == by_line
    assert len(bulk) > 100


# -- the reply shape ------------------------------------------------------------------------


def _shape_by_characters(text: str) -> str:
    text = text.translate(str.maketrans("0123456789abcdefABCDEF", "0" * 22))
    stops = " <>()[]\"',;:\t"
    out, pos, at = [], 0, text.find("@")
    while at >= 0 and len(out) < 40:
        start = at
        while start > pos and text[start - 1] not in stops:
            start -= 1
        end = at + 1
        while end < len(text) and text[end] not in stops:
            end += 1
        out += [text[pos:start], "@"]
        pos = end
        at = text.find("@", pos)
    return "".join(out) + text[pos:]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([*"a@b.<>()[],;: \t9Z-é", "x@y.com", "\ud800"]), max_size=30))
def test_shape_masks_as_the_characters_say(parts: list[str]) -> None:
    text = "".join(parts)
    assert shape(text) == _shape_by_characters(text).encode("utf-8", "surrogatepass")


# -- records --------------------------------------------------------------------------------


def test_makers_build_ordinary_records() -> None:
    values = (
        "550", "5.1.1", "text", "in", 7, "a@example.org", "RCPT", "postfix", "mx",
        "2026-12-01T10:00:00", "outbound", True,
    )  # fmt: skip
    made = new_reply(*values)
    assert type(made) is Reply and made == Reply(*values) and hash(made) == hash(Reply(*values))
    with pytest.raises(FrozenInstanceError):
        made.text = "other"  # type: ignore[misc]
    assert replace(made, line=8).line == 8
    assert pickle.loads(pickle.dumps(made)) == made
    rest = (
        "permanent", "user-unknown", None, True, False, None, None, "advice", ("w",), (), "s",
        "m", (), "en", None,
    )  # fmt: skip
    assert len(rest) == len(FINDING_REST)
    finding = finding_with(made, rest)
    assert type(finding) is Finding and finding == Finding(made, *rest)
    assert repr(finding) == repr(Finding(made, *rest))
    with pytest.raises(FrozenInstanceError):
        finding.reason = "other"  # type: ignore[misc]


# -- phrases without the trie ---------------------------------------------------------------


def test_phrases_are_found_alike_before_and_after_the_trie() -> None:
    from smtpcode.diagnose import _TEXTS_BEFORE_TRIE, Rules, get_rules, normalise

    rules: Rules = get_rules()
    texts = set()
    for path in sorted((DATA / "bounces").glob("*.eml"))[:80]:
        with path.open("rb") as stream:
            texts.update(r.text for r in Scanner(path.name).scan_stream(stream) if r.text)
    texts.update(["550 5.1.1 user unknown", "452 4.2.2 mailbox full, quota exceeded", ""])
    seen = rules._texts_seen
    try:
        for text in sorted(texts):
            low = normalise(text)
            rules._texts_seen = 0
            by_phrase = rules.candidates(low)
            rules._texts_seen = _TEXTS_BEFORE_TRIE
            assert rules.candidates(low) == by_phrase
    finally:
        rules._texts_seen = seen
