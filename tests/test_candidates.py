"""The finder (smtpcode.extract.candidates): replies wherever they are pasted, told apart
from numbers that are not replies by their context.

Each text is a shape seen in public issue trackers and threads (see tests/data/wild for
the corpus itself); these pin the kinds the issue names one by one.
"""

from __future__ import annotations

import io

import pytest

from smtpcode.api import parse
from smtpcode.extract import Scanner
from smtpcode.extract.candidates import line_candidates, reply_in_line

Row = tuple[str | None, str | None, str | None, str | None]


def rows(text: str) -> list[Row]:
    """(basic, enhanced, recipient, command) of each reply found, in order."""
    found = Scanner("t").scan_stream(io.BytesIO(text.encode()))
    return [(r.basic, r.enhanced, r.recipient, r.command) for r in found]


def codes(text: str) -> list[tuple[str | None, str | None]]:
    return [(b, e) for b, e, _, _ in rows(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # quoted in prose and Markdown
        ('It answers "550 5.1.1 <a@example.com>: User unknown" every time.', ("550", "5.1.1")),
        ("The server said `554 5.7.1 Relay access denied` again", ("554", "5.7.1")),
        ("| 550 5.7.26 | Unauthenticated email is not accepted |", ("550", "5.7.26")),
        ("Got: 535 5.7.8 Error: authentication failed", ("535", "5.7.8")),
        ("└──550 Mailbox unavailable", ("550", None)),
        # tokens between the codes; qmail's enhanced code after the text
        ("said: 550 cuda_nsu 5.1.1 <a@example.com>: Recipient address rejected", ("550", "5.1.1")),
        ("Sorry, no mailbox here by that name. (#5.1.1)", (None, "5.1.1")),
        # a bare enhanced status opening a line
        (
            "5.7.1 Service unavailable; client [192.0.2.1] blocked using zen.spamhaus.org",
            (None, "5.7.1"),
        ),
        ("4.3.0 <x@example.com>: Temporary lookup failure", (None, "4.3.0")),
        # JSON fragments and records
        (
            '{"message":"Expected response code \\"250\\" but got code \\"554\\", with '
            'message \\"554 5.2.0 STOREDRV.Submission.Exception\\"","context":{}}',
            ("554", "5.2.0"),
        ),
        (
            '  "diagnosticcode": "550 5.1.1 <kijitora@example.jp>... User Unknown",',
            ("550", "5.1.1"),
        ),
        (
            '"reason":"550 5.7.1 Unfortunately, messages from [192.0.2.1] weren\'t sent.",',
            ("550", "5.7.1"),
        ),
    ],
)
def test_a_reply_wherever_it_is_pasted(text: str, expected: tuple[str | None, str | None]) -> None:
    assert codes(text) == [expected]


def test_echoes_count_once() -> None:
    symfony = (
        'Expected response code "250" but got code "550", with message "550 5.7.1 Relaying denied".'
    )
    assert codes(symfony) == [("550", "5.7.1")]
    javamail = "javax.mail.MessagingException: 421 4.7.0 Try again later, closing connection. (421)"
    assert codes(javamail) == [("421", "4.7.0")]
    mailgun = (
        '"delivery-status": {\n'
        '  "message": "smtp; 550-5.1.1 The email account that you tried to reach '
        'does not exist.",\n'
        '  "code": "5.1.1"\n'
        "}"
    )
    assert codes(mailgun) == [("550", "5.1.1")]
    wrapped = (
        "Net::SMTPFatalError: 550 5.7.1 Unconfigured Sending Domain <example.com>\n"
        "  net/smtp.rb:965:in `check_response'\n"
        "\n"
        "550 5.7.1 Unconfigured Sending Domain <example.com>\n"
    )
    assert codes(wrapped) == [("550", "5.7.1")]


def test_a_client_error_repeating_the_transcript_is_one_reply() -> None:
    phpmailer = (
        "2019-01-01 10:00:00 SERVER -> CLIENT: 535-5.7.8 Username and Password not "
        "accepted. Learn more at\n"
        "2019-01-01 10:00:00 SERVER -> CLIENT: 535 5.7.8 https://support.google.com/mail/"
        "?p=BadCredentials x1sm - gsmtp\n"
        "2019-01-01 10:00:00 SMTP ERROR: Password command failed: 535-5.7.8 Username and "
        "Password not accepted. Learn more at\n"
        "535 5.7.8 https://support.google.com/mail/?p=BadCredentials x1sm - gsmtp\n"
        "2019-01-01 10:00:00 SMTP Error: Could not authenticate.\n"
    )
    assert codes(phpmailer) == [("535", "5.7.8")]


