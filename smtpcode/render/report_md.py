"""`parse --report markdown`: a whole report as one Markdown document, to paste into a
GitHub, GitLab or Jira ticket: the summary, the failures grouped by reason with their
advice, and the findings. Every cell is escaped: untrusted text cannot close a table
cell, start a link, a heading or an HTML tag."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, TextIO

from smtpcode.i18n import _
from smtpcode.render.layout import capital, shown_key, summary_heading, table_name
from smtpcode.text import one_line

if TYPE_CHECKING:
    from smtpcode.records import Finding
    from smtpcode.tally import Tally

# The findings a report lists; the counts cover all of them.
REPORT_ROWS = 1000
# Characters with a meaning inside a line of Markdown (CommonMark, the GitHub and GitLab
# extensions, Jira's macros): escaped wherever they stand. (Those that matter only at a
# line's start, # - + . !, cannot: every line written starts with our own text.)
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~])")


def escape(value: str) -> str:
    """Text shown as itself in a Markdown table cell or paragraph, on one line."""
    return _SPECIAL.sub(r"\\\1", one_line(value).replace("\n", " "))


class ReportCollector:
    """What a report sink does while the run goes on: keeps the first findings in order
    (the pipeline counts every one in the tally)."""

    row_kind: str | None = None

    def __init__(self, stream: TextIO) -> None:
        self.out = stream
        self.findings: list[Finding] = []
        self.seen = 0

    def parse_row(self, finding: Finding) -> None:
        self.seen += 1
        if len(self.findings) < REPORT_ROWS:
            self.findings.append(finding)

    def write_rows(self, rows: list[bytes]) -> None:
        raise NotImplementedError("a report is made from findings (row_kind None)")

    def flush(self) -> None:
        """Nothing is written before the report is whole."""

    def close(self) -> None:
        self.out.flush()


def table(head: list[str], rows: list[list[str]], right: frozenset[int] = frozenset()) -> str:
    lines = ["| " + " | ".join(head) + " |"]
    lines.append("|" + "|".join("--:" if i in right else "---" for i in range(len(head))) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


class MarkdownReport(ReportCollector):
    def parse_summary(self, summary: Tally) -> None:
        from smtpcode.rows import headline

        parts = ["# " + _("SMTP replies report"), escape(summary_heading(summary))]
        if summary.partial:
            parts.append(f"> **{_('Partial report')}**: {_('the run was interrupted.')}")
        parts.append("## " + _("Summary"))
        for name, lines in summary.tables():
            if not lines:
                continue
            titled = name == "code"
            head = [capital(table_name(name))] + ([_("Title")] if titled else [])
            head += [_("Count"), _("Share")]
            rows = [
                [f"`{line.key.replace('`', '')}`" if titled else escape(shown_key(line.key))]
                + ([escape(line.title)] if titled else [])
                + [str(line.count), f"{line.share * 100:.1f} %"]
                for line in lines
            ]
            right = frozenset((len(head) - 2, len(head) - 1))
            parts += [
                "### " + _("By {name}").format(name=table_name(name)),
                table(head, rows, right),
            ]
        reasons = summary.failure_reasons()
        if reasons:
            parts.append("## " + _("Failures by reason"))
            for reason, count, advice in reasons:
                parts.append(f"### {escape(reason)} ({count})")
                if advice:
                    parts.append(escape(advice))
        parts.append("## " + _("Findings"))
        shown = len(self.findings)
        if self.seen > shown:
            parts.append(
                _("The first {shown} of {seen} findings.").format(shown=shown, seen=self.seen)
            )
        rows = []
        for finding in self.findings:
            r = finding.reply
            codes = " ".join(c for c in (r.basic, r.enhanced) if c)
            where = f"{r.input}:{r.line}" if r.input and r.line is not None else (r.input or "")
            rows.append(
                [
                    escape(headline(finding)),
                    f"`{codes.replace('`', '')}`" if codes else "",
                    escape(finding.reason),
                    escape(r.recipient or ""),
                    escape(where),
                    escape(r.time or ""),
                ]
            )
        if rows:
            head = [
                _("What happened"),
                _("Code"),
                _("Reason"),
                _("Recipient"),
                _("Where"),
                _("Time"),
            ]
            parts.append(table(head, rows))
        self.out.write("\n\n".join(parts) + "\n")
