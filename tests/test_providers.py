"""The provider layer (providers/*.yaml): its schema, and explain, diagnosis, list and
search answering with the providers' own meanings."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from smtpcode.catalogue import CatalogueError, get_catalogue
from smtpcode.codes import CLASS_BY_DIGIT, parse_query
from smtpcode.diagnose import REASON_NAMES, diagnose
from smtpcode.provider_codes import (
    ACTOR_LABELS,
    EMITTERS,
    RETRIES,
    ProviderLayer,
    get_layer,
    load_provider,
)
from smtpcode.records import Reply

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "providers").glob("*.yaml"))
RAW: dict[str, dict[str, Any]] = {
    p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in FILES
}
ENTRIES = [(name, e) for name, data in RAW.items() for e in data["codes"]]
RULES = yaml.safe_load((ROOT / "rules.yaml").read_text(encoding="utf-8"))
REPLIES = yaml.safe_load(
    (Path(__file__).parent / "data" / "providers" / "replies.yaml").read_text()
)

REQUIRED = ("class", "title", "description", "when", "fix", "retry", "reason")
CODE = re.compile(r"[245]\d\d|[245]\.\d{1,3}\.\d{1,3}")

# The codes the issue names as "undefined" today: each must explain as Microsoft's.
MICROSOFT_CODES = (
    *("5.7.606", "5.7.57", "5.7.139", "5.7.509", "5.7.708", "5.7.750", "4.7.500"),
    *("4.7.650", "5.2.121", "5.2.122", "5.7.133", "4.4.316", "5.7.134", "5.7.135"),
    *("5.7.136", "5.6.211", "5.4.14", "5.7.700", "5.7.749", "5.7.649", "4.7.699"),
    *("5.7.350", "5.4.300", "5.6.11"),
)
# Tokens the issue and its follow-ups name, with their provider.
TOKENS = {
    "BareLinefeedsAreIllegal": "microsoft",
    "RESOLVER.ADR.RecipientNotFound": "microsoft",
    "QuotaExceededException": "microsoft",
    "TSS04": "yahoo",
    "TSS09": "yahoo",
    "TSS11": "yahoo",
    "TS01": "yahoo",
    "TS02": "yahoo",
    "TS03": "yahoo",
    "TS04": "yahoo",
    "PH01": "yahoo",
    "HM08": "yahoo",
    "HM01": "yahoo",
    "[BL21]": "yahoo",
    "RLY:B1": "yahoo",
    "CS01": "apple",
    "CS02": "apple",
    "RL000001": "comcast",
    "BL000000": "comcast",
    "AUP#1310": "spectrum",
    "AUP#I-1010": "spectrum",
    "AUP#CXBL": "cox",
    "OFR_999": "orange",
    "OFR004_405": "orange",
    "OFR_416": "orange",
    "LPN007_102": "laposte",
    "cuda_nsu": "barracuda",
    "DT:SPM": "netease",
    "HL:REP": "netease",
    "realip.naver.com": "naver",
    "?p=NoSuchUser": "google",
    "gcdp": "google",
    "c=rdns": "gmx",
    "Rejected by header based Anti-Spoofing policy": "mimecast",
    "ipcheck.proofpoint.com": "proofpoint",
    "sending MTA's poor reputation": "cisco",
    "Email flagged as Spam": "zoho",
    "Message rejected under suspicion of SPAM": "yandex",
    "spam message rejected": "mailru",
    "Mail content denied": "qq",
    "LPN416": "laposte",
}


def _ids(entries: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [f"{name}:{e.get('code') or e.get('token')}" for name, e in entries]


# -- schema --------------------------------------------------------------------------------


def test_every_provider_has_an_explained_token() -> None:
    """The token list below reaches every provider with tokens."""
    with_tokens = {name[:-5] for name, e in ENTRIES if "token" in e}
    assert with_tokens <= set(TOKENS.values())


def test_every_file_loads_and_ids_are_unique() -> None:
    ids = [data["id"] for data in RAW.values()]
    assert len(ids) == len(set(ids)) == len(FILES) >= 20
    for path in FILES:
        assert RAW[path.name]["id"] == path.stem
    layer = get_layer()
    assert sorted(layer.providers) == sorted(ids)


def test_providers_are_the_rules_providers() -> None:
    """A provider of the layer is one diagnosis can name (rules.yaml `providers:`)."""
    assert set(RAW[p.name]["id"] for p in FILES) <= set(RULES["providers"])


@pytest.mark.parametrize(("name", "entry"), ENTRIES, ids=_ids(ENTRIES))
def test_entry_is_complete(name: str, entry: dict[str, Any]) -> None:
    assert ("code" in entry) != ("token" in entry), "exactly one of code and token"
    for field in REQUIRED:
        assert entry.get(field), f"{field} is missing or empty"
    assert entry["retry"] in RETRIES
    assert entry["reason"] in REASON_NAMES
    assert entry.get("emits", RAW[name]["emits"]) in EMITTERS
    assert isinstance(entry["fix"], list)
    for step in entry["fix"]:
        assert step.split(":", 1)[0] in ACTOR_LABELS, step
    for url in entry.get("help", []) + RAW[name]["help"]:
        assert re.fullmatch(r"https://[\w.-]+\.[a-z]{2,}(/\S*)?", url), url


@pytest.mark.parametrize(("name", "entry"), ENTRIES, ids=_ids(ENTRIES))
def test_class_agrees_with_the_code_digits(name: str, entry: dict[str, Any]) -> None:
    codes = [entry.get("code"), entry.get("through"), *entry.get("basic", [])]
    codes += entry.get("enhanced", [])
    for code in filter(None, codes):
        assert CODE.fullmatch(str(code)), code
        assert CLASS_BY_DIGIT[str(code)[0]] == entry["class"], code


@pytest.mark.parametrize(("name", "entry"), ENTRIES, ids=_ids(ENTRIES))
def test_registry_flag_is_only_for_registry_codes(name: str, entry: dict[str, Any]) -> None:
    """`registry_differs` marks a registry code used in another sense; a code the registry
    does not define cannot differ from it."""
    if entry.get("registry_differs"):
        assert "code" in entry
        assert get_catalogue().entry_for(str(entry["code"])) is not None


def test_codes_and_tokens_are_unique_across_the_layer() -> None:
    seen: dict[str, str] = {}
    for name, entry in ENTRIES:
        for key in (entry.get("token"), *entry.get("aliases", [])):
            if key:
                assert key.lower() not in seen, f"{key} in {name} and {seen[key.lower()]}"
                seen[key.lower()] = name


def test_schema_rejects_unknown_keys_naming_file_and_key() -> None:
    data = dict(RAW["yahoo.yaml"])
    data["codes"] = [dict(data["codes"][0], colour="red")]
    with pytest.raises(CatalogueError, match=r"yahoo\.yaml: codes\[0\].*unknown key 'colour'"):
        load_provider(data, "yahoo.yaml")
    with pytest.raises(CatalogueError, match=r"yahoo\.yaml: unknown key 'hosts'"):
        load_provider({**RAW["yahoo.yaml"], "hosts": ["yahoo.com"]}, "yahoo.yaml")


def test_schema_requires_fields_and_consistent_classes() -> None:
    entry = dict(RAW["microsoft.yaml"]["codes"][0])
    del entry["when"]
    with pytest.raises(CatalogueError, match=r"required key 'when' is missing"):
        load_provider({**RAW["microsoft.yaml"], "codes": [entry]}, "microsoft.yaml")
    wrong = dict(RAW["microsoft.yaml"]["codes"][0], basic=["550"])  # 4.4.7 with a 5yz
    with pytest.raises(CatalogueError, match=r"550 does not belong to class transient"):
        load_provider({**RAW["microsoft.yaml"], "codes": [wrong]}, "microsoft.yaml")
    bad_reason = dict(RAW["microsoft.yaml"]["codes"][0], reason="slow")
    with pytest.raises(CatalogueError, match=r"reason 'slow' is not one of success, "):
        load_provider({**RAW["microsoft.yaml"], "codes": [bad_reason]}, "microsoft.yaml")
    bad_fix = dict(RAW["microsoft.yaml"]["codes"][0], fix=["restart the server"])
    with pytest.raises(CatalogueError, match=r"does not open with who acts"):
        load_provider({**RAW["microsoft.yaml"], "codes": [bad_fix]}, "microsoft.yaml")


def test_a_token_of_two_providers_is_refused() -> None:
    yahoo = load_provider(RAW["yahoo.yaml"], "yahoo.yaml")
    clash = dict(RAW["apple.yaml"], codes=[dict(RAW["apple.yaml"]["codes"][0], token="TSS04")])
    with pytest.raises(CatalogueError, match="TSS04"):
        ProviderLayer([yahoo, load_provider(clash, "apple.yaml")])


# -- explain -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", MICROSOFT_CODES)
def test_microsoft_codes_explain_as_microsofts(run, code: str) -> None:
    status, out, err = run("explain", "--json", code)
    assert (status, err) == (0, "")
    meaning = json.loads(out)["meaning"]
    assert meaning["vendor"]["status"] == "vendor"
    assert meaning["vendor"]["provider"] == "microsoft"
    assert meaning["vendor"]["help"][0].startswith("https://")
    # A code only Microsoft defines: its meaning is Microsoft's, not "undefined".
    assert meaning["enhanced"] == meaning["vendor"]
    assert meaning["enhanced"]["code"] == code
    assert json.loads(out)["undefined"] == []


def test_plain_explain_names_the_provider(run) -> None:
    status, out, err = run("explain", "5.7.606")
    assert (status, err) == (0, "")
    assert out.splitlines()[0] == (
        "5.7.606  Access denied, banned sending IP  (vendor: Microsoft 365 / Outlook.com)"
    )
    assert "  Provider: Microsoft 365 / Outlook.com; written by the receiving system" in out
    assert "  Retry: not unchanged: retry once the cause is fixed" in out
    assert "did you mean" not in out + err


def test_sender_side_ndr_says_who_wrote_it(run) -> None:
    status, out, _ = run("explain", "BareLinefeedsAreIllegal")
    assert status == 0
    assert "written by the sender's own mail system (not the recipient's)" in out
    assert "5.6.11" in out


@pytest.mark.parametrize(("token", "provider"), sorted(TOKENS.items()))
def test_tokens_explain_with_their_provider(run, token: str, provider: str) -> None:
    status, out, err = run("explain", "--json", token)
    assert (status, err) == (0, "")
    finding = json.loads(out)
    assert finding["provider"] == provider
    assert finding["meaning"]["vendor"]["provider"] == provider
    assert finding["meaning"]["vendor"]["status"] == "vendor"


def test_yahoo_ts03_says_not_to_retry(run) -> None:
    _, out, _ = run("explain", "--json", "TS03")
    vendor = json.loads(out)["meaning"]["vendor"]
    assert (vendor["class"], vendor["retry"]) == ("transient", "no")


# Registry codes Microsoft uses in its own sense: (code, registry title, Microsoft's title).
USED_OTHERWISE = [
    ("5.1.8", "Bad sender's system address", "Access denied, bad outbound sender"),
    ("5.1.10", "Recipient address has null MX", "Recipient not found (Exchange directory lookup)"),
    (
        "5.4.1",
        "No answer from host",
        "Recipient address rejected, access denied (directory-based edge blocking)",
    ),
]


@pytest.mark.parametrize(("code", "registry_title", "vendor_title"), USED_OTHERWISE)
def test_registry_code_used_otherwise_shows_both(run, code, registry_title, vendor_title) -> None:
    status, out, err = run("explain", "--json", code)
    assert (status, err) == (0, "")
    meaning = json.loads(out)["meaning"]
    registry = get_catalogue().entry_for(code)
    assert registry is not None
    assert (meaning["enhanced"]["title"], meaning["enhanced"]["status"]) == (
        registry_title,
        registry.status,
    )
    assert meaning["vendor"]["title"] == vendor_title
    assert meaning["vendor"]["registry_differs"] is True
    _, plain, _ = run("explain", code)
    headings = [line for line in plain.splitlines() if line.startswith(code + "  ")]
    assert headings == [
        f"{code}  {registry_title}  ({meaning['enhanced']['status']})",
        f"{code}  {vendor_title}  (vendor: Microsoft 365 / Outlook.com)",
    ]


def test_registry_code_used_alike_shows_the_registry_alone(run) -> None:
    """Gmail uses 5.7.26 as the registry does: a bare 5.7.26 stays the registry's."""
    _, out, _ = run("explain", "--json", "5.7.26")
    assert json.loads(out)["meaning"]["vendor"] is None


