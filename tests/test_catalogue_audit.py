"""The catalogue's claims are checkable: RFC citations have one form and name known RFCs,
every vendor claim refers to a vendor note saying which software and version it holds for,
and a basic code and its enhanced partner state the RFC's shared fact alike."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from smtpcode.browse import search
from smtpcode.catalogue import get_catalogue

ROOT = Path(__file__).resolve().parent.parent
RAW: dict[str, Any] = yaml.safe_load((ROOT / "codes.yaml").read_text(encoding="utf-8"))
META = RAW["meta"]
ALL = RAW["basic"] + RAW["enhanced"] + META["enhanced_classes"] + META["subjects"]
BY_CODE = {str(e["code"]): e for e in ALL}

# The RFCs the catalogue may cite, each with what it is (a misspelt number, such as 3886
# for 3885, then fails unless it is a real RFC on the list).
KNOWN_RFCS = {
    876: "Survey of SMTP implementations (1983)",
    1845: "SMTP checkpoint/restart (experimental)",
    1846: "SMTP 521 reply code (experimental)",
    1870: "SIZE",
    1985: "ETRN",
    2034: "ENHANCEDSTATUSCODES",
    2645: "ODMR / ATRN",
    3030: "CHUNKING and BINARYMIME",
    3207: "STARTTLS",
    3463: "Enhanced status codes",
    3464: "Delivery status notifications",
    3885: "Message tracking (MTRK)",
    3886: "Message tracking responses",
    4468: "BURL",
    4954: "AUTH",
    5248: "Enhanced status code registry",
    5321: "SMTP",
    5322: "Internet message format",
    6152: "8BITMIME",
    6376: "DKIM",
    6531: "SMTPUTF8",
    6710: "MT-PRIORITY",
    7208: "SPF",
    7293: "RRVS",
    7372: "Email authentication status codes",
    7489: "DMARC",
    7504: "SMTP 521 and 556",
    7505: "Null MX",
    7601: "Authentication-Results",
    8058: "One-click unsubscribe",
    8301: "DKIM cryptographic algorithm update",
    8617: "ARC",
    8689: "REQUIRETLS",
}
CITATION = re.compile(r"RFC (\d+)(?: §(\d+(?:\.\d+)*))?|IANA registry (X\.\d+\.\d+)")

# Products an entry may name only with a vendor note about them (note id = the family, or
# the family followed by "-topic").
FAMILIES = {
    "postfix": r"Postfix|postgrey",
    "exim": r"Exim",
    "sendmail": r"Sendmail",
    "microsoft": r"Microsoft|Exchange|Outlook|Office 365|Hotmail|office365",
    "google": r"Gmail|Google",
    "yahoo": r"Yahoo|AOL",
    "dovecot": r"Dovecot",
    "swaks": r"swaks",
    "aiosmtpd": r"aiosmtpd",
    "spamhaus": r"Spamhaus",
    "cisco": r"Cisco|IronPort",
    "rspamd": r"rspamd|amavis|clamd",
    "cyrus": r"Cyrus",
    "zoho": r"Zoho",
    "qmail": r"qmail",
    "amazon": r"Amazon|\bSES\b",
    "tonline": r"T-Online",
    "iis": r"\bIIS\b",
    "groupwise": r"GroupWise",
    "gordano": r"Gordano|\bGMS\b",
    "phpmailer": r"PHPMailer",
    "milter-greylist": r"milter-greylist",
    "stalwart": r"Stalwart",
}


def _texts(entry: dict[str, Any]) -> str:
    parts = [entry["title"], entry["description"], entry["when"], *entry["fix"]]
    parts.append(entry.get("retry", ""))
    for override in (entry.get("by_class") or {}).values():
        parts += [override.get("when", ""), *override.get("fix", [])]
    return " ".join(parts)


@pytest.mark.parametrize("entry", ALL, ids=[str(e["code"]) for e in ALL])
def test_citations_have_one_form_and_name_known_rfcs(entry: dict[str, Any]) -> None:
    for ref in entry.get("rfcs", []):
        found = CITATION.fullmatch(ref)
        assert found, f"{entry['code']}: {ref!r} is not RFC N, RFC N §x.y or IANA registry X.s.d"
        if found.group(1):
            assert int(found.group(1)) in KNOWN_RFCS, f"{entry['code']}: unknown {ref}"
        else:
            assert found.group(3) in BY_CODE, f"{entry['code']}: {ref} names no registry code"


def test_vendor_claims_refer_to_notes_that_say_for_what() -> None:
    notes = RAW["vendor_notes"]
    for note_id, note in notes.items():
        assert note["software"].strip() and note["holds"].strip(), note_id
        assert re.search(r"\d", note["holds"]), f"{note_id}: no version or date"
    used: set[str] = set()
    for entry in ALL:
        cited = entry.get("notes", [])
        used.update(cited)
        assert set(cited) <= set(notes), f"{entry['code']}: unknown notes {set(cited) - set(notes)}"
        text = _texts(entry)
        for family, pattern in FAMILIES.items():
            if re.search(pattern, text):
                assert any(n == family or n.startswith(family + "-") for n in cited), (
                    f"{entry['code']} names {family} without a vendor note about it"
                )
    assert used == set(notes), f"notes no entry uses: {set(notes) - used}"


def test_entries_carry_their_notes() -> None:
    cat = get_catalogue()
    entry = cat.basic("502")
    assert entry is not None
    assert [n.id for n in cat.notes(entry)] == ["postfix", "postfix-unknown-command"]
    (note,) = [n for n in cat.notes(entry) if n.id == "postfix-unknown-command"]
    assert note.software == "Postfix" and "3.7" in note.holds


# Basic code, enhanced code, the RFC section that pairs them (None where only the registry
# does), and words both entries must use for the shared fact.
PAIRS = [
    ("432", "X.7.12", "RFC 4954 §6", ("transition", "mechanism")),
    ("422", "X.7.12", None, ("transition", "mechanism")),
    ("538", "X.7.11", "RFC 4954 §6", ("historical purposes only",)),
    ("534", "X.7.9", "RFC 4954 §6", ()),
    ("535", "X.7.8", "RFC 4954 §6", ()),
    ("500", "X.5.6", "RFC 4954 §6", ()),
    ("554", "X.6.9", "RFC 6531 §3.5", ("after", "data")),
    ("553", "X.6.7", "RFC 6531 §3.5", ("non-ASCII",)),
    ("556", "X.1.10", "RFC 7505", ("null MX",)),
]


@pytest.mark.parametrize(("basic", "enhanced", "section", "facts"), PAIRS)
def test_partners_state_the_shared_fact_alike(
    basic: str, enhanced: str, section: str | None, facts: tuple[str, ...]
) -> None:
    b, e = BY_CODE[basic], BY_CODE[enhanced]
    own = basic[0] + enhanced[1:]  # X.7.12 beside 432 is 4.7.12
    # Each names the other, as the RFC pairs them.
    assert own in b["description"], (basic, own)
    assert basic in e["description"], (enhanced, basic)
    for fact in facts:
        for entry in (b, e):
            assert fact.lower() in entry["description"].lower(), (entry["code"], fact)
    if section is None:
        return
    assert section in b["rfcs"] and section in e["rfcs"], (basic, enhanced, section)
    # Where the enhanced entry says which reply an RFC uses it with, it is this one.
    said = re.findall(
        rf"RFC \d+(?: §[\d.]+)? (?:uses|pairs it with reply) (\d{{3}}) {re.escape(own)}",
        e["description"],
    )
    assert set(said) <= {basic}, (enhanced, said)


def test_no_password_change_for_a_mechanism_transition() -> None:
    for code in ("422", "432", "X.7.12"):
        assert "password change" not in _texts(BY_CODE[code]).lower(), code


def test_connection_time_refusals_are_554() -> None:
    # RFC 5321 §3.1 and §4.3.2: the only refusal in place of the greeting is 554 (421 aside).
    for entry in RAW["basic"]:
        if entry["code"] in ("554", "421", "521", "101", "111", "441"):
            continue
        assert not re.search(r"\bat connect\b", _texts(entry), re.IGNORECASE), entry["code"]
        if entry["class"] in ("transient", "permanent") and entry["status"] == "standard":
            assert "CONNECT" not in entry.get("commands", []), entry["code"]


RFC_5321_TEXTS = {
    "550": "Requested action not taken: mailbox unavailable",
    "450": "Requested mail action not taken: mailbox unavailable",
    "553": "Requested action not taken: mailbox name not allowed",
    "452": "Requested action not taken: insufficient system storage",
    "552": "Requested mail action aborted: exceeded storage allocation",
    "451": "Requested action aborted: local error in processing",
    "354": "Start mail input; end with <CRLF>.<CRLF>",
}


@pytest.mark.parametrize(("code", "text"), sorted(RFC_5321_TEXTS.items()))
def test_the_rfc_reply_text_finds_its_code_first(code: str, text: str) -> None:
    entry = get_catalogue().basic(code)
    assert entry is not None and text in entry.rfc_text
    assert search(text).entries[0].code == code


VENDORS = "|".join(FAMILIES.values())


@pytest.mark.parametrize("entry", ALL, ids=[str(e["code"]) for e in ALL])
def test_descriptions_of_defined_codes_hold_no_vendor_asides(entry: dict[str, Any]) -> None:
    # The description says what the RFCs and the registry define; how a product uses the
    # code belongs in "when", where a vendor note backs it.
    if entry["status"] in ("standard", "extension", "registry"):
        assert not re.search(VENDORS, entry["description"]), entry["code"]
