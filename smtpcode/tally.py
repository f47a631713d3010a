"""Counts over the findings of `parse --summary`, `--group-by` and the reports: how often
each code, class, reason, provider and recipient domain occurred, the top failing
recipients, when, and one row per group. Mergeable, so that the parts of a run (inputs,
processes, machines) add up to the same counts: `Tally.merge` is the one merge. A fact
computed by the core; renderers only lay it out.

Codes are counted by the most specific code a finding has: the enhanced code when there
is one, else the basic code. "550 5.1.1" and a bare "5.1.1" are one failure, shown
under the basic code seen most often with it ("550 5.1.1"); a basic code without an
enhanced one ("550") stays a row of its own.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smtpcode.filters import FAILURE_CLASSES, recipient_domain
from smtpcode.rows import headline, meaning, where

if TYPE_CHECKING:
    from smtpcode.records import Finding

NONE = "(none)"
# The groups --group-by can form, and what a finding's key is in each.
GROUPINGS = ("recipient", "domain", "reason", "provider", "code")
# Distinct replies remembered per group for "the most common reply": a group of a
# day's log sees a handful; past this, only those already seen are counted.
MAX_REPLIES = 64
# How many failing recipients the summary lists.
TOP_RECIPIENTS = 10


def code_key(finding: Finding) -> str:
    """The code a finding is counted under: enhanced, else basic, else "(none)"."""
    r = finding.reply
    return r.enhanced or r.basic or NONE


def code_of(finding: Finding) -> str:
    """ "550 5.1.1", "550", "5.1.1", or "(none)" for a finding without a code."""
    r = finding.reply
    return " ".join(c for c in (r.basic, r.enhanced) if c) or NONE


def group_key(finding: Finding, by: str) -> str:
    if by == "recipient":
        return (finding.reply.recipient or NONE).lower()
    if by == "domain":
        return recipient_domain(finding.reply.recipient) or NONE
    if by == "reason":
        return finding.reason
    if by == "provider":
        return finding.provider or NONE
    if by == "code":
        return code_key(finding)
    raise ValueError(f"cannot group by {by!r}; one of {', '.join(GROUPINGS)}")


@dataclass
class Group:
    """One row of --group-by: counts, when first and last seen, and its replies."""

    count: int = 0
    failures: int = 0
    # ISO 8601 times where the findings have one, else where they are (input:line).
    first: str | None = None
    last: str | None = None
    replies: Counter[str] = field(default_factory=Counter)

    def add(self, finding: Finding) -> None:
        self.count += 1
        if finding.klass in FAILURE_CLASSES:
            self.failures += 1
        seen = finding.reply.time or where(finding, with_input=True)
        if self.first is None or (finding.reply.time and seen < self.first):
            self.first = seen
        if self.last is None or not finding.reply.time or seen > self.last:
            self.last = seen
        reply = f"{code_of(finding)} {headline(finding)}"
        if reply in self.replies or len(self.replies) < MAX_REPLIES:
            self.replies[reply] += 1

    def merge(self, other: Group) -> None:
        """Adds a later part of the run."""
        self.count += other.count
        self.failures += other.failures
        if other.first is not None and (self.first is None or _earlier(other.first, self.first)):
            self.first = other.first
        if other.last is not None and (self.last is None or not _earlier(other.last, self.last)):
            self.last = other.last
        for reply, n in other.replies.items():
            if reply in self.replies or len(self.replies) < MAX_REPLIES:
                self.replies[reply] += n

    def common_reply(self) -> str:
        return min(self.replies.items(), key=lambda kv: (-kv[1], kv[0]))[0] if self.replies else ""


def _earlier(a: str, b: str) -> bool:
    """Whether time a comes before b; places (input:line) keep the order of the run."""
    if a[:1].isdigit() and b[:1].isdigit():
        return a < b
    return False


@dataclass(frozen=True)
class Line:
    """One row of a summary table."""

    key: str
    count: int
    # Of all the findings counted (0 to 1).
    share: float
    title: str = ""


@dataclass(frozen=True)
class GroupLine:
    key: str
    count: int
    share: float
    failures: int
    first: str | None
    last: str | None
    reply: str


@dataclass
class Tally:
    inputs: int = 0
    findings: int = 0
    by_code: Counter[str] = field(default_factory=Counter)
    # (code counted, basic code seen with it): the form a code row is shown in.
    code_forms: Counter[tuple[str, str]] = field(default_factory=Counter)
    titles: dict[str, str] = field(default_factory=dict)
    by_class: Counter[str] = field(default_factory=Counter)
    by_reason: Counter[str] = field(default_factory=Counter)
    by_provider: Counter[str] = field(default_factory=Counter)
    by_domain: Counter[str] = field(default_factory=Counter)
    failing_recipients: Counter[str] = field(default_factory=Counter)
    # Failures per reason, and the advice of the first failure of each reason.
    failures_by_reason: Counter[str] = field(default_factory=Counter)
    advice: dict[str, str] = field(default_factory=dict)
    # Failures per hour ("2026-12-04T10") where the findings have times.
    failures_by_hour: Counter[str] = field(default_factory=Counter)
    first_time: str | None = None
    last_time: str | None = None
    group_by: str | None = None
    groups: dict[str, Group] = field(default_factory=dict)
    # The run was interrupted: these are the counts of what was read until then.
    partial: bool = False

    def add(self, finding: Finding) -> None:
        self.findings += 1
        r = finding.reply
        key = r.enhanced or r.basic or NONE
        self.by_code[key] += 1
        if r.basic and r.enhanced:
            self.code_forms[key, r.basic] += 1
        if key not in self.titles:
            self.titles[key] = meaning(finding)
        klass = finding.klass or NONE
        self.by_class[klass] += 1
        self.by_reason[finding.reason] += 1
        self.by_provider[finding.provider or NONE] += 1
        domain = recipient_domain(r.recipient)
        if domain is not None:
            self.by_domain[domain] += 1
        time = r.time
        if time is not None:
            if self.first_time is None or time < self.first_time:
                self.first_time = time
            if self.last_time is None or time > self.last_time:
                self.last_time = time
        if klass in FAILURE_CLASSES:
            self.failures_by_reason[finding.reason] += 1
            if finding.reason not in self.advice and finding.advice:
                self.advice[finding.reason] = finding.advice
            if r.recipient:
                self.failing_recipients[r.recipient.lower()] += 1
            if time is not None:
                self.failures_by_hour[time[:13]] += 1
        if self.group_by is not None:
            name = group_key(finding, self.group_by)
            group = self.groups.get(name)
            if group is None:
                group = self.groups[name] = Group()
            group.add(finding)

    def merge(self, other: Tally) -> None:
        """Adds the counts of another part of the run (another input, another process),
        a later one where order matters (first and last seen)."""
        self.inputs += other.inputs
        self.findings += other.findings
        for mine, theirs in (
            (self.by_code, other.by_code),
            (self.by_class, other.by_class),
            (self.by_reason, other.by_reason),
            (self.by_provider, other.by_provider),
            (self.by_domain, other.by_domain),
            (self.failing_recipients, other.failing_recipients),
            (self.failures_by_reason, other.failures_by_reason),
            (self.failures_by_hour, other.failures_by_hour),
        ):
            mine.update(theirs)
        self.code_forms.update(other.code_forms)
        for key, title in other.titles.items():
            self.titles.setdefault(key, title)
        for key, text in other.advice.items():
            self.advice.setdefault(key, text)
        if other.first_time is not None and (
            self.first_time is None or other.first_time < self.first_time
        ):
            self.first_time = other.first_time
        if other.last_time is not None and (
            self.last_time is None or other.last_time > self.last_time
        ):
            self.last_time = other.last_time
        if self.group_by is None:
            self.group_by = other.group_by
        for name, group in other.groups.items():
            if name in self.groups:
                self.groups[name].merge(group)
            else:
                self.groups[name] = group
        self.partial = self.partial or other.partial

    # -- what the renderers lay out --------------------------------------------------

    def failures(self) -> int:
        return sum(self.by_class[c] for c in FAILURE_CLASSES)

    def _lines(self, counter: Counter[str], limit: int | None = None) -> list[Line]:
        total = self.findings or 1
        ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return [Line(key, n, n / total) for key, n in ranked]

    def code_lines(self) -> list[Line]:
        """One row per code counted, shown with its usual basic code and its title."""
        usual: dict[str, tuple[int, str]] = {}
        for (key, basic), n in self.code_forms.items():
            best = usual.get(key)
            if best is None or (n, basic) > best:
                usual[key] = (n, basic)
        out = []
        for line in self._lines(self.by_code):
            shown = f"{usual[line.key][1]} {line.key}" if line.key in usual else line.key
            out.append(Line(shown, line.count, line.share, self.titles.get(line.key, "")))
        return out

    def tables(self) -> list[tuple[str, list[Line]]]:
        """The counts to show, each most frequent first (ties in name order)."""
        failed = self.failures() or 1
        recipients = [
            Line(key, n, n / failed)
            for key, n in sorted(self.failing_recipients.items(), key=lambda kv: (-kv[1], kv[0]))[
                :TOP_RECIPIENTS
            ]
        ]
        return [
            ("code", self.code_lines()),
            ("class", self._lines(self.by_class)),
            ("reason", self._lines(self.by_reason)),
            ("provider", self._lines(self.by_provider)),
            ("domain", self._lines(self.by_domain)),
            ("failing recipient", recipients),
        ]

    def group_lines(self) -> list[GroupLine]:
        """The --group-by rows, biggest group first (ties in name order)."""
        total = self.findings or 1
        ranked = sorted(self.groups.items(), key=lambda kv: (-kv[1].count, kv[0]))
        return [
            GroupLine(name, g.count, g.count / total, g.failures, g.first, g.last, g.common_reply())
            for name, g in ranked
        ]

    def failure_reasons(self) -> list[tuple[str, int, str]]:
        """Failures by reason, most first: (reason, count, advice)."""
        ranked = sorted(self.failures_by_reason.items(), key=lambda kv: (-kv[1], kv[0]))
        return [(reason, n, self.advice.get(reason, "")) for reason, n in ranked]

    def timeline(self) -> list[tuple[str, int]]:
        """Failures over time: per hour within two days, else per day; oldest first."""
        hours = sorted(self.failures_by_hour.items())
        if len({h[:10] for h, _ in hours}) <= 2:
            return hours
        days: Counter[str] = Counter()
        for hour, n in hours:
            days[hour[:10]] += n
        return sorted(days.items())

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "inputs": self.inputs,
            "findings": self.findings,
            "failures": self.failures(),
            "partial": self.partial,
            "first_time": self.first_time,
            "last_time": self.last_time,
        }
        for name, lines in self.tables():
            key = "top_failing_recipients" if name == "failing recipient" else f"by_{name}"
            label = "recipient" if name == "failing recipient" else name
            rows: list[dict[str, object]] = []
            for line in lines:
                row: dict[str, object] = {label: line.key, "count": line.count}
                if name == "code":
                    row["title"] = line.title
                row["share"] = round(line.share, 4)
                rows.append(row)
            out[key] = rows
        if self.group_by is not None:
            out["group_by"] = self.group_by
            out["groups"] = [
                {
                    self.group_by: g.key,
                    "count": g.count,
                    "share": round(g.share, 4),
                    "failures": g.failures,
                    "first": g.first,
                    "last": g.last,
                    "reply": g.reply,
                }
                for g in self.group_lines()
            ]
        return out
