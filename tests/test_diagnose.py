"""Diagnosis behaviour: evidence order, warnings, hard/soft bounce, provider and MTA,
the summary sentence and advice, normalisation of the text."""

from __future__ import annotations

import pytest

from smtpcode.api import explain_query
from smtpcode.diagnose import Diagnoser, get_rules, normalise
from smtpcode.records import Reply

GMAIL_NO_SUCH_USER = (
    "550-5.1.1 The email account that you tried to reach does not exist. Please try\n"
    "550-5.1.1 double-checking the recipient's email address for typos or\n"
    "550-5.1.1 unnecessary spaces. Learn more at\n"
    "550 5.1.1 https://support.google.com/mail/?p=NoSuchUser e22-n7GpZmsf093195.222 - gsmtp"
)


def test_whole_reply_leads_with_a_summary() -> None:
    f = explain_query(GMAIL_NO_SUCH_USER)
    assert (f.reason, f.provider, f.hard_bounce) == ("user-unknown", "google", True)
    assert f.summary == (
        "Gmail rejected the recipient: the address does not exist. "
        "Hard bounce: remove it from your list."
    )
    assert f.to_dict()["summary"] == f.summary


def test_bare_code_has_no_summary_and_code_reason() -> None:
    f = explain_query("550 5.1.1")
    assert f.reason == "user-unknown"
    assert f.summary is None
    assert f.provider is None


def test_text_beats_a_weak_code_silently() -> None:
    f = explain_query(
        "550 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org"
    )
    assert f.reason == "blocked"
    assert not f.warnings
    assert "https://check.spamhaus.org/" in (f.advice or "")


def test_text_beats_a_specific_code_with_a_warning() -> None:
    f = explain_query("550 5.2.2 <x@example.org>... User unknown")
    assert f.reason == "user-unknown"
    assert any("5.2.2 means mailbox-full" in w for w in f.warnings)


def test_compatible_refinement_has_no_warning() -> None:
    # 4.4.7 says "expired"; the text names only the network cause: a refinement, not a
    # conflict.
    f = explain_query("451 4.4.7 Connection timed out")
    assert f.reason == "network"
    assert not [w for w in f.warnings if "text is more specific" in w]


def test_given_up_after_a_time_is_expired_and_the_advice_names_the_cause() -> None:
    # bounces/lhost-amazonworkmail-05.eml: the message was given up after 840 minutes of
    # timeouts. Expired is the verdict; the timeouts are what to fix.
    f = explain_query(
        "554 4.4.7 Message expired: unable to deliver in 840 minutes."
        "<421 4.4.2 Connection timed out>"
    )
    assert f.reason == "expired"
    assert not [w for w in f.warnings if "text is more specific" in w]
    assert "The reply also names the cause: a network, routing or connection problem." in (
        f.advice or ""
    )


def test_a_named_recipient_cause_beats_expiry() -> None:
    # mta/dsn/exim_dsn_local_quota.eml: Exim gave up, but on a full mailbox.
    assert explain_query("550 mailbox is full: retry timeout exceeded").reason == "mailbox-full"


def test_code_only_when_the_text_says_nothing() -> None:
    f = explain_query("550 5.2.2 ok whatever")
    assert f.reason == "mailbox-full"
    assert f.hard_bounce is False


def test_transient_is_never_a_hard_bounce() -> None:
    f = explain_query(
        "450 4.1.1 <x@example.org>: Recipient address rejected: "
        "User unknown in local recipient table"
    )
    assert f.reason == "user-unknown"
    assert f.hard_bounce is False
    assert f.summary is not None and "Temporary failure" in f.summary


def test_success_ignores_alarming_words() -> None:
    f = explain_query("250 2.0.0 Ok: queued as 71BE1160013 (spam check: blocked=0)")
    assert f.reason == "success"
    # Not a delivery failure: neither a hard nor a soft bounce, nothing to retry.
    assert f.hard_bounce is None
    assert f.retry is None


def test_sender_side_at_mail_from() -> None:
    reply = Reply(basic="550", enhanced="5.1.1", text="550 5.1.1 User unknown", command="MAIL")
    assert Diagnoser().diagnose(reply).reason == "sender-rejected"


def test_command_names_what_was_refused() -> None:
    reply = Reply(basic="552", enhanced="5.2.2", text="552 5.2.2 Mailbox full", command="DATA")
    f = Diagnoser().diagnose(reply)
    assert f.summary is not None and f.summary.startswith(
        "The receiving server rejected the message:"
    )


def test_provider_from_host_beats_nothing_in_text() -> None:
    reply = Reply(
        basic="550", enhanced="5.7.1", text="550 5.7.1 rejected", remote_host="mx1.mail.icloud.com"
    )
    f = Diagnoser().diagnose(reply)
    assert f.provider == "apple"
    assert "support.apple.com" in (f.advice or "")


