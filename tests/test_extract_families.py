"""Each input family on a sample of its own (tests/data/parse, see its README), with the
replies it must yield: codes, where they start, recipient, command, MTA."""

from __future__ import annotations

import io
from pathlib import Path

from smtpcode.extract import Scanner, scan
from smtpcode.records import Reply

DATA = Path(__file__).parent / "data" / "parse"


def read(name: str, fmt: str = "auto") -> list[Reply]:
    with (DATA / name).open("rb") as stream:
        return list(Scanner(name, fmt).scan_stream(stream))


def text_replies(text: str) -> list[Reply]:
    return list(scan(io.BytesIO(text.encode()), "t"))


def rows(replies: list[Reply]) -> list[tuple[object, ...]]:
    return [(r.line, r.basic, r.enhanced, r.recipient, r.command) for r in replies]


def test_sendmail_log() -> None:
    found = read("sendmail.log")
    assert rows(found) == [
        (2, None, "2.0.0", "bob@example.net", None),
        (3, None, "5.1.1", "nobody@example.org", None),
        (5, "451", "4.7.1", "carol@example.com", None),
        (6, "550", "5.7.1", "spam@victim.example", "RCPT"),
        (7, None, "4.0.0", "dave@example.com", None),
        (8, "553", "5.1.8", None, "MAIL"),
        (9, None, "5.0.0", "erin@example.net", None),
        (9, None, "5.0.0", "frank@example.net", None),
    ]
    assert {r.reporter for r in found} == {"sendmail"}
    assert found[0].remote_host == "mx.example.net"
    assert found[2].text == "451 4.7.1 Greylisting in action, please come back later"
    assert found[4].text == "Connection refused by mx.example.com."


def test_opensmtpd_log() -> None:
    found = read("opensmtpd.log")
    assert rows(found) == [
        (2, "550", None, "nobody@example.org", "RCPT"),
        (4, "250", "2.0.0", "bob@example.com", None),
        (5, "550", "5.1.1", "nosuch@example.net", None),
        (6, "421", "4.7.0", "later@example.com", None),
    ]
    assert found[2].remote_host == "mx.example.net" and found[2].reporter == "opensmtpd"


def test_qmail_log_pairs_deliveries_with_recipients() -> None:
    found = read("qmail.log")
    assert rows(found) == [
        (5, "550", "5.1.1", "nobody@example.net", "RCPT"),
        (8, "250", "2.0.0", "bob@example.com", None),
        (10, "451", "4.7.1", "later@example.com", "MAIL"),
        (12, None, "5.1.2", "x@nohost.invalid", None),
    ]
    assert (
        found[0].text == "550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown"
    )
    assert found[3].text == "Sorry, I couldn't find any host named nohost.invalid. (#5.1.2)"


def test_exchange_ndr_text() -> None:
    found = read("exchange-ndr.txt")
    assert rows(found) == [
        (9, "550", "5.1.10", "nobody@contoso.com", None),
        (16, "550", "5.2.2", "full@fabrikam.com", None),
        (18, "550", "5.1.1", "legacy@example.org", None),
    ]
    assert found[0].text == (
        "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient nobody@contoso.com not found "
        "by SMTP address lookup"
    )
    assert {r.reporter for r in found} == {"exchange"}


def test_client_exceptions() -> None:
    found = read("exceptions.log")
    assert rows(found) == [
        (1, "550", "5.1.1", "nobody@example.org", "RCPT"),  # smtplib repr
        (7, "554", "5.7.1", None, "DATA"),  # smtplib traceback line
        # nodemailer: the error line, completed by its properties; the nested error
        # that repeats the reply is not a second reply.
        (8, "550", "5.1.1", "nobody@example.org", "RCPT"),
        (25, "550", "5.1.1", "ghost@example.net", "RCPT"),  # JavaMail
        (29, "552", "5.3.4", None, "DATA"),  # PHPMailer
        (30, "550", "5.7.1", None, None),  # Symfony Mailer
        (31, "452", "4.2.2", "full@example.org", "RCPT"),  # PEAR Mail
        (32, None, "5.1.1", "dotnet@example.org", "RCPT"),  # .NET
        (34, "535", "5.7.8", None, "AUTH"),  # Ruby Net::SMTP
    ]
    assert found[1].text == "554 5.7.1 Message rejected: spam content detected"
    assert found[5].text == "550 5.7.1 <x@example.net>: Relay access denied"


