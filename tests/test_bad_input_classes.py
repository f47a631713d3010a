"""Each class of bad input that used to crash, hang or exhaust memory, with exact
expectations: a field value that is not a code is no code, any declared charset reads,
deep JSON reads, and a reply keeps bounded text and says it was cut."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from smtpcode.codes import valid_basic, valid_enhanced
from smtpcode.diagnose import diagnose
from smtpcode.extract import Scanner
from smtpcode.extract.session import MAX_REPLY_LINES, MAX_REPLY_TEXT
from smtpcode.records import Reply

DATA = Path(__file__).parent / "data"


def replies(data: bytes) -> list[Reply]:
    scanner = Scanner("t")
    found = list(scanner.scan_stream(io.BytesIO(data)))
    assert scanner.problems == []
    for reply in found:
        # Every finding can be made and written.
        json.dumps(diagnose(reply).to_dict(), ensure_ascii=False).encode("utf-8")
    return found


# -- field values used without checking -----------------------------------------------

POSTFIX = (
    "Dec  1 10:00:00 mx postfix/smtp[123]: 4AB12: to=<a@example.com>, "
    "relay=mx.example.com[192.0.2.1]:25, delay=1, delays=0.1/0/0.5/0.4, dsn={dsn}, "
    "status=bounced (host mx.example.com[192.0.2.1] said: 550 no such user (in reply to "
    "RCPT TO command))\n"
)


@pytest.mark.parametrize(
    ("dsn", "enhanced"),
    [("5.1.1", "5.1.1"), ("5", None), ("5.1.", None), ("5.1.1.1", None), ("", None)],
)
def test_postfix_dsn_that_is_no_code(dsn: str, enhanced: str | None) -> None:
    # A quoted reply is the finding; Postfix's own dsn= does not add a code to it.
    [reply] = replies(POSTFIX.format(dsn=dsn).encode())
    assert (reply.basic, reply.enhanced, reply.recipient) == ("550", None, "a@example.com")
    # Without a quoted reply the status itself is the finding, when it is a code at all.
    local = POSTFIX.format(dsn=dsn).replace(
        "(host mx.example.com[192.0.2.1] said: 550 no such user (in reply to RCPT TO command))",
        '(unknown user: "a")',
    )
    # (A bounced status with no code at all is still a failure of that recipient.)
    found = replies(local.encode())
    assert [(r.basic, r.enhanced, r.recipient) for r in found] == [
        (None, enhanced, "a@example.com")
    ]


def test_sendmail_dsn_that_is_no_code() -> None:
    line = (
        b"Dec  1 10:00:00 mx sm-mta[99]: x1: to=<b@example.org>, delay=00:00:01, "
        b"mailer=esmtp, relay=mx.example.org. [192.0.2.2], dsn=5.1., stat=User unknown\n"
    )
    [reply] = replies(line)
    assert (reply.basic, reply.enhanced, reply.text) == (None, None, "User unknown")
    assert reply.remote_host == "mx.example.org"


DSN = b"""From: MAILER-DAEMON@mx.example.org
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

Your message could not be delivered.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; c@example.net
Action: %s
Status: %s
Remote-MTA: %s
Diagnostic-Code: %s

