"""Bounce messages: one reply per recipient, from the report and the notice; nothing from
headers or the returned message; an mbox of many; any line ends."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from smtpcode.extract import scan
from smtpcode.records import Reply

DATA = Path(__file__).parent / "data"
MTA = DATA / "mta"
BOUNCES = DATA / "bounces"


def scan_bytes(data: bytes, fmt: str = "auto") -> list[Reply]:
    from smtpcode.extract import Scanner

    return list(Scanner("t", fmt).scan_stream(io.BytesIO(data)))


def test_postfix_dsn_with_three_recipients() -> None:
    found = scan_bytes((MTA / "dsn" / "postfix_dsn_multi_recipient.eml").read_bytes())
    assert [(r.recipient, r.basic, r.enhanced, r.reporter) for r in found] == [
        ("nosuch@localhost", None, "5.1.1", "postfix"),
        ("no-mailbox@remote.test", "550", "5.0.0", "postfix"),
        ("user-unknown@remote.test", "550", "5.1.1", "postfix"),
    ]
    # Where the report's Diagnostic-Code starts, and the reply as the server sent it.
    assert found[2].line == 73
    assert found[2].text == (
        "550-5.1.1 The email account that you tried to reach does not exist.\n"
        "550-5.1.1 Please check the recipient address for typos or\n"
        "550 5.1.1 unnecessary spaces and try again."
    )
    assert found[1].remote_host == "127.0.0.1"
    # Postfix's own words for a local failure: no reply code, still the recipient's status.
    assert found[0].text == 'unknown user: "nosuch"'


def test_numbers_in_headers_and_the_returned_message_are_not_findings() -> None:
    message = (
        b"From: MAILER-DAEMON@mx.example.org\n"
        b"To: shop@example.com\n"
        b"Subject: Undelivered Mail Returned to Sender (550 items)\n"
        b"X-Spam-Score: 250 5.1.1\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n'
        b"\n"
        b"--B\n"
        b"Content-Type: text/plain\n"
        b"\n"
        b"<nobody@example.org>: host mx.example.org[192.0.2.1] said: 550 5.1.1\n"
        b"    <nobody@example.org>: Recipient address rejected (in reply to RCPT TO command)\n"
        b"\n"
        b"--B\n"
        b"Content-Type: message/rfc822\n"
        b"\n"
        b"Subject: 421 4.7.0 Try again\n"
        b"\n"
        b"250 2.0.0 Ok\n"
        b"554 5.7.1 Rejected\n"
        b"--B--\n"
    )
    found = scan_bytes(message)
    assert [(r.recipient, r.basic, r.enhanced, r.command, r.line) for r in found] == [
        ("nobody@example.org", "550", "5.1.1", "RCPT", 10)
    ]
    assert found[0].text == ("550 5.1.1 <nobody@example.org>: Recipient address rejected")


def test_mbox_of_bounces_in_order() -> None:
    names = ["lhost-qmail-02.eml", "lhost-exim-05.eml", "rhost-aol-03.eml"]
    mbox = b""
    for name in names:
        mbox += b"From MAILER-DAEMON Thu Apr 29 23:34:45 2010\n"
        mbox += (BOUNCES / name).read_bytes().replace(b"\r\n", b"\n").rstrip(b"\n") + b"\n\n"
    found = scan_bytes(mbox)
    assert [(r.recipient, r.basic, r.enhanced) for r in found] == [
        ("userunknown@example.jp", "550", "5.1.1"),
        ("filtered@example.jp", "550", "5.2.1"),
        ("kijitora@neko.example.co.jp", "553", "5.1.1"),
        ("sabineko@example.jp", "550", "5.2.2"),
        ("mikeneko@example.jp", "550", "5.1.1"),
    ]
    # Line numbers count from the start of the mbox.
    assert found[2].line > found[1].line > found[0].line


@pytest.mark.parametrize(
    "name", ["lhost-postfix-30.eml", "lhost-qmail-14.eml", "rfc3464-35.eml", "lhost-gmail-03.eml"]
)
def test_line_ends_do_not_change_the_result(name: str) -> None:
    lf = (BOUNCES / name).read_bytes().replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    results = []
    for end in (b"\n", b"\r\n", b"\r"):
        found = scan_bytes(lf.replace(b"\n", end))
        results.append([(r.recipient, r.basic, r.enhanced, r.text, r.line) for r in found])
    assert results[0]
    assert results[0] == results[1] == results[2]


def test_a_bounce_forwarded_inside_another() -> None:
    # The outer notice names nobody; the returned message is itself a DSN.
    found = scan_bytes((BOUNCES / "lhost-x5-01.eml").read_bytes())
    assert [(r.recipient, r.basic, r.enhanced) for r in found] == [
        ("kijitora@neko.example.org", "550", "5.1.1")
    ]


def test_a_recipient_without_a_code_is_still_reported() -> None:
    found = scan_bytes((BOUNCES / "lhost-exim-31.eml").read_bytes())
    assert len(found) == 1
    r = found[0]
    assert (r.recipient, r.basic, r.enhanced, r.reporter) == (
        "kijitora@example.net",
        None,
        None,
        "exim",
    )
    assert r.text is not None and r.text.startswith("The mail server could not deliver mail")


def test_postmaster_notice_reports_the_failed_replies_of_the_session() -> None:
    found = scan_bytes((BOUNCES / "lhost-postfix-75.eml").read_bytes())
    assert [(r.basic, r.enhanced, r.command, r.recipient) for r in found] == [
        ("451", "4.3.0", "DATA", "kijitora@libsisimai.net")
    ]


def test_an_email_that_is_not_a_bounce_is_read_as_text() -> None:
    message = (
        b"From: alice@example.com\nTo: bob@example.com\nSubject: the log you asked for\n\n"
        b"Hi Bob, here it is:\n"
        b"Nov 29 00:38:06 mx postfix/smtp[7872]: 6BD6D16004F: to=<x@remote.test>, "
        b"relay=mx.remote.test[192.0.2.7]:25, delay=0.01, delays=0/0/0/0.01, dsn=5.2.2, "
        b"status=bounced (host mx.remote.test[192.0.2.7] said: 552 5.2.2 Mailbox full "
        b"(in reply to end of DATA command))\n"
        b"We sent 250 emails to 550 people today.\n"
    )
    found = scan_bytes(message)
    assert [(r.line, r.basic, r.enhanced, r.recipient, r.command) for r in found] == [
        (6, "552", "5.2.2", "x@remote.test", "DATA")
    ]


def test_auto_reply_and_feedback_report_yield_nothing() -> None:
    assert scan_bytes((BOUNCES / "rfc3834-01.eml").read_bytes()) == []
    assert scan_bytes((BOUNCES / "arf-16.eml").read_bytes()) == []


def test_a_pasted_delivery_status_report() -> None:
    report = (
        b"Reporting-MTA: dns; mx.example.org\n"
        b"\n"
        b"Final-Recipient: rfc822; a@example.com\n"
        b"Action: failed\n"
        b"Status: 5.0.0\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 <a@example.com>: no such user\n"
        b"\n"
        b"Final-Recipient: rfc822; b@example.com\n"
        b"Action: delayed\n"
        b"Status: 4.4.1\n"
    )
    found = scan_bytes(report)
    assert [(r.recipient, r.basic, r.enhanced, r.line) for r in found] == [
        ("a@example.com", "550", "5.1.1", 6),
        ("b@example.com", None, "4.4.1", 8),
    ]
    # The same fields inside other text, line by line.
    found = scan_bytes(b"ticket #123: the bounce said\n" + report)
    assert [(r.recipient, r.basic, r.enhanced) for r in found] == [
        ("a@example.com", "550", "5.1.1"),
        ("b@example.com", None, "4.4.1"),
    ]


def test_ses_notification_mailed_as_json() -> None:
    found = scan_bytes((BOUNCES / "lhost-amazonses-09.eml").read_bytes())
    assert [(r.recipient, r.basic, r.enhanced, r.reporter) for r in found] == [
        ("bounce@simulator.amazonses.com", "550", "5.1.1", "amazon-ses")
    ]


def test_bounce_format_forced() -> None:
    # A notice pasted without headers, read as a bounce.
    body = (BOUNCES / "lhost-qmail-02.eml").read_bytes().split(b"\n\n", 1)[1]
    found = scan_bytes(b"From: MAILER-DAEMON@x\n\n" + body, fmt="bounce")
    assert [r.recipient for r in found] == ["userunknown@example.jp", "filtered@example.jp"]


def test_empty_input() -> None:
    assert list(scan(io.BytesIO(b""), "t")) == []
    assert list(scan(io.BytesIO(b"\n\n  \n"), "t")) == []


# Written for this project after the notice DragonFly's dma writes: each line of the
# remote server's multi-line reply followed by a blank line, and the command named on
# the line before it. The reply's words hold "email from", which is no MAIL FROM.
DMA_NOTICE = b"""From: MAILER-DAEMON <>
To: alice@df.example.org
Subject: Mail delivery failed
Message-Id: <a1@df.example.org>
Date: Tue, 11 Jun 2024 18:02:02 +0900

This is the DragonFly Mail Agent v0.13 at df.example.org.

There was an error delivering your mail to <bob@mx.example.com>.

mx.example.com [192.0.2.7] did not like our final DATA:
550-5.7.26 Unauthenticated email from df.example.org is not accepted due to domain's

550-5.7.26 DMARC policy. Please contact the administrator of df.example.org domain

550 5.7.26 if this was a legitimate mail.

Message headers follow.

Subject: hello
To: <bob@mx.example.com>
From: <alice@df.example.org>
"""


def test_reply_lines_parted_by_blank_lines_are_one_reply() -> None:
    for data in (DMA_NOTICE, DMA_NOTICE.replace(b"\n", b"\r\n")):
        (reply,) = scan(io.BytesIO(data), "dma.eml")
        assert (reply.recipient, reply.basic, reply.enhanced) == (
            "bob@mx.example.com",
            "550",
            "5.7.26",
        )
        assert reply.command == "DATA"
        assert reply.text == (
            "550-5.7.26 Unauthenticated email from df.example.org is not accepted due to "
            "domain's\n550-5.7.26 DMARC policy. Please contact the administrator of "
            "df.example.org domain\n550 5.7.26 if this was a legitimate mail."
        )