def test_full_reply_with_a_provider_code_is_not_undefined(run) -> None:
    reply = REPLIES[0]["reply"]
    status, out, err = run("explain", reply)
    assert (status, err) == (0, "")
    assert "Provider: microsoft" in out


# -- diagnosis: the evidence chooses ----------------------------------------------------------


def _finding(text: str, host: str | None = None):  # type: ignore[no-untyped-def]
    q = parse_query(text)
    basic = q.basic.code if q.basic else None
    enhanced = str(q.enhanced) if q.enhanced else None
    return diagnose(Reply(basic, enhanced, q.text, remote_host=host))


@pytest.mark.parametrize("case", REPLIES, ids=[str(c["vendor"]) for c in REPLIES])
def test_real_replies_take_the_providers_meaning(case: dict[str, Any]) -> None:
    finding = _finding(case["reply"], case.get("host"))
    assert finding.vendor_entry is not None
    assert (finding.vendor_entry.code, finding.provider) == (str(case["vendor"]), case["provider"])
    if "reason" in case:
        assert finding.reason == case["reason"]
    assert finding.undefined == ()
    assert finding.to_dict()["meaning"]["vendor"]["code"] == str(case["vendor"])  # type: ignore[index]


def test_token_decides_over_the_registry_meaning() -> None:
    finding = _finding(
        "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"
    )
    assert finding.vendor_entry is not None
    assert finding.vendor_entry.code == "RESOLVER.ADR.RecipientNotFound"
    assert finding.enhanced_entry is not None
    assert finding.enhanced_entry.title == "Recipient address has null MX"
    assert (finding.reason, finding.hard_bounce) == ("user-unknown", True)