def test_nested_replies_give_the_remote_servers() -> None:
    assert codes("Diagnostic-Code: smtp; 220-laposte 421 4.2.1 Service refuse. LPN105_104") == [
        ("421", "4.2.1")
    ]
    assert codes("Reason: 220-laposte 421 4.2.1 Service refuse. Veuillez essayer plus tard.") == [
        ("421", "4.2.1")
    ]
    ses = (
        "5.1.0 - Unknown address error 550-'5.7.1 <x@example.com>: Recipient address "
        "rejected: Access denied'"
    )
    assert codes(ses) == [("550", "5.7.1")]
    callout = (
        "<a@example.com>: host mx.example.com[192.0.2.1] said: 550-Callout verification "
        "failed: 550-550 5.1.10 <b@example.com>: Recipient address rejected (in reply to "
        "RCPT TO command)"
    )
    assert rows(callout) == [("550", "5.1.10", None, "RCPT")]
    exchange = (
        "Remote Server returned '550 5.7.514 Decision Engine classified the mail item "
        "-> 554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked'"
    )
    assert codes(exchange) == [("554", "5.7.1")]


def test_a_bounce_folded_over_lines_is_one_reply() -> None:
    folded = (
        "<a@example.com>: host mta7.am0.yahoodns.net[192.0.2.1] said: 421\n"
        "4.7.0 [TSS04] Messages from 192.0.2.9 temporarily deferred due to\n"
        "unexpected volume or user complaints - 4.16.55.1; see\n"
        "https://postmaster.yahooinc.com/error-codes (in reply to MAIL FROM command)\n"
    )
    assert rows(folded) == [("421", "4.7.0", None, "MAIL")]


def test_a_log_line_wrapped_over_lines_is_one_reply() -> None:
    wrapped = (
        "Jan 10 10:00:01 mail postfix/smtp[1234]: 4F2A31C0: to=<bob@example.com>, "
        "relay=mx.example.com[192.0.2.1]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.1.1, "
        "status=bounced (host mx.example.com[192.0.2.1] said: 550-5.1.1 The email account "
        "that you tried to reach does not exist. Please try\n"
        "    550-5.1.1 double-checking the recipient's email address for typos or 550 5.1.1\n"
        "    unnecessary spaces. (in reply to RCPT TO command))\n"
    )
    # (the command is named on the wrapped part, which only continues the reply)
    assert rows(wrapped) == [("550", "5.1.1", "bob@example.com", None)]


def test_exim_continuation_lines_answer_its_command() -> None:
    exim = (
        "2024-01-01 10:00:00 1rAbCd-000123-AB ** bob@example.com R=dnslookup "
        "T=remote_smtp H=mx.example.com [192.0.2.1]: SMTP error from remote mail server "
        "after RCPT TO:<bob@example.com>:\n"
        "  550-5.1.1 The email account that you tried to reach does not exist. Please try\n"
        "  550 5.1.1 double-checking the recipient's email address for typos\n"
        "2024-01-01 10:00:01 1rAbCd-000123-AB Completed\n"
    )
    found = list(Scanner("t").scan_stream(io.BytesIO(exim.encode())))
    assert [(r.basic, r.enhanced, r.recipient, r.command, r.reporter) for r in found] == [
        ("550", "5.1.1", "bob@example.com", "RCPT", "exim")
    ]


def test_postfix_dsn_without_a_quoted_reply_is_the_finding() -> None:
    line = (
        "Jul 30 09:36:11 mx postfix/local[3837]: 8C5141DC263B: to=<jeff@example.org>, "
        "relay=local, delay=0.45, delays=0.25/0.08/0/0.13, dsn=5.1.1, status=bounced "
        '(unknown user: "jeff")'
    )
    assert rows(line) == [(None, "5.1.1", "jeff@example.org", None)]
    milter = (
        "Jan 19 14:42:50 mx postfix/cleanup[3101]: 40C12F39F: milter-reject: END-OF-MESSAGE "
        "from unknown[192.0.2.1]: 5.7.1 Delivery not authorized, message refused; "
        "from=<a@example.com> to=<b@example.org> proto=ESMTP helo=<x>"
    )
    assert codes(milter) == [(None, "5.7.1")]


