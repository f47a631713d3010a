"""Rich panels and tables for a terminal. Data always goes in as Text, never as markup."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, TextIO

from rich.console import Console, Group
from rich.panel import Panel
from rich.style import Style
from rich.table import Table
from rich.text import Text

from smtpcode.i18n import N_, _
from smtpcode.render.layout import (
    Row,
    diagnosis_rows,
    entries_of,
    entry_rows,
    finding_title,
    heading,
    list_row,
    matched_in,
)
from smtpcode.text import printable

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.console import RenderableType

    from smtpcode.catalogue import Entry
    from smtpcode.compare import Comparison
    from smtpcode.records import Finding
    from smtpcode.tally import Tally

# The narrowest column compare draws codes side by side in; below it, one under another.
WIDE_COLUMN = 36
# The longest bar of a summary (a share of 100 %).
BAR_WIDTH = 20
# The columns of parse's rows, shown in the current language.
PARSE_HEADER = (N_("What happened"), N_("Code"), N_("Recipient"), N_("Line"), N_("Time"))

CLASS_STYLE = {
    "success": "green",
    "intermediate": "cyan",
    "transient": "yellow",
    "permanent": "red",
    "preliminary": "blue",
}


def _row_widths(width: int) -> list[int]:
    """Column widths of parse rows at a terminal width: what happened, code, recipient,
    line, and the time from 120 columns on. What happened takes what is left."""
    fixed = [10, 28, 6] if width < 120 else [10, 32, 6, 25]
    if width < 72:
        fixed[1] = 20
    rest = width - sum(fixed) - len(fixed)
    return [max(rest, 20), *fixed]


def seen_span(first: str | None, last: str | None) -> str:
    """ "2026-11-29 00:38:09 – 00:40:13" (one day), or both in full."""
    if not first or not last:
        return first or last or ""
    a, b = first.replace("T", " "), last.replace("T", " ")
    if a == b:
        return a
    if a[:10] == b[:10] and a[:4].isdigit():
        return f"{a} – {b[11:]}"
    return f"{a} – {b}"


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


# What becomes a terminal hyperlink (OSC 8, where the terminal supports it): web
# addresses, and RFC references, which link to the RFC Editor's page (and section).
_LINKS = re.compile(r"https?://[^\s<>\"')\]]+|RFC ?(\d{3,4})(?: §(\d+(?:\.\d+)*))?")


def _url(m: re.Match[str]) -> str:
    if m.group(1) is None:
        return m.group().rstrip(".,;:")
    section = f"#section-{m.group(2)}" if m.group(2) else ""
    return f"https://www.rfc-editor.org/rfc/rfc{m.group(1)}{section}"


def text(value: str, style: str = "") -> Text:
    """Untrusted text as Rich Text (never markup), its web addresses and RFC references
    made hyperlinks."""
    shown = Text(printable(value), style=style)
    if "RFC" in value or "http" in value:
        for m in _LINKS.finditer(shown.plain):
            url = _url(m)
            end = m.start() + len(url) if m.group(1) is None else m.end()
            shown.stylize(Style(link=url), m.start(), end)
    return shown


def linked(value: str) -> Text:
    return text(value)


def bullets(items: Sequence[str]) -> Table:
    """A bulleted list whose wrapped lines hang under the text, not under the bullet."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True, width=1)
    grid.add_column(overflow="fold")
    for item in items:
        grid.add_row(Text("•"), text(item))
    return grid


def _one(values: Sequence[str]) -> Text:
    return text(values[0]) if values else Text("-")