def test_host_decides_for_a_registry_code() -> None:
    text = "550 5.4.1 <someone@example.com>: Recipient address rejected: Access denied"
    at_microsoft = _finding(text, host="example-com.mail.protection.outlook.com")
    assert at_microsoft.vendor_entry is not None
    assert (at_microsoft.vendor_entry.code, at_microsoft.provider) == ("5.4.1", "microsoft")
    assert at_microsoft.reason == "user-unknown"
    elsewhere = _finding(text, host="mx.example.org")
    assert elsewhere.vendor_entry is None
    assert elsewhere.provider is None


def test_null_mx_reply_keeps_the_registry_meaning() -> None:
    finding = _finding(
        "556 5.1.10 <x@example.com>: Recipient address rejected: Domain example.com does not "
        "accept mail (nullMX)",
        host="mx.example.org",
    )
    assert finding.vendor_entry is None
    assert finding.enhanced_entry is not None
    assert finding.enhanced_entry.title == "Recipient address has null MX"


def test_help_link_names_the_provider_of_a_phrase() -> None:
    """A phrase token counts only with other evidence; Apple's help link is such evidence."""
    text = "421 4.7.1 Messages to x@icloud.com deferred due to excessive volume. Try again later"
    assert _finding(text).vendor_entry is None
    linked = _finding(text + " - https://support.apple.com/en-us/102322")
    assert linked.vendor_entry is not None
    assert (linked.vendor_entry.code, linked.provider) == (
        "deferred due to excessive volume",
        "apple",
    )