--b1--
"""


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        # The well-formed block, for comparison.
        (
            (b"failed", b"5.1.1", b"dns; mx.example.net", b"smtp; 550 5.1.1 unknown"),
            ("550", "5.1.1", "550 5.1.1 unknown", "mx.example.net"),
        ),
        # Empty Remote-MTA and Diagnostic-Code values, an Action with no word.
        ((b"", b"5.1.1", b"DNS; ", b""), (None, "5.1.1", None, None)),
        ((b"failed", b"5.1.1", b"", b"smtp;"), (None, "5.1.1", None, None)),
        # A Status that is no code.
        ((b"failed", b"5.1.1.1", b"dns; mx", b"smtp; 550 gone"), ("550", None, "550 gone", "mx")),
        ((b"failed", b"5.", b"dns; mx", b"smtp; 550 gone"), ("550", None, "550 gone", "mx")),
    ],
)
def test_delivery_status_fields_empty_or_malformed(
    fields: tuple[bytes, bytes, bytes, bytes], expected: tuple[object, ...]
) -> None:
    [reply] = replies(DSN % fields)
    assert reply.recipient == "c@example.net"
    assert (reply.basic, reply.enhanced, reply.text, reply.remote_host) == expected


def test_an_empty_final_recipient() -> None:
    data = DSN.replace(b"Final-Recipient: rfc822; c@example.net", b"Final-Recipient: ")
    [reply] = replies(data % (b"failed", b"5.1.1", b"dns; mx", b"smtp; 550 5.1.1 gone"))
    assert (reply.recipient, reply.basic, reply.enhanced) == (None, "550", "5.1.1")


def test_json_codes_that_are_no_codes() -> None:
    # A "code" of Arabic-Indic digits passes str.isdigit(); it is no SMTP code.
    event = {"email": "d@example.com", "code": "٥٥٠", "status": "5.1.1.1", "reason": "gone"}
    assert replies(json.dumps(event).encode() + b"\n") == []


def test_a_reply_made_elsewhere_with_no_code_in_its_code_fields() -> None:
    # A library user's Reply: what is not a code has no meaning, and does not crash.
    finding = diagnose(Reply("", "5.1.1.1", "550 gone"))
    assert (finding.basic_entry, finding.enhanced_entry, finding.klass) == (None, None, None)


def _log_lines() -> list[bytes]:
    lines: list[bytes] = []
    for path in sorted([*DATA.glob("parse/*.log"), DATA / "mta/logs/postfix.log"]):
        # A few lines of each log: those that quote a reply, and the others.
        lines += [line for line in path.read_bytes().splitlines() if line.strip()][:12]
    return lines


def test_a_log_cut_at_any_byte_reads() -> None:
    lines = _log_lines()
    assert len(lines) > 60
    for line in lines:
        for end in range(len(line) + 1):
            for reply in replies(line[:end] + b"\n"):
                assert reply.basic is None or valid_basic(reply.basic) == reply.basic
                assert reply.enhanced is None or valid_enhanced(reply.enhanced) == reply.enhanced


# -- charsets -------------------------------------------------------------------------

BOUNCE = b"""From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
Subject: Undelivered Mail Returned to Sender
Content-Type: text/plain; charset=%s
Content-Transfer-Encoding: %s

This is the mail system at host mx.example.org.

<e@example.com>: host mx.example.com[192.0.2.1] said: 550 5.1.1 <e@example.com>:
    Recipient address rejected: User unknown %s (in reply to RCPT TO command)
