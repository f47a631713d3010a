"""Plain text for pipes: no colour, no borders, no hard wrapping."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from smtpcode.i18n import _
from smtpcode.render.layout import (
    Row,
    diagnosis_rows,
    entries_of,
    entry_rows,
    heading,
    list_row,
    matched_in,
)
from smtpcode.render.write import write_bytes
from smtpcode.text import one_line, printable

if TYPE_CHECKING:
    from collections.abc import Sequence

    from smtpcode.catalogue import Entry
    from smtpcode.compare import Comparison
    from smtpcode.records import Finding
    from smtpcode.tally import Tally


def _write_rows(out: TextIO, rows: list[Row], indent: str = "  ") -> None:
    for row in rows:
        if isinstance(row.value, tuple):
            out.write(f"{indent}{row.label}:\n")
            for item in row.value:
                out.write(f"{indent}  - {printable(item)}\n")
        else:
            value = printable(row.value).replace("\n", "\n" + indent + "  ")
            out.write(f"{indent}{row.label}: {value}\n")


class PlainRenderer:
    def __init__(self, stream: TextIO) -> None:
        self.out = stream
        self._first = True

    def _separate(self) -> None:
        if not self._first:
            self.out.write("\n")
        self._first = False

    def explain(self, finding: Finding, brief: bool = False) -> None:
        self._separate()
        if brief:
            from smtpcode.render.layout import brief as brief_paragraphs

            self.out.write("\n".join(printable(p) for p in brief_paragraphs(finding)) + "\n")
            return
        if finding.reply.text is not None:
            _write_rows(self.out, diagnosis_rows(finding), indent="")
            self.out.write("\n")
        for warning in finding.warnings:
            self.out.write(_("Warning: {warning}").format(warning=printable(warning)) + "\n")
        for i, entry in enumerate(entries_of(finding)):
            if i:
                self.out.write("\n")
            self.out.write(heading(entry) + "\n")
            _write_rows(self.out, entry_rows(entry))

    def compare(self, comparison: Comparison) -> None:
        # One block per aspect with each code's value under it: a table as wide as three
        # codes would not survive 80 columns or a pipe.
        self._separate()
        out = self.out
        out.write(printable(comparison.summary) + "\n")
        codes = [c.code for c in comparison.columns]
        for aspect in comparison.aspects():
            out.write(f"\n{aspect.label}\n")
            for code, values in zip(codes, aspect.values, strict=True):
                if len(values) == 1:
                    out.write(f"  {code}: {printable(values[0])}\n")
                else:
                    out.write(f"  {code}:{'' if values else ' -'}\n")
                    for value in values:
                        out.write(f"    - {printable(value)}\n")
        for title, sentences in comparison.sections():
            out.write(f"\n{title}\n")
            for sentence in sentences:
                out.write(f"  - {printable(sentence)}\n")

    def entries(self, entries: Sequence[Entry], why: Sequence[str] | None = None) -> None:
        # Title last: the fixed-width columns line up without padding the longest title;
        # for search, where the query matched, in brackets after it.
        rows = [list_row(e) for e in entries]
        code_w = max((len(r[0]) for r in rows), default=0)
        class_w = max((len(r[2]) for r in rows), default=0)
        status_w = max((len(r[3]) for r in rows), default=0)
        for i, (code, title, klass, status) in enumerate(rows):
            matched = f"  [{matched_in(why[i])}]" if why is not None and why[i] else ""
            self.out.write(
                f"{code:<{code_w}}  {klass:<{class_w}}  {status:<{status_w}}  "
                f"{printable(title)}{matched}\n"
            )

    # `parse` hands this renderer ready tab-separated rows (smtpcode.rows.TsvEncoder).
    row_kind: str | None = "tsv"

    def parse_row(self, finding: Finding) -> None:
        from smtpcode.rows import TsvEncoder

        self.write_rows([TsvEncoder().line(finding)])

    def write_rows(self, rows: list[bytes]) -> None:
        write_bytes(self.out, rows)

    def parse_summary(self, summary: Tally) -> None:
        from smtpcode.render.layout import shown_key, summary_heading, table_name

        out = self.out
        out.write(printable(summary_heading(summary)) + "\n")
        if summary.group_by is not None:
            self._groups(summary)
            return
        for name, lines in summary.tables():
            if not lines:
                continue
            titled = name == "code"
            label = table_name(name)
            keys = [one_line(shown_key(line.key)) for line in lines]
            width = max([len(label)] + [len(key) for key in keys])
            count_w = max([5] + [len(str(line.count)) for line in lines])
            title = "  " + _("title") if titled else ""
            count, share = _("count"), _("share")
            out.write(f"\n{label:<{width}}  {count:>{count_w}}  {share}{title}\n")
            for key, line in zip(keys, lines, strict=True):
                share = f"{line.share * 100:4.1f} %"
                tail = f"  {printable(line.title)}" if titled else ""
                out.write(f"{key:<{width}}  {line.count:>{count_w}}  {share}{tail}\n")

    def _groups(self, summary: Tally) -> None:
        # Tab-separated, one group per line: the columns of layout.GROUP_COLUMNS.
        from smtpcode.render.layout import group_cells, group_columns

        out = self.out
        out.write("\n" + "\t".join(group_columns(summary.group_by or "")) + "\n")
        for line in summary.group_lines():
            out.write("\t".join(one_line(c) for c in group_cells(line)) + "\n")

    def flush(self) -> None:
        self.out.flush()

    def close(self) -> None:
        self.flush()