def test_gmail_code_alike_to_the_registry_needs_gmail_evidence() -> None:
    text = "550 5.7.26 Multiple authentication checks failed"
    assert _finding(text, host="mx.example.org").vendor_entry is None
    gmail = _finding(text + " - gsmtp", host="gmail-smtp-in.l.google.com")
    assert gmail.vendor_entry is not None
    assert (gmail.vendor_entry.code, gmail.vendor_entry.provider) == ("5.7.26", "google")


def test_success_replies_take_no_provider_meaning() -> None:
    assert _finding("250 2.0.0 OK TSS04 1234 - gsmtp").vendor_entry is None


# -- list and search -------------------------------------------------------------------------


def test_list_provider_lists_its_codes(run) -> None:
    status, out, err = run("list", "--provider", "microsoft")
    assert (status, err) == (0, "")
    rows = [line.split()[0] for line in out.splitlines()]
    assert len(rows) == len(RAW["microsoft.yaml"]["codes"])
    assert {"5.7.606-649", "4.7.500-699", "5.1.10", "BareLinefeedsAreIllegal"} <= set(rows)
    assert "550" not in rows


def test_list_provider_is_repeatable_and_speaks_json(run) -> None:
    status, out, _ = run("list", "--json", "--provider", "yahoo", "--provider", "apple")
    assert status == 0
    entries = [json.loads(line) for line in out.splitlines()]
    assert {e["provider"] for e in entries} == {"yahoo", "apple"}
    assert len(entries) == len(RAW["yahoo.yaml"]["codes"]) + len(RAW["apple.yaml"]["codes"])
    assert all(e["status"] == "vendor" for e in entries)


