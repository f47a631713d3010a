"""Plain text for pipes: no colour, no borders, no hard wrapping."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from smtpcode.i18n import _
from smtpcode.render.layout import Row, diagnosis_rows, entries_of, entry_rows, heading, list_row
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

    def explain(self, finding: Finding) -> None:
        self._separate()
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

    def entries(self, entries: Sequence[Entry]) -> None:
        # Title last: the fixed-width columns line up without padding the longest title.
        rows = [list_row(e) for e in entries]
        code_w = max((len(r[0]) for r in rows), default=0)
        class_w = max((len(r[2]) for r in rows), default=0)
        status_w = max((len(r[3]) for r in rows), default=0)
        for code, title, klass, status in rows:
            self.out.write(
                f"{code:<{code_w}}  {klass:<{class_w}}  {status:<{status_w}}  {printable(title)}\n"
            )

    # `parse` hands this renderer ready tab-separated rows (smtpcode.rows.TsvEncoder).
    row_kind: str | None = "tsv"

    def parse_row(self, finding: Finding) -> None:
        from smtpcode.rows import TsvEncoder

        self.write_rows([TsvEncoder().line(finding)])

    def write_rows(self, rows: list[bytes]) -> None:
        write_bytes(self.out, rows)

    def parse_summary(self, summary: Tally) -> None:
        out = self.out
        inputs = _(" in {n} inputs").format(n=summary.inputs) if summary.inputs > 1 else ""
        out.write(_("{n} replies").format(n=summary.findings) + f"{inputs}\n")
        for name, rows in summary.tables():
            label = _(name)
            width = max([len(label)] + [len(key) for key, _count in rows])
            out.write(f"\n{label:<{width}}  {_('count')}\n")
            for key, count in rows:
                out.write(f"{one_line(key):<{width}}  {count}\n")

    def flush(self) -> None:
        self.out.flush()

    def close(self) -> None:
        self.flush()
