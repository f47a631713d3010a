"""Counts over the findings of `parse --summary`: how often each code, class and reason
occurred in a day's log. Mergeable, so that the parts of a run (inputs, processes)
add up to the same counts. A fact computed by the core; renderers only lay it out."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smtpcode.i18n import N_

if TYPE_CHECKING:
    from smtpcode.records import Finding

NONE = "(none)"


def code_of(finding: Finding) -> str:
    """ "550 5.1.1", "550", "5.1.1", or "(none)" for a finding without a code."""
    r = finding.reply
    return " ".join(c for c in (r.basic, r.enhanced) if c) or NONE


@dataclass
class Tally:
    inputs: int = 0
    findings: int = 0
    by_code: Counter[str] = field(default_factory=Counter)
    by_class: Counter[str] = field(default_factory=Counter)
    by_reason: Counter[str] = field(default_factory=Counter)

    def add(self, finding: Finding) -> None:
        self.findings += 1
        self.by_code[code_of(finding)] += 1
        self.by_class[finding.klass or NONE] += 1
        self.by_reason[finding.reason] += 1

    def merge(self, other: Tally) -> None:
        """Adds the counts of another part of the run (another input, another process)."""
        self.inputs += other.inputs
        self.findings += other.findings
        self.by_code.update(other.by_code)
        self.by_class.update(other.by_class)
        self.by_reason.update(other.by_reason)

    def tables(self) -> list[tuple[str, list[tuple[str, int]]]]:
        """The counts to show, each most frequent first (ties in name order)."""

        def ranked(counter: Counter[str]) -> list[tuple[str, int]]:
            return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))

        return [
            # The names are JSON keys (by_code ...); N_ marks them for the headings.
            (N_("code"), ranked(self.by_code)),
            (N_("class"), ranked(self.by_class)),
            (N_("reason"), ranked(self.by_reason)),
        ]

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"inputs": self.inputs, "findings": self.findings}
        for name, rows in self.tables():
            out[f"by_{name}"] = [{name: key, "count": count} for key, count in rows]
        return out