def test_list_provider_with_a_mask(run) -> None:
    _, out, _ = run("list", "--provider", "google", "5.7.x")
    rows = [line.split()[0] for line in out.splitlines()]
    assert rows == ["5.7.26", "5.7.27", "5.7.32", "5.7.29", "5.7.30", "5.7.40", "5.7.80",
                    "5.7.90", "?p=UnsolicitedMessageError",
                    "?p=NotAuthorizedError", "?p=RfcMessageNonCompliant", "?p=DmarcRejection",
                    "?p=BadCredentials", "gcdp"]  # fmt: skip


def test_list_unknown_provider_is_a_usage_error(run) -> None:
    status, out, err = run("list", "--provider", "hotmail")
    assert (status, out) == (2, "")
    assert err.startswith("smtpcode: no provider 'hotmail' in the catalogue (known: apple, ")


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("banned sending IP", "5.7.606-649"),
        ("TSS04", "TSS04"),
        ("RecipientNotFound", "RESOLVER.ADR.RecipientNotFound"),
        ("tenant exceeded threshold", "5.7.700-749"),
        ("bare line feeds", "5.6.11"),
    ],
)
def test_search_finds_provider_entries(run, query: str, first: str) -> None:
    status, out, _ = run("search", "--json", query)
    assert status == 0
    assert json.loads(out.splitlines()[0])["code"] == first


def test_compare_takes_a_provider_code_by_its_meaning(run) -> None:
    status, out, err = run("compare", "--json", "5.7.606", "5.7.1")
    assert (status, err) == (0, "")
    comparison = json.loads(out)
    assert comparison["undefined"] == []
    first = comparison["entries"][0]["enhanced"]
    assert (first["title"], first["provider"]) == ("Access denied, banned sending IP", "microsoft")


