"""Bad input: binary junk, invalid UTF-8, NUL bytes, huge lines, mixed line ends, lines
made to trip regular expressions. Nothing may crash, hang or hold the whole input."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtpcode.extract import Scanner, scan
from smtpcode.extract.reader import iter_lines
from smtpcode.records import Reply


def replies(data: bytes, fmt: str = "auto") -> list[Reply]:
    return list(Scanner("t", fmt).scan_stream(io.BytesIO(data)))


class Endless(io.RawIOBase):
    """A stream of `size` bytes of one value, produced as read: nothing held in memory."""

    def __init__(self, size: int, byte: bytes = b"5") -> None:
        self.left = size
        self.byte = byte

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self.left)
        buffer[:n] = self.byte * n
        self.left -= n
        return n


def test_line_ends_lf_crlf_cr_and_mixed() -> None:
    lines = list(iter_lines(io.BytesIO(b"a\nb\r\nc\rd\n\re")))
    assert lines == [b"a", b"b", b"c", b"d", b"", b"e"]
    assert list(iter_lines(io.BytesIO(b"250 ok\r\n"))) == [b"250 ok"]
    assert list(iter_lines(io.BytesIO(b"250 ok\r"))) == [b"250 ok"]


def test_a_50_mb_line_is_cut_not_held() -> None:
    # 50 MB without a line end, then a reply: the reply is still found, the long line is
    # read in bounded pieces (the test would need 50 MB per copy otherwise).
    stream = io.BufferedReader(Endless(50 << 20))
    lines: Iterator[bytes] = iter_lines(stream, limit=1 << 16)
    first = next(lines)
    assert len(first) == 1 << 16
    assert list(lines) == []
    data = b"x" * (3 << 20) + b"\n250 2.0.0 Ok\n"
    found = replies(data)
    assert [(r.line, r.basic) for r in found] == [(2, "250")]


def test_binary_junk_and_nul_bytes() -> None:
    rng = random.Random(7)
    junk = bytes(rng.getrandbits(8) for _ in range(200_000))
    replies(junk)  # must not raise
    found = replies(
        b"\x00\xff\xfe550\x00 5.1.1 x\n550 5.1.1 <a\x00b@example.com> no\xc3\x28 such\n"
    )
    assert [(r.line, r.basic, r.enhanced) for r in found] == [(2, "550", "5.1.1")]
    assert found[0].text is not None and "\ufffd" in found[0].text  # replaced, not fatal


def test_invalid_utf8_in_a_bounce() -> None:
    message = (
        b"From: MAILER-DAEMON@example.org\nSubject: failure notice\n"
        b"Content-Type: text/plain; charset=no-such-charset\n\n"
        b"<a@example.com>:\nRemote host said: 550 5.1.1 \xff\xfe unknown \xc3\n"
    )
    found = replies(message)
    assert [(r.recipient, r.basic, r.enhanced) for r in found] == [
        ("a@example.com", "550", "5.1.1")
    ]


@pytest.mark.parametrize(
    "line",
    [
        # Long runs of what the patterns look for, without the end they need.
        b"5" * 200_000,
        b"550-" * 50_000,
        b"5.1." * 50_000,
        b"a@" * 100_000,
        b"postfix/smtp[1]: " + b"to=<" * 50_000,
        b"Error: " + b"(550, b'" * 30_000,
        b"{" * 100_000,
        b'"diagnosticCode": "' + b"\\" * 100_000,
        b"host " + b"[1.2.3.4] said: " * 20_000,
        b" " * 100_000 + b"550",
        b"From " + b"x " * 100_000,
        b"Remote Server returned '" + b"#" * 100_000,
        b"550-5.1.1 x" + b" " * 100_000 + b"y 550 5.1.1 z",
        b"a" * 300_000 + b"@example.com",
        b"from" + b" " * 100_000 + b"x",
        b"550 <" + b"a" * 200_000 + b"@b",
    ],
)
def test_adversarial_lines_finish(line: bytes) -> None:
    # A regular expression with catastrophic backtracking would not return from these.
    replies(line + b"\n" + line)
    replies(b"From: MAILER-DAEMON@x\nSubject: failure\n\n" + line + b"\n")


def test_a_huge_reply_is_cut_before_diagnosis() -> None:
    # A 1 MB "reply" line: found, its text cut to what any real reply fits in.
    from smtpcode import parse

    findings = list(parse(b"550 " + b"a" * (1 << 20) + b"\n"))
    assert len(findings) == 1
    text = findings[0].reply.text
    assert text is not None and len(text) == 4097 and text.endswith("…")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes(data: bytes) -> None:
    for r in replies(data):
        assert r.basic is None or (len(r.basic) == 3 and r.basic[0] in "2345")
        assert r.enhanced is None or r.enhanced[0] in "245"


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(["250-a", "250 b", "550 5.1.1 x", "", "EHLO x", "text"]), max_size=30)
)
def test_line_ends_never_change_replies(lines: list[str]) -> None:
    text = "\n".join(lines).encode()
    base = [(r.basic, r.text, r.line) for r in replies(text)]
    assert [(r.basic, r.text, r.line) for r in replies(text.replace(b"\n", b"\r\n"))] == base
    assert [(r.basic, r.text, r.line) for r in replies(text.replace(b"\n", b"\r"))] == base


def test_scan_is_lazy() -> None:
    # The first reply comes before the input is read to its end.
    stream = io.BufferedReader(Endless(1 << 30, b"\n"))
    head = io.BytesIO(b"250 first\n")
    joined = io.BufferedReader(_Joined(head, stream))  # type: ignore[arg-type]
    found = scan(joined, "t")
    assert next(found).text == "250 first"


class _Joined(io.RawIOBase):
    def __init__(self, *parts: io.IOBase) -> None:
        self.parts = list(parts)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while self.parts:
            n = self.parts[0].readinto(buffer)  # type: ignore[attr-defined]
            if n:
                return int(n)
            self.parts.pop(0)
        return 0
