"""The library API: `from smtpcode import parse` gives what `smtpcode parse` gives."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import smtpcode
from smtpcode.records import Finding

DATA = Path(__file__).parent / "data"
LOG = DATA / "mta" / "logs" / "postfix.log"


def test_parse_is_exported_lazily() -> None:
    from smtpcode.api import parse

    assert smtpcode.parse is parse
    assert "parse" in smtpcode.__all__


def test_sources_path_text_bytes_stream_lines() -> None:
    text = "550-5.1.1 first\n550 5.1.1 second\n"
    expected = [("550", "5.1.1", "550-5.1.1 first\n550 5.1.1 second", 1)]

    def rows(findings: object) -> list[tuple[object, ...]]:
        return [(f.reply.basic, f.reply.enhanced, f.reply.text, f.reply.line) for f in findings]  # type: ignore[attr-defined]

    assert rows(smtpcode.parse(text)) == expected
    assert rows(smtpcode.parse(text.encode())) == expected
    assert rows(smtpcode.parse(io.BytesIO(text.encode()))) == expected
    assert rows(smtpcode.parse(["550-5.1.1 first", "550 5.1.1 second"])) == expected
    assert rows(smtpcode.parse([b"550-5.1.1 first\r\n", b"550 5.1.1 second\r\n"])) == expected
    assert rows(smtpcode.parse(["550-5.1.1 first\n550 5.1.1 second"])) == expected


def test_path_names_the_input_and_gives_findings() -> None:
    findings = list(smtpcode.parse(LOG))
    assert all(isinstance(f, Finding) for f in findings)
    assert {f.reply.input for f in findings} == {str(LOG)}
    first = findings[0]
    assert (first.reply.line, first.klass, first.reason) == (6, "permanent", "user-unknown")
    named = next(iter(smtpcode.parse(LOG, input_name="mail.log")))
    assert named.reply.input == "mail.log"


def test_format_and_errors() -> None:
    assert list(smtpcode.parse("250 ok\n", fmt="postfix")) == []
    with pytest.raises(ValueError, match="unknown format"):
        smtpcode.parse("250 ok\n", fmt="nonsense")
    with pytest.raises(OSError):
        list(smtpcode.parse(DATA / "no-such-file.log"))


def test_findings_equal_explain_for_the_same_reply() -> None:
    via_parse = next(iter(smtpcode.parse("550 5.1.1 <a@example.com>: User unknown\n")))
    via_explain = smtpcode.explain("550 5.1.1 <a@example.com>: User unknown")
    assert via_parse.reason == via_explain.reason
    assert via_parse.basic_entry == via_explain.basic_entry
    assert via_parse.enhanced_entry == via_explain.enhanced_entry