@pytest.mark.parametrize(
    ("host", "provider"),
    [
        ("gmail-smtp-in.l.google.com", "google"),
        ("example-com.mail.protection.outlook.com", "microsoft"),
        ("mta5.am0.yahoodns.net", "yahoo"),
        ("mx00.gmx.net", "gmx"),
        ("mx-biz.mail.am0.yahoodns.net.", "yahoo"),
        ("mx1.example.pphosted.com", "proofpoint"),
        ("us-smtp-inbound-1.mimecast.com", "mimecast"),
        ("mx1.example.iphmx.com", "cisco"),
        ("cluster1.eu.messagelabs.com", "symantec"),
        ("inbound-smtp.us-east-1.amazonaws.com", "amazon-ses"),
        ("mx.yandex.ru", "yandex"),
        ("mxs.mail.ru", "mailru"),
        ("mx.zoho.com", "zoho"),
        ("mx3.qq.com", "qq"),
        ("smtp-in.orange.fr", "orange"),
        ("mx1.comcast.net", "comcast"),
        ("mx-ha03.web.de", "gmx"),
        ("mx00.mail.com", "gmx"),
        ("mx01.mail.icloud.com", "apple"),
        ("d405521.a.ess.ca.barracudanetworks.com", "barracuda"),
        ("in.tmes.trendmicro.eu", "trendmicro"),
        ("mx.sendgrid.net", "sendgrid"),
        ("mxa.mailgun.org", "mailgun"),
        ("mxb-001.gslb.pphosted.com", "proofpoint"),
        ("za-smtp-inbound-2.mimecast.co.za", "mimecast"),
        ("inbound-smtp.eu-west-1.amazonaws.com", "amazon-ses"),
        ("ec2-52-33-68-253.us-west-2.compute.amazonaws.com", None),
        ("mx.yandex.net", "yandex"),
        ("mx1.hotmail.com", "microsoft"),
        ("gmail.com.example.net", None),
        ("notgoogle.com", None),
    ],
)
def test_provider_of_host(host: str, provider: str | None) -> None:
    assert get_rules().provider_of_host(host) == provider


def test_client_host_name_in_text_is_not_the_provider() -> None:
    f = explain_query(
        "554 5.7.1 <e22-33.smtp-out.amazonses.com[192.0.2.127]>: Client host rejected: "
        "blocked using mail.neko.example.com"
    )
    assert f.provider is None
    assert f.remote_mta == "postfix"


def test_reporter_and_remote_software_are_kept_apart() -> None:
    # The log's writer (postfix) is not the remote server whose wording this is (exim).
    reply = Reply(
        basic="550", enhanced="5.1.1", text="550 5.1.1 Unrouteable address", reporter="postfix"
    )
    f = Diagnoser().diagnose(reply)
    assert (f.to_dict()["reporter"], f.remote_mta) == ("postfix", "exim")


def test_mta_recognised_from_default_text() -> None:
    f = explain_query("550 Unrouteable address")
    assert f.remote_mta == "exim"
    assert f.to_dict()["remote_mta"] == "exim"


def test_addresses_are_not_phrasing() -> None:
    f = explain_query(
        "554 5.7.1 <blocked@mx.example.test>: Recipient address rejected: Access denied"
    )
    assert f.reason == "policy"


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
def test_line_ends_do_not_change_the_result(eol: str) -> None:
    base = explain_query(GMAIL_NO_SUCH_USER)
    other = explain_query(GMAIL_NO_SUCH_USER.replace("\n", eol))
    assert (other.reason, other.provider, other.hard_bounce) == (
        base.reason,
        base.provider,
        base.hard_bounce,
    )


def test_normalise_strips_codes_and_joins_lines() -> None:
    assert normalise("550-5.1.1 The email\n550-5.1.1 account  is\n550 5.1.1 X") == (
        "the email account is x"
    )
    assert normalise("is 550-5.7.1 likely unsolicited") == "is likely unsolicited"


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("550 5.1.1 <x@example.de>... Benutzer unbekannt", "user-unknown"),
        ("550 Utilisateur inconnu", "user-unknown"),
        ("550 5.1.1 Usuario desconocido", "user-unknown"),
        ("552 5.2.2 Postfach voll", "mailbox-full"),
        ("550 5.1.1 用户不存在", "user-unknown"),
    ],
)
def test_common_non_english_phrasings(reply: str, reason: str) -> None:
    assert explain_query(reply).reason == reason


def test_results_are_cached_per_text() -> None:
    d = Diagnoser()
    reply = Reply(basic="550", enhanced="5.1.1", text="550 5.1.1 User unknown")
    a = d.diagnose(reply)
    b = d.diagnose(Reply(basic="550", enhanced="5.1.1", text="550 5.1.1 User unknown", line=7))
    assert a.reason == b.reason and b.reply.line == 7
    assert d.verdict(reply) is d.verdict(reply)


def test_rules_cover_the_reason_vocabulary() -> None:
    rules = get_rules()
    assert set(rules.reasons) >= {"user-unknown", "blocked", "unknown"}
    for reason in rules.reasons.values():
        assert reason.summary and reason.action and reason.advice


def test_postfix_local_delivery_over_the_mailbox_size_limit_is_mailbox_full() -> None:
    # mta/logs/postfix.log: postfix/local writing past mailbox_size_limit fails with
    # EFBIG ("File too large"): the mailbox is full, the message is not too large.
    from smtpcode.api import parse

    line = (
        "Nov 29 00:38:08 mx postfix/local[7875]: 5387A160095: to=<full@mx.example.test>, "
        "relay=local, delay=0, delays=0/0/0/0, dsn=5.2.2, status=bounced (cannot update "
        "mailbox /var/mail/full for user full. error writing message: File too large)"
    )
    (f,) = list(parse(line))
    assert (f.reason, f.hard_bounce) == ("mailbox-full", False)
    assert not f.warnings


def test_a_message_over_the_size_limit_is_still_message_too_large() -> None:
    assert explain_query("552 5.3.4 Message size exceeds fixed limit").reason == (
        "message-too-large"
    )