def test_a_bounce_without_codes_names_its_recipients() -> None:
    text = (
        "Unable to deliver message to the following recipients:\n"
        "<bob@example.com>\n"
        "<carol@example.org>\n"
        "The mailbox is full.\n"
    )
    assert rows(text) == [
        (None, None, "bob@example.com", None),
        (None, None, "carol@example.org", None),
    ]
    findings = list(parse(text))
    assert [f.reason for f in findings] == ["mailbox-full", "mailbox-full"]
    # A notice that goes on to quote the reply: the reply is the finding.
    gmail = (
        "Your message wasn't delivered to bob@example.com because the address couldn't "
        "be found.\n\nThe response from the remote server was:\n"
        "550 5.1.1 The email account that you tried to reach does not exist.\n"
    )
    assert codes(gmail) == [("550", "5.1.1")]


def test_transcripts_of_any_prefix() -> None:
    haraka = (
        "[PROTOCOL] [D01B] [core] C: RCPT TO:<a@example.com> state=1\n"
        "[PROTOCOL] [D01B] [core] S: 550 5.1.1 No such user\n"
        "[PROTOCOL] [D01B] [core] C: QUIT\n"
        "[PROTOCOL] [D01B] [core] S: 221 Bye\n"
    )
    assert rows(haraka) == [
        ("550", "5.1.1", "a@example.com", "RCPT"),
        ("221", None, None, "QUIT"),
    ]
    found = list(Scanner("t").scan_stream(io.BytesIO(haraka.encode())))
    assert {r.reporter for r in found} == {"haraka"}
    curl = "< 220 mx.example.com ESMTP\n> EHLO x\n< 250-mx.example.com\n< 250 AUTH PLAIN\n"
    assert rows(curl) == [("220", None, None, None), ("250", None, None, "EHLO")]


def test_log_fields_name_recipient_and_program() -> None:
    msmtp = (
        "May 18 09:39:54 host=smtp.example.de tls=on auth=on user=me from=me@example.de "
        "recipients=you@example.org smtpstatus=554 smtpmsg='554-Transaction failed\\n"
        "554 Reject due to policy restrictions' exitcode=EX_UNAVAILABLE\n"
        "msmtp: server message: 501 <root>: recipient address must contain a domain\n"
    )
    found = list(Scanner("t").scan_stream(io.BytesIO(msmtp.encode())))
    assert [(r.basic, r.recipient, r.reporter) for r in found] == [
        ("554", "you@example.org", "msmtp"),
        ("501", None, "msmtp"),
    ]
    assert found[0].text == "554-Transaction failed\n554 Reject due to policy restrictions"


def test_lettre_spells_the_code_out() -> None:
    debug = (
        "lettre::transport::smtp::Error { kind: Permanent(Code { severity: "
        "PermanentNegativeCompletion, category: MailSystem, detail: Four }) }"
    )
    assert codes(debug) == [("554", None)]


@pytest.mark.parametrize(
    "text",
    [
        "we sent 250 emails to 550 people",
        "HTTP/1.1 404 Not Found",
        "freshclam receives 403 Forbidden from the mirror",
        "connect to port 587 failed, trying 465",
        "upgraded from `5.4.13` to version 5.1.1 yesterday",
        "we see 400 series errors and 5.X.X codes",
        "call +1 555 123 4567 at 12:55:01 from 192.0.2.250",
        "smtpObj = smtplib.SMTP(host, 587, timeout=10)",
        'Expected response code 250 but got code "", with message ""',
        "Version 5.1.1 was released on 2024-05-01; 421 tests passed",
        "Error 500: Internal server error at line 550",
        "The 550 error means the mailbox does not exist",
        "Took 250ms to send 550 messages",
        "422",
    ],
)
def test_numbers_that_are_not_replies(text: str) -> None:
    assert rows(text) == []


def test_one_line_read_by_context() -> None:
    assert reply_in_line("line 300 of SmtpTransport.php") is None
    found = reply_in_line("permanent error (535): 5.7.8 Username and Password not accepted")
    assert found is not None
    assert (found.basic, found.enhanced) == ("535", "5.7.8")
    # a line full of codes costs time in proportion to its length and finds few
    assert len(line_candidates("550 " * 100_000, 1)) <= 50