def test_token_and_provider_code_in_one_reply_are_both_defined(run) -> None:
    """A token chooses the provider meaning; the reply's own provider code is still the
    provider's, not undefined (Outlook.com writes S775 beside 4.7.650)."""
    reply = "451 4.7.650 The mail server [192.0.2.5] has been temporarily rate limited (S775)"
    status, out, err = run("explain", "--json", reply)
    assert (status, err) == (0, "")
    finding = json.loads(out)
    assert finding["undefined"] == []
    assert finding["meaning"]["enhanced"]["title"] == (
        "Rate limited because of the sending IP's reputation"
    )
    assert finding["meaning"]["vendor"]["code"] == "S775"


def test_provider_fix_joins_the_advice_and_ts03_warns() -> None:
    """Yahoo's TS03 comes with a transient 421, yet Yahoo says retrying will not succeed."""
    finding = _finding(
        "421 4.7.0 [TS03] All messages from 192.0.2.1 will be permanently deferred; "
        "Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes"
    )
    assert finding.vendor_entry is not None and finding.vendor_entry.code == "TS03"
    assert finding.advice is not None
    assert finding.advice.endswith(
        "Yahoo / AOL, TS03: Sender's admin: stop retrying to Yahoo from that IP (bounce or "
        "reroute the queued messages), fix the cause and ask Yahoo's sender support to "
        "review the IP."
    )
    assert finding.warnings == (
        "TS03 is transient by its code, but Yahoo / AOL says retrying will not succeed: "
        "stop retrying and fix the cause.",
    )


def test_a_phrase_of_one_provider_needs_its_evidence() -> None:
    """Postfix says "blocked using Spamhaus" too: only Microsoft's host makes it Microsoft's."""
    text = "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using Spamhaus"
    assert _finding(text, host="mx.example.org").vendor_entry is None
    at_microsoft = _finding(text, host="contoso-com.mail.protection.outlook.com")
    assert at_microsoft.vendor_entry is not None
    assert at_microsoft.vendor_entry.code == "blocked using Spamhaus"


def test_a_phrase_folded_over_lines_is_found() -> None:
    text = "550 5.7.1 Delivery not authorized,\n550 5.7.1 message refused"
    finding = _finding(text, host="contoso-com.mail.protection.outlook.com")
    assert finding.vendor_entry is not None
    assert finding.vendor_entry.code == "Delivery not authorized, message refused"


def test_a_bare_registry_code_shows_the_provider_use_but_decides_nothing(run) -> None:
    """Nothing in a bare 5.1.10 says Microsoft answered: reason and provider stay the
    registry's reading, Microsoft's meaning is shown beside it."""
    _, out, _ = run("explain", "--json", "5.1.10")
    finding = json.loads(out)
    assert (finding["provider"], finding["reason"]) == (None, "not-accepting")
    assert finding["meaning"]["vendor"]["provider"] == "microsoft"


def test_cisco_gateway_address_rejected() -> None:
    """IronPort's LDAP accept refusal, as quoted in customeros/mailsherpa issue 19."""
    text = "550 #5.1.0 Address rejected."
    assert _finding(text, host="mx.example.org").vendor_entry is None
    cisco = _finding(text, host="mx1.hc2201-65.iphmx.com")
    assert cisco.vendor_entry is not None
    assert (cisco.vendor_entry.code, cisco.provider, cisco.reason) == (
        "Address rejected",
        "cisco",
        "user-unknown",
    )


def test_a_token_inside_a_host_name_is_no_token() -> None:
    text = "550 5.7.1 Message refused by cs01.mail.example.com, see ts01-relay.example.net"
    assert _finding(text, host="mx.example.org").vendor_entry is None
    assert _finding("550 5.7.1 [CS01] Message rejected due to local policy.").vendor_entry
