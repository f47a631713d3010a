"""codes.yaml is complete, well-formed and consistent (the catalogue's schema test)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from smtpcode.catalogue import STATUSES, get_catalogue
from smtpcode.codes import CLASS_BY_DIGIT

ROOT = Path(__file__).resolve().parent.parent
RAW: dict[str, Any] = yaml.safe_load((ROOT / "codes.yaml").read_text(encoding="utf-8"))
FACTS = json.loads((Path(__file__).parent / "data" / "smtp-codes-facts.json").read_text())

COMMANDS = {
    "CONNECT", "EHLO", "HELO", "MAIL", "RCPT", "DATA", "END-OF-DATA", "BDAT", "RSET", "VRFY",
    "EXPN", "HELP", "NOOP", "QUIT", "STARTTLS", "AUTH", "ETRN", "ATRN", "BURL", "ANY",
}  # fmt: skip
ACTORS = {"sender", "sender-admin", "recipient", "receiving-admin", "nobody"}
REQUIRED = ("code", "title", "status", "description", "when", "fix")

BASIC = RAW["basic"]
ENHANCED = RAW["enhanced"]
META = RAW["meta"]
ALL = BASIC + ENHANCED + META["enhanced_classes"] + META["subjects"]


def _ids(entries: list[dict[str, Any]]) -> list[str]:
    return [str(e.get("code")) for e in entries]


@pytest.mark.parametrize("entry", ALL, ids=_ids(ALL))
def test_entry_has_every_field(entry: dict[str, Any]) -> None:
    for field in REQUIRED:
        value = entry.get(field)
        assert value, f"{entry.get('code')}: {field} is missing or empty"
    assert isinstance(entry["fix"], list)
    assert all(isinstance(step, str) and step.strip() for step in entry["fix"])
    assert entry["status"] in STATUSES
    assert isinstance(entry.get("rfcs", []), list)
    assert set(entry.get("commands", [])) <= COMMANDS
    assert set(entry.get("actors", [])) <= ACTORS
    assert entry.get("actors"), f"{entry['code']}: nobody is said to act"
    if entry["status"] in ("standard", "extension", "registry"):
        assert entry.get("rfcs"), f"{entry['code']}: a {entry['status']} code cites its RFCs"


def test_codes_well_formed_and_unique() -> None:
    basic = _ids(BASIC)
    assert all(re.fullmatch(r"[1-5][0-9][0-9]", c) for c in basic)
    enhanced = _ids(ENHANCED)
    assert all(re.fullmatch(r"X\.[0-9]{1,3}\.[0-9]{1,3}", c) for c in enhanced)
    for codes in (basic, enhanced):
        assert len(codes) == len(set(codes)), "duplicate codes"
    assert _ids(META["enhanced_classes"]) == ["2.X.X", "4.X.X", "5.X.X"]
    assert _ids(META["subjects"]) == [f"X.{i}.X" for i in range(8)]


def test_class_matches_first_digit() -> None:
    for entry in BASIC:
        assert entry["class"] == CLASS_BY_DIGIT[entry["code"][0]], entry["code"]
    for entry in META["enhanced_classes"]:
        assert entry["class"] == CLASS_BY_DIGIT[entry["code"][0]], entry["code"]
    for entry in ENHANCED + META["subjects"]:
        assert "class" not in entry, f"{entry['code']} is for every class"
        for digit in entry.get("by_class") or {}:
            assert str(digit) in ("2", "4", "5"), entry["code"]


def test_related_and_associated_codes_exist() -> None:
    cat = get_catalogue()
    for entry in ALL:
        for code in entry.get("related", []):
            assert cat.entry_for(str(code)) is not None, f"{entry['code']} -> {code}"
            assert str(code) != entry["code"], f"{entry['code']} relates to itself"
        for code in entry.get("associated", []):
            assert cat.basic(str(code)) is not None, f"{entry['code']} associated {code}"


def test_complete_against_the_rfcs_and_the_registry() -> None:
    basic = set(_ids(BASIC))
    missing = [b["code"] for b in FACTS["basic_codes"] if b["code"] not in basic]
    assert not missing, f"basic codes missing: {missing}"
    enhanced = set(_ids(ENHANCED))
    missing = [e["code"] for e in FACTS["enhanced_codes"] if e["code"] not in enhanced]
    assert not missing, f"enhanced codes missing: {missing}"
    # Every detail through X.7.30, none skipped.
    last = {0: 0, 1: 10, 2: 4, 3: 6, 4: 7, 5: 6, 6: 10, 7: 30}
    for subject, top in last.items():
        for detail in range(top + 1):
            assert f"X.{subject}.{detail}" in enhanced


def test_registry_associations_are_kept() -> None:
    by_code = {e["code"]: e for e in ENHANCED}
    for fact in FACTS["enhanced_codes"]:
        ours = set(map(str, by_code[fact["code"]].get("associated", [])))
        assert set(fact["associated_basic_codes"]) <= ours, fact["code"]


def test_status_follows_the_basis() -> None:
    by_code = {e["code"]: e for e in BASIC}
    for fact in FACTS["basic_codes"]:
        status = by_code[fact["code"]]["status"]
        if fact["basis"] == "rfc5321":
            assert status == "standard", fact["code"]
        elif fact["basis"] == "non-standard-practice":
            assert status in ("vendor", "folklore"), fact["code"]
        else:
            assert status in ("extension", "registry", "standard"), fact["code"]


def test_digit_meanings() -> None:
    assert sorted(META["first_digit"]) == ["1", "2", "3", "4", "5"]
    assert sorted(META["second_digit"]) == [str(d) for d in range(10)]
    for digit, info in META["first_digit"].items():
        assert info["name"] == CLASS_BY_DIGIT[str(digit)]
        assert info["title"] and info["description"] and info["retry"]


def test_enhanced_resolves_to_its_class() -> None:
    cat = get_catalogue()
    transient = cat.enhanced("4.2.2")
    permanent = cat.enhanced("5.2.2")
    assert transient is not None and permanent is not None
    assert (transient.code, transient.klass) == ("4.2.2", "transient")
    assert (permanent.code, permanent.klass) == ("5.2.2", "permanent")
    assert transient.title == permanent.title


def test_loaded_once_with_the_c_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    assert get_catalogue() is get_catalogue()
    assert hasattr(yaml, "CSafeLoader"), "libyaml missing: the catalogue would load slowly"
