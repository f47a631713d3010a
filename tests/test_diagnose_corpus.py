"""Diagnosis measured on real material, not assumed.

- The bounce corpus (tests/data/bounces, with its source in the README there): every
  bounce goes
  through the real `smtpcode.api.parse`, and each recipient's reason is compared with
  expected.jsonl (one analyser's judgement, not ground truth; see the README there).
- The MTA corpus's replies/ (tests/data/mta): each captured reply is explained and its
  reason compared with our own reading of the reply text
  (tests/data/diagnose/mta_replies_expected.yaml).

The thresholds are the agreement reached when the rules were written: a change that
lowers agreement fails here. Raise them when the rules get better.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from smtpcode.api import explain_query, parse
from smtpcode.diagnose import get_rules

DATA = Path(__file__).parent / "data"

# 191/258 when the reason rules were last widened (the labels judged wrong are listed in
# tests/data/diagnose/bounce_label_notes.yaml).
BOUNCE_AGREEMENT = 0.74
MTA_REPLY_AGREEMENT = 1.0


def corpus(name: str) -> Path:
    """The copy in tests/data: the repository's tests read nothing outside it."""
    path = DATA / name
    assert path.is_dir(), f"{path} is missing"
    return path


def _findings_of(path: Path) -> list[Any]:
    return list(parse(path))


def test_mta_replies_agree_with_their_reading() -> None:
    root = corpus("mta")
    expected: dict[str, str] = yaml.safe_load(
        (DATA / "diagnose" / "mta_replies_expected.yaml").read_text(encoding="utf-8")
    )
    wrong = []
    for name, reason in expected.items():
        text = (root / "replies" / f"{name}.txt").read_text(encoding="utf-8").strip("\n")
        got = explain_query(text).reason
        if got != reason:
            wrong.append((name, reason, got))
    agreement = 1 - len(wrong) / len(expected)
    print(f"MTA replies: {len(expected) - len(wrong)}/{len(expected)} = {agreement:.1%}")
    assert agreement >= MTA_REPLY_AGREEMENT, wrong


def test_bounce_corpus_agreement() -> None:
    root = corpus("bounces")
    rules = get_rules()
    total = agree = code_only = 0
    confusion: Counter[tuple[str, str]] = Counter()
    unexplained: list[tuple[str, int, str, str]] = []
    notes = _label_notes()
    for line in (root / "expected.jsonl").read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        findings = _findings_of(root / entry["file"])
        by_recipient = {(f.reply.recipient or "").lower(): f for f in findings if f.reply.recipient}
        for i, rcpt in enumerate(entry["recipients"]):
            if rcpt["reason"] is None:  # feedback reports and auto-replies: not bounces
                continue
            total += 1
            finding = by_recipient.get((rcpt.get("recipient") or "").lower())
            if finding is None and i < len(findings):
                finding = findings[i]
            got = finding.reason if finding is not None else "missing"
            if got == rcpt["reason"]:
                agree += 1
            else:
                confusion[(rcpt["reason"], got)] += 1
                if (entry["file"], i + 1) not in notes and (entry["file"], None) not in notes:
                    unexplained.append((entry["file"], i + 1, rcpt["reason"], got))
            if finding is not None:
                code_only += (
                    rules.reason_from_codes(finding.reply.basic, finding.reply.enhanced)
                    == rcpt["reason"]
                )
    assert total
    print(
        f"bounces: {agree}/{total} = {agree / total:.1%} agree with expected.jsonl; "
        f"codes alone: {code_only}/{total} = {code_only / total:.1%}"
    )
    print("disagreements (expected, got):", confusion.most_common(15))
    assert agree / total >= BOUNCE_AGREEMENT
    # Every disagreement is accounted for: a label judged wrong, a cause the reply does
    # not show, or a doubtful case (tests/data/diagnose/bounce_label_notes.yaml).
    assert not unexplained, unexplained


def _label_notes() -> set[tuple[str, int | None]]:
    data = yaml.safe_load(
        (DATA / "diagnose" / "bounce_label_notes.yaml").read_text(encoding="utf-8")
    )
    return {
        (str(note["file"]), note.get("recipient"))
        for section in ("wrong", "unprovable", "doubtful")
        for note in data[section]
    }
