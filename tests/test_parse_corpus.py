"""`parse` measured on real material no one here wrote.

- tests/data/bounces: bounce messages of many MTAs and providers, with the recipients,
  statuses and reply codes that a mature bounce analyser (Sisimai) extracts. The
  agreement reached is pinned: a change that loses any of it fails.
- tests/data/mta: sessions, logs, DSNs and notices produced by real Postfix, Exim and
  aiosmtpd servers, with the codes each file holds (MANIFEST.jsonl).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from smtpcode.extract import scan
from smtpcode.records import Reply

DATA = Path(__file__).parent / "data"
BOUNCES = DATA / "bounces"
MTA = DATA / "mta"

# An X.0.9NN status is not in the message: the analyser invents it when a bounce has none.
PLACEHOLDER = re.compile(r"\d\.0\.9\d\d")
# Reports that are not bounces: abuse feedback (ARF), auto-replies (RFC 3834) and an SES
# complaint. They report no delivery, so parse finds no reply in them, while the analyser
# lists their subject as a "recipient".
NOT_BOUNCES = {
    *(f"arf-{n:02d}.eml" for n in (1, 11, 14, 16, 18, 20, 25)),
    "rfc3834-01.eml",
    "rfc3834-03.eml",
    "rfc3834-05.eml",
    "lhost-amazonses-11.eml",
}


def replies(path: Path) -> list[Reply]:
    with path.open("rb") as stream:
        return list(scan(stream, path.name))


@dataclass
class Agreement:
    files: int = 0
    count_ok: int = 0
    status_ok: int = 0
    status_total: int = 0
    reply_ok: int = 0
    reply_total: int = 0


def expected_bounces() -> list[dict[str, object]]:
    lines = (BOUNCES / "expected.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


@cache
def bounce_agreement() -> tuple[Agreement, tuple[str, ...]]:
    """Per file: same number of recipients; per recipient, in order: same enhanced
    status (placeholders left out) and same reply code."""
    a = Agreement()
    count_misses = []
    for item in expected_bounces():
        name = str(item["file"])
        found = replies(BOUNCES / name)
        expected = item["recipients"]
        assert isinstance(expected, list)
        a.files += 1
        if len(found) == len(expected):
            a.count_ok += 1
        else:
            count_misses.append(name)
        for i, rcpt in enumerate(expected):
            got = found[i] if i < len(found) else None
            status = rcpt["status"]
            if status and not PLACEHOLDER.fullmatch(status):
                a.status_total += 1
                a.status_ok += got is not None and got.enhanced == status
            if rcpt["replycode"]:
                a.reply_total += 1
                a.reply_ok += got is not None and got.basic == rcpt["replycode"]
    return a, tuple(count_misses)


def test_bounce_recipient_counts_agree() -> None:
    a, misses = bounce_agreement()
    assert a.files == 256
    # 244/256 (95.3 %); all the others but one are the reports that are no bounces.
    assert a.count_ok >= 244, misses
    assert set(misses) - NOT_BOUNCES <= {"lhost-fml-02.eml"}


def test_bounce_enhanced_status_agrees() -> None:
    a, _ = bounce_agreement()
    assert a.status_total == 189
    assert a.status_ok >= 187  # 98.9 %


def test_bounce_reply_code_agrees() -> None:
    a, _ = bounce_agreement()
    assert a.reply_total == 173
    assert a.reply_ok >= 169  # 97.7 %


def test_non_bounce_reports_yield_nothing() -> None:
    for name in NOT_BOUNCES:
        assert replies(BOUNCES / name) == [], name


def test_bounce_recipients_come_in_the_bounces_order() -> None:
    found = replies(BOUNCES / "lhost-v5sendmail-05.eml")
    assert [r.recipient for r in found] == [
        "kijitora@example.edu",
        "kuroneko@example.or.jp",
        "kijitora@example.org",
        "mikeneko@example.co.jp",
    ]
    found = replies(BOUNCES / "rhost-aol-03.eml")
    assert [(r.basic, r.enhanced) for r in found] == [("550", "5.2.2"), ("550", "5.1.1")]


# -- the MTA corpus ------------------------------------------------------------------


def manifest() -> list[dict[str, object]]:
    lines = (MTA / "MANIFEST.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def expected_codes(item: dict[str, object]) -> tuple[set[str], set[str]]:
    """The basic and the enhanced codes a file holds, as parse should report them.

    Postfix's "errors from" notices quote a whole session; as a notice of failure, parse
    reports the failed replies in it (4xx, 5xx) only.
    """
    codes = item["codes"]
    assert isinstance(codes, list)
    if "smtpd_errors" in str(item["path"]):
        codes = [c for c in codes if c["basic"] is None or c["basic"][0] in "45"]
    return {c["basic"] for c in codes if c["basic"]}, {
        c["enhanced"] for c in codes if c["enhanced"]
    }


def found_codes(path: Path) -> tuple[set[str], set[str]]:
    found = replies(path)
    return {r.basic for r in found if r.basic}, {r.enhanced for r in found if r.enhanced}


@pytest.mark.parametrize("item", manifest(), ids=lambda item: str(item["path"]))
def test_mta_corpus_codes_match_the_manifest(item: dict[str, object]) -> None:
    basic, enhanced = expected_codes(item)
    got_basic, got_enhanced = found_codes(MTA / str(item["path"]))
    assert got_basic == basic
    # A DSN's generic Status (X.0.0) gives way to the enhanced code the remote server's
    # own reply carries: the finding reports the more specific one.
    superseded = {e for e in enhanced - got_enhanced if e.endswith(".0.0") and got_enhanced}
    assert got_enhanced == enhanced - superseded


def test_mta_corpus_is_whole() -> None:
    assert len(manifest()) == 346


def test_postfix_log_attempts() -> None:
    found = replies(MTA / "logs" / "postfix.log")
    first = found[0]
    assert (first.line, first.basic, first.enhanced, first.recipient, first.command) == (
        6,
        "550",
        "5.1.1",
        "user-unknown@remote.test",
        "RCPT",
    )
    # Postfix flattened the three-line reply; it is split back into its lines.
    assert first.text == (
        "550-5.1.1 The email account that you tried to reach does not exist.\n"
        "550-5.1.1 Please check the recipient address for typos or\n"
        "550 5.1.1 unnecessary spaces and try again."
    )
    assert (first.reporter, first.remote_host) == ("postfix", "127.0.0.1")
    # A dsn= without a remote reply: the enhanced code alone, with Postfix's words.
    nxdomain = next(r for r in found if r.recipient == "nobody@nxdomain.test")
    assert (nxdomain.basic, nxdomain.enhanced) == (None, "5.4.4")
    assert nxdomain.text is not None and nxdomain.text.startswith("Host or domain name not found")
    # The server's own refusals.
    relay = next(r for r in found if r.text and "Relay access denied" in r.text)
    assert (relay.basic, relay.enhanced, relay.recipient, relay.command) == (
        "554",
        "5.7.1",
        "someone@example.com",
        "RCPT",
    )


def test_exim_log_attempts() -> None:
    found = replies(MTA / "logs" / "exim-mainlog")
    first = found[0]
    assert (first.basic, first.enhanced, first.recipient, first.command, first.reporter) == (
        "550",
        "5.1.1",
        "user-unknown@remote.test",
        "RCPT",
        "exim",
    )
    assert first.text is not None and first.text.count("\n") == 2  # Exim's "\n" restored
    auth = [r for r in found if r.command == "AUTH"]
    assert auth and auth[0].text == "535 Incorrect authentication data"


def test_swaks_transcript_carries_commands_and_recipients() -> None:
    found = replies(MTA / "transcripts" / "aiosmtpd_dmarc_reject.txt")
    assert [(r.basic, r.command) for r in found] == [
        ("220", None),
        ("250", "EHLO"),
        ("250", "MAIL"),
        ("250", "RCPT"),
        ("354", "DATA"),
        ("550", "DATA"),
        ("221", "QUIT"),
    ]
    reject = found[5]
    assert (reject.line, reject.enhanced, reject.recipient) == (27, "5.7.26", "dmarc@remote.test")
    assert reject.text is not None and reject.text.splitlines()[-1].startswith("550 5.7.26 ")


def test_smtplib_exception_renderings_are_one_reply() -> None:
    # repr(e), str(e) and the traceback's last line: one failure, reported once.
    found = replies(MTA / "smtplib" / "aiosmtpd_recipients_refused_multiline.txt")
    assert len(found) == 1
    r = found[0]
    assert (r.basic, r.enhanced, r.recipient, r.command) == (
        "550",
        "5.1.1",
        "user-unknown@remote.test",
        "RCPT",
    )
    # smtplib drops the codes from the lines; the reply as received has them.
    assert r.text == (
        "550-5.1.1 The email account that you tried to reach does not exist.\n"
        "550-5.1.1 Please check the recipient address for typos or\n"
        "550 5.1.1 unnecessary spaces and try again."
    )


def test_smtplib_debug_output_is_read_once() -> None:
    # "reply: b'...'" lines make the replies; "reply: retcode ...; Msg:" repeats them.
    found = replies(MTA / "smtplib_debug" / "aiosmtpd_data_error_dmarc.txt")
    assert [r.basic for r in found] == ["220", "250", "250", "250", "354", "550", "250", "221"]
    assert found[5].command == "DATA" and found[5].enhanced == "5.7.26"
