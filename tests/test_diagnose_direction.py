"""Who said it, and to whom: the remote host and direction the extractors read, and
what diagnosis makes of them (the provider from the host first; advice for the local
admin when the local server refused a client)."""

from __future__ import annotations

from pathlib import Path

from smtpcode.api import parse
from smtpcode.diagnose import Diagnoser
from smtpcode.records import Reply

DATA = Path(__file__).parent / "data"


def _lines(path: Path, *needles: str) -> str:
    return "\n".join(
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if all(n in line for n in needles)
    )


def test_postfix_noqueue_reject_is_the_local_server_refusing_a_client() -> None:
    log = _lines(DATA / "mta" / "logs" / "postfix.log", "NOQUEUE: reject:", "User unknown")
    finding = next(iter(parse(log)))
    assert (finding.reply.direction, finding.reply.reporter) == ("inbound", "postfix")
    assert (finding.reason, finding.provider, finding.reply.remote_host) == (
        "user-unknown",
        None,
        None,
    )
    assert finding.summary == (
        "This server rejected the recipient of a client: the address does not exist. "
        "For this server's admin: nothing to do unless that address should exist."
    )
    assert finding.advice is not None and finding.advice.startswith(
        "A client sent mail for an address that does not exist on this server."
    )


def test_postfix_delivery_is_outbound_with_its_relay() -> None:
    log = _lines(DATA / "mta" / "logs" / "postfix.log", "status=bounced", "said: 550")
    finding = next(iter(parse(log)))
    assert finding.reply.direction == "outbound"
    assert finding.reply.remote_host is not None
    assert finding.summary is not None and finding.summary.startswith("The receiving server")


def test_copied_wording_from_a_host_that_is_not_the_providers() -> None:
    # aiosmtpd answering with Gmail's words, as Exim logged it (H=127.0.0.1): the text
    # says "The email account that you tried to reach does not exist", the host is not
    # Google's, and no Google server is named: Gmail did not answer.
    log = _lines(DATA / "mta" / "logs" / "exim-mainlog", "user-unknown@remote.test R=")
    finding = next(iter(parse(log)))
    assert finding.reply.remote_host == "127.0.0.1"
    assert finding.reply.direction == "outbound"
    assert (finding.reason, finding.provider) == ("user-unknown", None)
    # The same words with no host named: the wording is the only evidence there is.
    bare = Diagnoser().diagnose(
        Reply(basic=finding.reply.basic, enhanced=finding.reply.enhanced, text=finding.reply.text)
    )
    assert bare.provider == "google"


def test_provider_from_the_remote_host_before_the_text() -> None:
    text = "550 5.7.1 Message rejected as spam by Content Filtering."
    diagnoser = Diagnoser()
    by_host = diagnoser.diagnose(
        Reply(basic="550", enhanced="5.7.1", text=text, remote_host="mx1.hotmail.com")
    )
    assert by_host.provider == "microsoft"
    # A provider's own server trailer is proof even through another host (a relay
    # passing Gmail's reply back).
    relayed = diagnoser.diagnose(
        Reply(
            basic="550",
            enhanced="5.1.1",
            text="550 5.1.1 The email account that you tried to reach does not exist. "
            "a1si123.45 - gsmtp",
            remote_host="smtp.relay.example.net",
        )
    )
    assert (relayed.provider, relayed.evidence[1]) == ("google", "google.gsmtp")


def test_exim_authenticator_failure_is_inbound() -> None:
    log = _lines(DATA / "mta" / "logs" / "exim-mainlog", "authenticator failed")
    finding = next(iter(parse(log)))
    assert (finding.reply.direction, finding.reply.command) == ("inbound", "AUTH")
    assert (finding.reason, finding.hard_bounce, finding.retry) == (
        "auth-credentials",
        None,
        None,
    )
    assert finding.summary is not None and finding.summary.startswith(
        "This server rejected the login of a client"
    )


def test_exim_host_in_the_error_text() -> None:
    line = (
        "2026-11-29 00:38:09 1xXSvh-00023R-1w ** a@remote.test R=dnslookup T=remote_smtp: "
        "SMTP error from remote mail server after RCPT TO:<a@remote.test>: "
        "host gmail-smtp-in.l.google.com [142.250.102.27]: 550-5.1.1 The email account "
        "that you tried to reach does not exist.\\n550 5.1.1 ... - gsmtp"
    )
    finding = next(iter(parse(line)))
    assert finding.reply.remote_host == "gmail-smtp-in.l.google.com"
    assert finding.provider == "google"


def test_sendmail_ruleset_reject_and_opensmtpd_smtp_in_are_inbound() -> None:
    sendmail = list(parse(DATA / "parse" / "sendmail.log"))
    rejects = [f for f in sendmail if f.reply.command in ("RCPT", "MAIL")]
    assert rejects and all(f.reply.direction == "inbound" for f in rejects)
    deliveries = [f for f in sendmail if f.reply.command is None]
    assert deliveries and all(f.reply.direction == "outbound" for f in deliveries)
    smtpd = list(parse(DATA / "parse" / "opensmtpd.log"))
    assert [(f.reply.direction, f.reply.remote_host) for f in smtpd][:3] == [
        ("inbound", None),
        ("outbound", "mx.example.com"),
        ("outbound", "mx.example.net"),
    ]


def test_swaks_transcript_names_the_server_it_connected_to() -> None:
    path = DATA / "mta" / "transcripts" / "postfix_relay_denied_ipv6.txt"
    findings = list(parse(path))
    assert {(f.reply.remote_host, f.reply.direction) for f in findings} == {("::1", "outbound")}
    refused = [f for f in findings if f.klass == "permanent"]
    assert [f.reason for f in refused] == ["relay-denied"]


def test_postfix_milter_reject_is_inbound() -> None:
    # From https://github.com/rspamd/rspamd/issues/1776 (rspamd greylisting through the
    # milter): the local server's milter deferring a client's message.
    line = (
        "Nov 29 00:38:09 mx postfix/cleanup[66014]: B8A44169A1C: milter-reject: "
        "END-OF-MESSAGE from unknown[1.2.3.4]: 4.7.1 Try again later; from=<user@domain.com>"
    )
    finding = next(iter(parse(line)))
    assert (finding.reply.enhanced, finding.reply.command) == ("4.7.1", "DATA")
    assert (finding.reply.direction, finding.provider) == ("inbound", None)
