"""What an explanation shows, in order: shared by the plain and the Rich renderer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smtpcode.catalogue import Entry
    from smtpcode.records import Finding
    from smtpcode.tally import GroupLine, Tally


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    value: str | tuple[str, ...]


def class_label(entry: Entry) -> str:
    from smtpcode.catalogue import get_catalogue

    cat = get_catalogue()
    if entry.kind == "basic":
        digit = cat.first_digit.get(entry.code[0])
        second = cat.second_digit.get(entry.code[1])
        label = f"{entry.code[0]}yz {digit.title}" if digit else entry.klass or ""
        if second is not None:
            label += f"; x{entry.code[1]}z {second.title}"
        return label
    if entry.code[0] in "245":
        cls = cat.enhanced_class(entry.code[0])
        if cls is not None:
            return f"{entry.code[0]}.X.X {cls.title}"
    return entry.klass or "any class"


def heading(entry: Entry) -> str:
    status = entry.status if entry.defined else "undefined"
    return f"{entry.code}  {entry.title}  ({status})"


def entry_rows(entry: Entry) -> list[Row]:
    rows = [
        Row("Class", class_label(entry)),
        Row("Meaning", entry.description),
        Row("When you see it", entry.when),
    ]
    if entry.fix:
        rows.append(Row("How to fix", entry.fix))
    if entry.commands:
        rows.append(Row("After commands", ", ".join(entry.commands)))
    if entry.associated:
        rows.append(Row("Basic codes", ", ".join(entry.associated)))
    if entry.rfcs:
        rows.append(Row("RFCs", "; ".join(entry.rfcs)))
    if entry.related:
        rows.append(Row("Related", ", ".join(entry.related)))
    return rows


def diagnosis_rows(finding: Finding) -> list[Row]:
    """The reply-level facts, shown when the query was a whole reply or came from parse."""
    rows: list[Row] = []
    r = finding.reply
    # The diagnosis leads: it is the answer; the reply it was read from comes next.
    if finding.summary:
        rows.append(Row("Diagnosis", finding.summary))
    if r.text is not None:
        rows.append(Row("Reply", r.text))
    rows.append(Row("Reason", finding.reason))
    if finding.provider:
        rows.append(Row("Provider", finding.provider))
    if r.reporter:
        rows.append(Row("Reported by", r.reporter))
    if r.remote_host or finding.remote_mta:
        remote = " ".join(
            x
            for x in (r.remote_host, f"({finding.remote_mta})" if finding.remote_mta else None)
            if x
        )
        rows.append(Row("Answered by", remote))
    if r.recipient:
        rows.append(Row("Recipient", r.recipient))
    if r.command:
        rows.append(Row("Command", r.command))
    if finding.hard_bounce is not None and finding.klass not in ("success", "intermediate"):
        rows.append(Row("Bounce", "hard" if finding.hard_bounce else "soft"))
    if finding.advice:
        rows.append(Row("What to do", finding.advice))
    return rows


def finding_title(finding: Finding) -> str:
    codes = " ".join(c for c in (finding.reply.basic, finding.reply.enhanced) if c)
    return codes or "reply"


def entries_of(finding: Finding) -> list[Entry]:
    return [e for e in (finding.basic_entry, finding.enhanced_entry) if e is not None]


def list_row(entry: Entry) -> tuple[str, str, str, str]:
    """One row of `list` / `search`: code, title, class and status."""
    return entry.code, entry.title, entry.klass or "any", entry.status


def summary_heading(summary: Tally) -> str:
    """ "216 replies in 2 inputs, 110 failures (50.9 %), 2026-11-29T00:38:03 to ..."."""
    inputs = f" in {summary.inputs} inputs" if summary.inputs > 1 else ""
    text = f"{summary.findings} replies{inputs}"
    if summary.findings:
        failures = summary.failures()
        text += f", {failures} failures ({failures * 100 / summary.findings:.1f} %)"
    if summary.first_time and summary.last_time:
        text += f", {summary.first_time} to {summary.last_time}"
    if summary.partial:
        text += " (partial: interrupted, only what was read until then)"
    return text


def group_columns(by: str) -> list[str]:
    return [by, "count", "share", "failures", "first", "last", "most common reply"]


def group_cells(line: GroupLine) -> list[str]:
    return [
        line.key,
        str(line.count),
        f"{line.share * 100:.1f} %",
        str(line.failures),
        line.first or "-",
        line.last or "-",
        line.reply,
    ]


def first_sentence(text: str) -> str:
    end = text.find(". ")
    return text[: end + 1] if end > 0 else text


def brief(finding: Finding) -> list[str]:
    """`explain --brief`: one short paragraph per code (title, class, what it means in
    one sentence, the first fix in one sentence), after the diagnosis of a whole reply."""
    out: list[str] = []
    if finding.reply.text is not None and finding.summary:
        out.append(finding.summary)
    for entry in entries_of(finding):
        klass = entry.klass or "any class"
        text = f"{entry.code}  {entry.title} ({klass}). {first_sentence(entry.description)}"
        if entry.fix:
            text += f" Fix: {first_sentence(entry.fix[0])}"
        out.append(text)
    return out
