"""Rich panels and tables for a terminal. Data always goes in as Text, never as markup."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, TextIO

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from smtpcode.i18n import _
from smtpcode.render.layout import (
    Row,
    diagnosis_rows,
    entries_of,
    entry_rows,
    finding_title,
    heading,
    list_row,
)
from smtpcode.text import printable

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.console import RenderableType

    from smtpcode.catalogue import Entry
    from smtpcode.compare import Comparison
    from smtpcode.records import Finding
    from smtpcode.tally import Tally

CLASS_STYLE = {
    "success": "green",
    "intermediate": "cyan",
    "transient": "yellow",
    "permanent": "red",
    "preliminary": "blue",
}


def make_console(stream: TextIO, color: str) -> Console:
    no_color = color == "never" or (color == "auto" and "NO_COLOR" in os.environ)
    # Rich drops all colour for TERM=dumb even when forced; --color always is an explicit
    # request, so fall back to the 16 standard colours there.
    dumb = os.environ.get("TERM", "") in ("dumb", "unknown")
    return Console(
        file=stream,
        force_terminal=True if color == "always" else None,
        color_system="standard" if color == "always" and dumb else "auto",
        no_color=no_color,
        highlight=False,
        markup=False,
        emoji=False,
    )


def text(value: str, style: str = "") -> Text:
    return Text(printable(value), style=style)


def rows_table(rows: list[Row]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for row in rows:
        if isinstance(row.value, tuple):
            value: RenderableType = Text("\n").join(text(f"• {v}") for v in row.value)
        else:
            value = text(row.value)
        grid.add_row(Text(row.label), value)
    return grid


class RichRenderer:
    def __init__(self, stream: TextIO, color: str) -> None:
        self.console = make_console(stream, color)
        self._parse_widths: list[int] | None = None
        self._parse_input: str | None = None

    def print(self, renderable: RenderableType) -> None:
        self.console.print(renderable)

    def explain(self, finding: Finding) -> None:
        parts: list[RenderableType] = []
        style = CLASS_STYLE.get(finding.klass or "", "")
        if finding.reply.text is not None:
            parts.append(rows_table(diagnosis_rows(finding)))
        for warning in finding.warnings:
            parts.append(text(f"⚠ {warning}", "bold yellow"))
        for entry in entries_of(finding):
            if parts:
                parts.append(Text(""))
            parts.append(text(heading(entry), f"bold {CLASS_STYLE.get(entry.klass or '', '')}"))
            parts.append(rows_table(entry_rows(entry)))
        self.console.print(
            Panel(Group(*parts), title=text(finding_title(finding), f"bold {style}"), expand=True)
        )

    def compare(self, comparison: Comparison) -> None:
        table = Table(show_lines=True, expand=True)
        table.add_column(Text(""), style="bold", no_wrap=True)
        for col in comparison.columns:
            table.add_column(
                text(col.code, f"bold {CLASS_STYLE.get(col.klass or '', '')}"),
                overflow="fold",
                ratio=1,
            )
        for aspect in comparison.aspects():
            cells: list[RenderableType] = [Text(aspect.label)]
            for values in aspect.values:
                bullet = "• " if len(values) > 1 else ""
                cells.append(Text("\n").join(text(f"{bullet}{v}") for v in values))
            table.add_row(*cells)
        parts: list[RenderableType] = [text(comparison.summary, "bold"), table]
        for title, sentences in comparison.sections():
            parts.append(Text(title, style="bold"))
            parts.extend(text(f"• {s}") for s in sentences)
        self.console.print(Group(*parts))

    def entries(self, entries: Sequence[Entry]) -> None:
        table = Table(box=None, pad_edge=False, header_style="bold")
        table.add_column(_("Code"), no_wrap=True)
        table.add_column(_("Title"), overflow="fold")
        table.add_column(_("Class"), no_wrap=True)
        table.add_column(_("Status"), no_wrap=True)
        for entry in entries:
            code, title, klass, status = list_row(entry)
            style = CLASS_STYLE.get(entry.klass or "", "")
            table.add_row(text(code, style), text(title), text(klass, style), text(status))
        self.console.print(table)

    # `parse` hands this renderer findings, drawn one by one.
    row_kind: str | None = None

    def parse_row(self, finding: Finding) -> None:
        # One fixed-width line per finding, printed as it is found (a table would wait
        # for the end of the input).
        from smtpcode.rows import COLUMNS, cells

        row = cells(finding, with_input=False)
        if self._parse_widths is None:
            self._parse_widths = [6, 4, 8, 12, 17]
            header = Text(style="bold")
            for name, width in zip(COLUMNS, self._parse_widths, strict=False):
                header.append(f"{_(name):<{width}} ")
            header.append(_(COLUMNS[-1]))
            self.console.print(header, no_wrap=True, overflow="ellipsis")
        source = finding.reply.input
        if source != self._parse_input:
            # One heading per input, as the input changes; rows give the line only.
            self._parse_input = source
            self.console.print(text(f"{source or '-'}", "bold underline"), no_wrap=True)
        style = CLASS_STYLE.get(finding.klass or "", "")
        line = Text()
        for i, (cell, width) in enumerate(zip(row, self._parse_widths, strict=False)):
            shown = printable(cell).replace("\n", " ")
            line.append(f"{shown:<{width}} ", style if i in (1, 2, 3) else "")
        line.append(printable(row[-1]).replace("\n", " "))
        self.console.print(line, no_wrap=True, overflow="ellipsis")

    def parse_summary(self, summary: Tally) -> None:
        inputs = _(" in {n} inputs").format(n=summary.inputs) if summary.inputs > 1 else ""
        headline = _("{n} replies").format(n=summary.findings) + inputs
        parts: list[RenderableType] = [text(headline, "bold")]
        for name, rows in summary.tables():
            table = Table(box=None, pad_edge=False, header_style="bold")
            table.add_column(_(name).capitalize(), no_wrap=True)
            table.add_column(_("Count"), justify="right", no_wrap=True)
            for key, count in rows:
                style = CLASS_STYLE.get(key, "") if name == "class" else ""
                table.add_row(text(key, style), Text(str(count)))
            parts += [Text(""), table]
        self.console.print(Group(*parts))

    def write_rows(self, rows: list[bytes]) -> None:
        raise NotImplementedError("a terminal table is drawn from findings (row_kind None)")

    def flush(self) -> None:
        self.console.file.flush()

    def close(self) -> None:
        self.flush()