"""


@pytest.mark.parametrize(
    "charset",
    [
        "zlib", "base64", "rot13", "hex", "uu", "bz2", "quopri",  # bytes-to-bytes codecs
        "idna", "undefined",  # codecs that refuse the "replace" handler
        "utf-8\x00x", "\x00", '"', "x-no-such-charset",  # names that name nothing usable
        "utf-7", "unicode_escape", "raw_unicode_escape",  # payloads to lone surrogates
    ],
)  # fmt: skip
def test_any_declared_charset_reads(charset: str) -> None:
    payload = b"+2D3cAA- \\ud800 \\N{"  # a lone surrogate in utf-7 and in escapes
    for cte in (b"8bit", b"quoted-printable"):
        [reply] = replies(BOUNCE % (charset.encode("latin-1"), cte, payload))
        assert (reply.recipient, reply.basic, reply.enhanced) == ("e@example.com", "550", "5.1.1")
        assert reply.text is not None and reply.text.startswith("550 5.1.1 <e@example.com>:")


def test_a_base64_part_in_a_non_text_codec_reads() -> None:
    import base64

    body = base64.encodebytes(b"Delivery failed: 550 5.1.1 unknown user\n")
    data = (
        b"From: MAILER-DAEMON@mx.example.org\nSubject: failure\n"
        b"Content-Type: text/plain; charset=zlib\nContent-Transfer-Encoding: base64\n\n" + body
    )
    [reply] = replies(data)
    assert (reply.basic, reply.enhanced) == ("550", "5.1.1")


def test_a_json_escape_of_a_lone_surrogate_becomes_a_replacement_character() -> None:
    event = b'{"email": "f@example.com", "diagnosticCode": "550 5.1.1 bad \\ud800 box"}\n'
    [reply] = replies(event)
    assert reply.text == "550 5.1.1 bad \ufffd box"


# -- nesting --------------------------------------------------------------------------

DEEP = b"[" * 5000 + b"]" * 5000
REPLY = b"550 5.1.1 after the deep part\n"


@pytest.mark.parametrize(
    "data",
    [
        DEEP + b"\n" + REPLY,  # the first line
        REPLY + b'{"a": ' + DEEP + b"}\n",  # inside a line
        b"From: MAILER-DAEMON@x\nSubject: failure\n\n" + DEEP + b"\n" + REPLY,  # in an email
        b'{"Message": "' + b"[" * 5000 + b'"}\n' + REPLY,  # inside a JSON string
    ],
    ids=["first line", "inside a line", "inside an email", "inside a JSON string"],
)
def test_json_nested_5000_deep_reads(data: bytes) -> None:
    found = replies(data)
    assert [(r.basic, r.enhanced) for r in found] == [("550", "5.1.1")]


# -- memory and time of one reply -----------------------------------------------------


def test_a_long_multi_line_reply_is_cut_and_says_so() -> None:
    data = b"".join(b"550-5.1.1 line %d\n" % i for i in range(1000)) + b"550 5.1.1 last\n"
    [reply] = replies(data)
    assert reply.truncated is True
    lines = reply.text.split("\n") if reply.text else []
    assert len(lines) == MAX_REPLY_LINES
    assert lines[0] == "550-5.1.1 line 0" and lines[-1] == f"550-5.1.1 line {MAX_REPLY_LINES - 1}"
    assert diagnose(reply).to_dict()["truncated"] is True


def test_a_reply_of_long_lines_keeps_64_kb() -> None:
    data = b"550-" + b"x" * 50_000 + b"\n550-" + b"y" * 50_000 + b"\n550 end\n"
    [reply] = replies(data)
    assert reply.truncated is True
    assert reply.text is not None and len(reply.text) == MAX_REPLY_TEXT


def test_a_short_reply_is_not_cut() -> None:
    [reply] = replies(b"550-5.1.1 first\n550 5.1.1 last\n")
    assert (reply.text, reply.truncated) == ("550-5.1.1 first\n550 5.1.1 last", False)


def test_a_held_exception_reply_of_many_lines_is_cut() -> None:
    data = b"Error: Invalid login: 535-5.7.8 first\n" + b"535-5.7.8 more\n" * 1000
    [reply] = replies(data + b"535 5.7.8 last\n")
    assert (reply.basic, reply.enhanced, reply.command, reply.truncated) == (
        "535",
        "5.7.8",
        "AUTH",
        True,
    )
    assert reply.text is not None and reply.text.count("\n") + 1 == MAX_REPLY_LINES


def test_a_line_of_escaped_newlines_stays_small() -> None:
    # Found by the fuzzer on the merged finder: a megabyte of "\n" escapes in a bounce
    # body was written out as half a million logical lines (70 MB).
    import tracemalloc

    data = (
        b"Content-Type: text/plain\nSubject: Undelivered Mail\n\n"
        + b"\\n" * 500_000
        + b"\n550 5.1.1 <a@example.com>: Recipient address rejected: User unknown\n"
    )
    tracemalloc.start()
    try:
        found = replies(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 30_000_000
    assert [(r.basic, r.enhanced) for r in found] == [("550", "5.1.1")]
