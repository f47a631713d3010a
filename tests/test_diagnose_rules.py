"""The diagnosis rules (rules.yaml) against real replies: every rule has an example, and
every example is classified as stated (reason, provider, MTA, bounce type)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from smtpcode.codes import CodeSyntaxError, parse_query
from smtpcode.diagnose import Diagnoser, Rules, get_rules
from smtpcode.records import Reply

EXAMPLES_FILE = Path(__file__).parent / "data" / "diagnose" / "examples.yaml"
EXAMPLES: list[dict[str, Any]] = yaml.safe_load(EXAMPLES_FILE.read_text(encoding="utf-8"))


def reply_of(example: dict[str, Any]) -> Reply:
    text = example["text"]
    basic, enhanced = example.get("basic"), example.get("enhanced")
    if "basic" not in example and "enhanced" not in example:
        try:
            q = parse_query(text)
        except CodeSyntaxError:
            pass
        else:
            basic = q.basic.code if q.basic else None
            enhanced = str(q.enhanced) if q.enhanced else None
    return Reply(basic=basic, enhanced=enhanced, text=text, remote_host=example.get("host"))


def matched_ids(rules: Rules, text: str, klass: str | None) -> set[str]:
    return set(rules.evidence(text, klass).matched)


def test_every_rule_has_an_example() -> None:
    covered = {rid for ex in EXAMPLES for rid in ex["rules"]}
    missing = [rid for rid in get_rules().ids if rid not in covered]
    assert not missing, f"rules without a real example in {EXAMPLES_FILE.name}: {missing}"


def test_examples_name_existing_rules() -> None:
    known = set(get_rules().ids)
    unknown = sorted({rid for ex in EXAMPLES for rid in ex["rules"]} - known)
    assert not unknown


@pytest.mark.parametrize(
    "example", EXAMPLES, ids=[f"{i}-{ex['rules'][0]}" for i, ex in enumerate(EXAMPLES)]
)
def test_example(example: dict[str, Any]) -> None:
    finding = Diagnoser().diagnose(reply_of(example))
    got = matched_ids(get_rules(), example["text"], finding.klass)
    assert set(example["rules"]) <= got, f"not matched: {set(example['rules']) - got}"
    assert finding.reason == example["reason"]
    if "provider" in example:
        assert finding.provider == example["provider"]
    if "mta" in example:
        assert finding.remote_mta == example["mta"]
    if "hard_bounce" in example:
        assert finding.hard_bounce is example["hard_bounce"]
    if example.get("warning"):
        assert any("the text is more specific" in w for w in finding.warnings)
