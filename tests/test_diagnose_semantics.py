"""Bounce semantics, the same for every reason and class.

hard_bounce: True when the address itself is bad, False for another delivery failure,
None when nothing failed to be delivered (a success, a login, a malformed command).
retry: whether the sending server tries again (transient yes, permanent no), None when
no delivery is involved. Advice and summary never contradict the class: no waiting for
a retry after a permanent failure, no dropping an address after a transient one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from smtpcode.diagnose import REASON_NAMES, Diagnoser, get_rules
from smtpcode.records import Finding, Reply

EXAMPLES = yaml.safe_load(
    (Path(__file__).parent / "data" / "diagnose" / "examples.yaml").read_text(encoding="utf-8")
)
CLASSES = {"success": "250", "intermediate": "354", "transient": "450", "permanent": "550"}
ENHANCED_CLASS = {"success": "2", "intermediate": None, "transient": "4", "permanent": "5"}

# What a text must not say, per class (case-insensitive).
FORBIDDEN = {
    # The sending server gives up on a permanent failure: no retry will come.
    "permanent": re.compile(
        r"let the queue|queue (tries|retries)|retry later|will retry|retries after|"
        r"next retry|tries again|temporary failure|do nothing",
        re.I,
    ),
    # A transient failure says nothing final about the address yet.
    "transient": re.compile(
        r"remove (it|the address)|hard bounce|stop sending|will not help|not be retried|"
        r"for good|sending again as is will fail",
        re.I,
    ),
    "success": re.compile(r"bounce|retry|remove", re.I),
    "intermediate": re.compile(r"bounce|retry|remove", re.I),
}
# A finding that is no delivery failure is neither kind of bounce.
NOT_A_BOUNCE = re.compile(r"hard bounce|soft bounce|remove (it|the address)", re.I)


def check(finding: Finding, klass: str) -> None:
    where = f"{finding.reason} / {klass}"
    assert finding.klass == klass, where
    if klass == "transient" and get_rules().reasons[finding.reason].final:
        # Given up (expired): the sender will not retry, whatever the last reply's class.
        klass = "permanent"
    texts = f"{finding.summary} {finding.advice}"
    bad = FORBIDDEN[klass].search(texts)
    assert bad is None, f"{where}: {bad.group(0)!r} in {texts!r}"
    if klass in ("success", "intermediate"):
        assert finding.hard_bounce is None and finding.retry is None, where
        return
    reason = get_rules().reasons[finding.reason]
    if finding.hard_bounce is None:
        # Not a delivery failure: says so, and no retry of a delivery is involved.
        assert finding.retry is None, where
        assert finding.summary is not None and finding.summary.startswith("Not a bounce"), where
        assert NOT_A_BOUNCE.search(texts) is None, where
        return
    if klass == "transient":
        assert finding.hard_bounce is False, where
        assert finding.retry is True, where
        assert finding.summary is not None and "Temporary failure" in finding.summary, where
    else:
        assert finding.retry is False, where
        assert finding.hard_bounce is (reason.bounce == "hard"), where
        kind = "Hard bounce" if finding.hard_bounce else "Soft bounce"
        assert finding.summary is not None and kind in finding.summary, where


def example_text(reason: str) -> str:
    """A real reply text the rules read as `reason`, its leading codes removed."""
    for ex in EXAMPLES:
        if ex["reason"] == reason and not ex.get("host"):
            return re.sub(r"^\s*[2-5]\d\d(?:[ -][245]\.\d{1,3}\.\d{1,3})?[ -]?", "", ex["text"])
    return f"reply for {reason}"


@pytest.mark.parametrize("klass", sorted(CLASSES))
@pytest.mark.parametrize("reason", REASON_NAMES)
def test_reason_in_class_through_diagnosis(reason: str, klass: str) -> None:
    """Each reason's real wording under a code of each class."""
    basic = CLASSES[klass]
    text = f"{basic} {example_text(reason)}"
    finding = Diagnoser().diagnose(Reply(basic=basic, enhanced=None, text=text))
    check(finding, klass)


@pytest.mark.parametrize("klass", sorted(CLASSES))
@pytest.mark.parametrize("reason", REASON_NAMES)
def test_every_reason_in_every_class(reason: str, klass: str) -> None:
    """conclude() for every reason and class, with and without a provider's advice."""
    diagnoser = Diagnoser()
    rules = diagnoser.rules
    for provider in (None, *rules.providers):
        hard, retry, advice, summary = diagnoser.conclude(
            rules.reasons[reason], klass, None, provider
        )
        finding = Finding(
            reply=Reply(basic=CLASSES[klass], enhanced=None, text="x"),
            klass=klass,
            reason=reason,
            provider=provider,
            hard_bounce=hard,
            retry=retry,
            basic_entry=None,
            enhanced_entry=None,
            advice=advice,
            summary=summary,
        )
        check(finding, klass)