def test_phpmailer_debug_transcript() -> None:
    found = read("phpmailer-debug.txt")
    assert [(r.line, r.basic, r.command) for r in found] == [
        (1, "220", None),
        (3, "250", "EHLO"),
        (10, "250", "MAIL"),
        (12, "550", "RCPT"),
        (15, "221", "QUIT"),
    ]
    # The multi-line EHLO reply continues on raw lines; the "SMTP ERROR" line repeats the
    # RCPT reply and is not a second one.
    assert found[1].text is not None and found[1].text.count("\n") == 5
    assert found[3].recipient == "nobody@example.org"


def test_telnet_session() -> None:
    found = read("telnet-session.txt")
    assert [(r.line, r.basic, r.enhanced, r.command, r.recipient) for r in found] == [
        (5, "220", None, None, None),
        (7, "250", None, "EHLO", None),
        (19, "250", "2.1.0", "MAIL", None),
        (21, "550", "5.1.1", "RCPT", "nobody@example.org"),
        (23, "250", "2.1.5", "RCPT", "alice@example.org"),
        (25, "354", None, "DATA", "alice@example.org"),
        # The message's lines are not replies, even one that starts with "250 ".
        (30, "250", "2.0.0", "DATA", "alice@example.org"),
        (32, "221", "2.0.0", "QUIT", None),
    ]


def test_openssl_s_client_session() -> None:
    found = read("openssl-s_client.txt")
    assert [(r.line, r.basic, r.command) for r in found] == [
        (40, "250", None),
        (42, "250", "EHLO"),
        (49, "535", "AUTH"),
    ]


def test_ses_notification_in_an_sns_envelope() -> None:
    found = read("ses-sns-bounce.json")
    assert [(r.basic, r.enhanced, r.recipient, r.reporter) for r in found] == [
        ("550", "5.1.1", "nobody@example.org", "amazon-ses"),
        ("552", "5.2.2", "full@example.net", "amazon-ses"),
    ]
    # "smtp;" is the DSN type, not part of the reply; the subject's "550" is no reply.
    assert found[0].text is not None and found[0].text.startswith("550 5.1.1 <nobody@")


def test_ses_events_one_per_line() -> None:
    found = read("ses-events.jsonl")
    assert rows(found) == [
        (1, "250", "2.6.0", "ok@example.com", None),
        (3, "421", "4.4.2", "slow@example.net", None),  # the complaint (line 2) is none
    ]


def test_sendgrid_mailgun_postmark_sparkpost() -> None:
    assert [(r.basic, r.enhanced, r.recipient) for r in read("sendgrid-events.json")] == [
        ("250", "2.0.0", "ok@example.com"),
        ("421", "4.7.0", "later@example.net"),
        ("550", "5.1.1", "nobody@example.org"),
    ]
    assert [
        (r.basic, r.enhanced, r.recipient, r.reporter) for r in read("mailgun-webhook.json")
    ] == [("550", "5.1.1", "ghost@example.org", "mailgun")]
    found = read("esp-events.jsonl")
    assert [(r.line, r.basic, r.enhanced, r.recipient, r.reporter) for r in found] == [
        (1, "550", "5.1.1", "john@example.com", "postmark"),
        (2, "550", "5.1.1", "recipient@example.com", "sparkpost"),
    ]


def test_raw_replies_single_and_multi_line() -> None:
    found = text_replies("250-mx.example.com\n250-SIZE 1000\n250 HELP\n421 4.7.0 Try later\n")
    assert [(r.line, r.basic, r.enhanced, r.text) for r in found] == [
        (1, "250", None, "250-mx.example.com\n250-SIZE 1000\n250 HELP"),
        (4, "421", "4.7.0", "421 4.7.0 Try later"),
    ]


def test_prose_is_not_a_reply() -> None:
    assert text_replies("we sent 250 emails to 550 people\n") == []
    assert text_replies("Version 5.1.1 was released on 2024-05-01; 421 tests passed\n") == []


def test_format_forces_one_family() -> None:
    # As a Postfix log, raw reply lines are nothing; as raw replies, Postfix lines are.
    log = (DATA / "sendmail.log").read_bytes()
    assert list(Scanner("x", "postfix").scan_stream(io.BytesIO(log))) == []
    assert len(read("sendmail.log", "sendmail")) == 8
    assert list(Scanner("x", "reply").scan_stream(io.BytesIO(b"250 ok\n"))) != []