def rows_table(rows: list[Row]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for row in rows:
        if isinstance(row.value, tuple):
            value: RenderableType = bullets(row.value)
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

    def explain(self, finding: Finding, brief: bool = False) -> None:
        parts: list[RenderableType] = []
        style = CLASS_STYLE.get(finding.klass or "", "")
        if brief:
            from smtpcode.render.layout import brief as brief_paragraphs

            for paragraph in brief_paragraphs(finding):
                self.console.print(linked(paragraph))
            return
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
        # Side by side, one column per code, where each column gets room for a sentence
        # (WIDE_COLUMN); on a narrower terminal, one block per aspect, codes one under
        # the other. "When you see it" is in the table: no section repeats it.
        aspects = comparison.aspects()
        wide = (self.console.width - 18) // max(len(comparison.columns), 1) >= WIDE_COLUMN
        parts: list[RenderableType] = [text(comparison.summary, "bold")]
        if wide:
            table = Table(show_lines=True, expand=True)
            table.add_column(Text(""), style="bold", no_wrap=True)
            for col in comparison.columns:
                table.add_column(
                    text(col.code, f"bold {CLASS_STYLE.get(col.klass or '', '')}"),
                    overflow="fold",
                    ratio=1,
                )
            for aspect in aspects:
                cells: list[RenderableType] = [Text(aspect.label)]
                for values in aspect.values:
                    cells.append(bullets(values) if len(values) > 1 else _one(values))
                table.add_row(*cells)
            parts.append(table)
        else:
            for aspect in aspects:
                parts.append(Text(""))
                parts.append(Text(aspect.label, style="bold"))
                grid = Table.grid(padding=(0, 1))
                grid.add_column(no_wrap=True)
                grid.add_column(overflow="fold")
                for col, values in zip(comparison.columns, aspect.values, strict=True):
                    style = f"bold {CLASS_STYLE.get(col.klass or '', '')}"
                    shown = bullets(values) if len(values) > 1 else _one(values)
                    grid.add_row(text(f"  {col.code}", style), shown)
                parts.append(grid)
        for title, sentences in comparison.sections():
            parts += [Text(""), Text(title, style="bold"), bullets(sentences)]
        self.console.print(Group(*parts))

    def entries(self, entries: Sequence[Entry], why: Sequence[str] | None = None) -> None:
        # The same columns, in the same order, as plain output: code, class, status, title.
        table = Table(box=None, pad_edge=False, header_style="bold")
        table.add_column(_("Code"), no_wrap=True)
        table.add_column(_("Class"), no_wrap=True)
        table.add_column(_("Status"), no_wrap=True)
        table.add_column(_("Title"), overflow="fold", ratio=2)
        if why is not None:
            table.add_column(_("Matched in"), overflow="fold", ratio=1, style="dim")
        for i, entry in enumerate(entries):
            code, title, klass, status = list_row(entry)
            style = CLASS_STYLE.get(entry.klass or "", "")
            cells = [text(code, style), text(klass, style), text(status), text(title)]
            if why is not None:
                cells.append(text(matched_in(why[i])))
            table.add_row(*cells)
        self.console.print(table)

    # `parse` hands this renderer findings, drawn one by one.
    row_kind: str | None = None

    def parse_row(self, finding: Finding) -> None:
        # One row per finding, printed as it is found (a table would wait for the end of
        # the input), in fixed columns that wrap instead of cutting anything off.
        from smtpcode.rows import headline

        r = finding.reply
        if self._parse_widths is None:
            self._parse_widths = _row_widths(self.console.width)
            self.console.print(self._row_grid([Text(_(h)) for h in PARSE_HEADER], "bold"))
        source = r.input
        if source != self._parse_input:
            # One heading per input, as the input changes; rows give the line only.
            self._parse_input = source
            self.console.print(text(f"{source or '-'}", "bold underline"), no_wrap=True)
        style = CLASS_STYLE.get(finding.klass or "", "")
        codes = " ".join(c for c in (r.basic, r.enhanced) if c) or "-"
        cells = [
            text(headline(finding)),
            text(codes, style),
            text(r.recipient or "-"),
            text(str(r.line) if r.line is not None else "-"),
        ]
        if len(self._parse_widths) > 4:
            cells.append(text((r.time or "-").replace("T", " ")))
        self.console.print(self._row_grid(cells, ""))

    def _row_grid(self, cells: Sequence[RenderableType], style: str) -> Table:
        widths = self._parse_widths or _row_widths(self.console.width)
        grid = Table.grid(padding=(0, 1))
        for width in widths:
            grid.add_column(width=width, overflow="fold", style=style)
        grid.add_row(*cells[: len(widths)])
        return grid

    def parse_summary(self, summary: Tally) -> None:
        from smtpcode.render.layout import capital, shown_key, summary_heading, table_name

        parts: list[RenderableType] = [text(summary_heading(summary), "bold")]
        if summary.group_by is not None:
            # Two lines per group, so that 80 columns hold it: the group and its counts,
            # then its most common reply, wrapped under an indent.
            from rich.padding import Padding

            groups = summary.group_lines()
            keys = [shown_key(g.key) for g in groups]
            key_w = min(max((len(k) for k in keys), default=0), 40)
            count_w = max((len(str(g.count)) for g in groups), default=1)
            fail_w = max((len(str(g.failures)) for g in groups), default=1)
            parts.append(Text(""))
            for key, g in zip(keys, groups, strict=True):
                head = Text()
                head.append(printable(key).ljust(key_w), "bold")
                head.append(f"  {g.count:>{count_w}} {f'({g.share * 100:.1f} %)':>9}")
                failed = _("{n} failed").format(n=f"{g.failures:>{fail_w}}")
                head.append(f"  {failed}", "red" if g.failures else "")
                head.append(f"  {seen_span(g.first, g.last)}")
                parts.append(head)
                parts.append(Padding(text(g.reply), (0, 0, 0, 4)))
            self.console.print(Group(*parts))
            return
        for name, lines in summary.tables():
            if not lines:
                continue
            table = Table(box=None, pad_edge=False, header_style="bold")
            table.add_column(capital(table_name(name)), overflow="fold")
            if name == "code":
                table.add_column(_("Title"), overflow="fold", ratio=1)
            table.add_column(_("Count"), justify="right", no_wrap=True)
            table.add_column(_("Share"), justify="right", no_wrap=True)
            table.add_column("", no_wrap=True)
            for line in lines:
                style = CLASS_STYLE.get(line.key, "") if name == "class" else ""
                cells: list[RenderableType] = [text(shown_key(line.key), style)]
                if name == "code":
                    cells.append(text(line.title))
                bar = "█" * max(1, round(line.share * BAR_WIDTH)) if line.count else ""
                cells += [
                    Text(str(line.count)),
                    Text(f"{line.share * 100:.1f} %"),
                    Text(bar, style=style or "cyan"),
                ]
                table.add_row(*cells)
            parts += [Text(""), table]
        self.console.print(Group(*parts))

    def write_rows(self, rows: list[bytes]) -> None:
        raise NotImplementedError("a terminal table is drawn from findings (row_kind None)")

    def flush(self) -> None:
        self.console.file.flush()

    def close(self) -> None:
        self.flush()