def test_expired_is_not_retried_whatever_its_code() -> None:
    # A DSN's final 4.4.7: the sending server has already given up.
    finding = Diagnoser().diagnose(
        Reply(basic=None, enhanced="4.4.7", text="Delivery expired (message too old)")
    )
    assert (finding.reason, finding.retry, finding.hard_bounce) == ("expired", False, False)


def test_login_failure_is_not_a_bounce() -> None:
    finding = Diagnoser().diagnose(
        Reply(basic="535", enhanced="5.7.8", text="535 5.7.8 Authentication credentials invalid")
    )
    assert finding.reason == "auth-credentials"
    assert (finding.hard_bounce, finding.retry) == (None, None)
    assert finding.summary == (
        "Not a bounce: SMTP authentication is required or failed (the receiving server "
        "rejected the login). Check user name, password and mechanism; authenticate over TLS."
    )


def test_malformed_recipient_address_is_a_hard_bounce() -> None:
    # A syntax error is no bounce, but 5.1.3 says the recipient's address is malformed.
    diagnoser = Diagnoser()
    text = "553 5.1.3 The recipient address <x> is not a valid RFC-5321 address."
    finding = diagnoser.diagnose(Reply(basic="553", enhanced="5.1.3", text=text))
    assert (finding.reason, finding.hard_bounce, finding.retry) == ("syntax", True, False)
    command = diagnoser.diagnose(
        Reply(basic="500", enhanced="5.5.2", text="500 5.5.2 Syntax error")
    )
    assert (command.reason, command.hard_bounce, command.retry) == ("syntax", None, None)


def test_permanent_mailbox_full_is_soft_and_not_retried() -> None:
    finding = Diagnoser().diagnose(
        Reply(basic="552", enhanced="5.2.2", text="552 5.2.2 Mailbox full")
    )
    assert (finding.hard_bounce, finding.retry) == (False, False)
    assert finding.summary == (
        "The receiving server rejected the recipient: the mailbox is full. Soft bounce: send "
        "it again once the recipient has freed space; if it lasts for weeks, treat the "
        "address as inactive."
    )


def test_tls_negotiation_of_the_session_is_not_a_bounce() -> None:
    finding = Diagnoser().diagnose(
        Reply(basic="454", enhanced="4.7.0", text="454 4.7.0 TLS not available", command="STARTTLS")
    )
    assert finding.reason == "tls-required"
    assert (finding.hard_bounce, finding.retry) == (None, None)


@pytest.mark.parametrize("reason", REASON_NAMES)
def test_inbound_advice_is_for_the_local_admin(reason: str) -> None:
    """A server's own refusal of a client: advice for its admin, no provider named."""
    diagnoser = Diagnoser()
    if reason in ("success", "intermediate"):
        return
    _, _, advice, summary = diagnoser.conclude(
        diagnoser.rules.reasons[reason], "permanent", None, None, "RCPT", "inbound"
    )
    assert summary.startswith("This server rejected the recipient of a client: ")
    assert "For this server's admin: " in summary
    assert advice == diagnoser.rules.reasons[reason].inbound_advice
    assert "your list" not in advice


def test_a_refusal_of_the_connection_is_a_block() -> None:
    # Exim's "SMTP error from remote mail server after initial connection: 550 Access
    # denied" (tests/data/bounces/lhost-exim-35.eml): who connects is refused.
    reply = Reply(basic="550", enhanced=None, text="550 Access denied", command="CONNECT")
    assert Diagnoser().diagnose(reply).reason == "blocked"
    assert Diagnoser().diagnose(
        Reply(basic="550", enhanced=None, text="550 Access denied")
    ).reason == ("policy")


def test_a_malformed_sender_address_is_not_a_bad_recipient() -> None:
    # 5.1.3 at MAIL FROM is about the sender's address: no bounce of the recipient.
    diagnoser = Diagnoser()
    text = "553 5.1.3 Invalid address syntax"
    at_mail = diagnoser.diagnose(Reply(basic="553", enhanced="5.1.3", text=text, command="MAIL"))
    assert (at_mail.reason, at_mail.hard_bounce, at_mail.retry) == ("syntax", None, None)
    at_rcpt = diagnoser.diagnose(Reply(basic="553", enhanced="5.1.3", text=text, command="RCPT"))
    assert (at_rcpt.reason, at_rcpt.hard_bounce, at_rcpt.retry) == ("syntax", True, False)
