"""JSON lines: one object per line, nothing else on stdout."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from smtpcode.render.write import output_errors, write_bytes
from smtpcode.rows import dumps

if TYPE_CHECKING:
    from collections.abc import Sequence

    from smtpcode.catalogue import Entry
    from smtpcode.compare import Comparison
    from smtpcode.records import Finding
    from smtpcode.tally import Tally


class JsonRenderer:
    def __init__(self, stream: TextIO) -> None:
        self.out = stream

    def explain(self, finding: Finding, brief: bool = False) -> None:
        # The same finding either way: a script reads the fields it wants.
        self.out.write(dumps(finding.to_dict()) + "\n")

    def compare(self, comparison: Comparison) -> None:
        self.out.write(dumps(comparison.to_dict()) + "\n")

    def entries(self, entries: Sequence[Entry], why: Sequence[str] | None = None) -> None:
        for i, entry in enumerate(entries):
            item = entry.to_dict()
            if why is not None:
                item["matched"] = why[i].split(", ") if why[i] else []
            self.out.write(dumps(item) + "\n")

    # `parse` hands this renderer ready JSON rows (smtpcode.rows.FindingEncoder).
    row_kind: str | None = "json"

    def parse_row(self, finding: Finding) -> None:
        from smtpcode.rows import FindingEncoder

        self.write_rows([FindingEncoder().line(finding)])

    def write_rows(self, rows: list[bytes]) -> None:
        """Writes rows of UTF-8 JSON to the binary buffer (after what the text layer
        holds): a day's log is hundreds of MB of JSON."""
        write_bytes(self.out, rows)

    def parse_summary(self, summary: Tally) -> None:
        self.out.write(dumps(summary.to_dict()) + "\n")

    def flush(self) -> None:
        with output_errors():
            self.out.flush()

    def close(self) -> None:
        self.flush()
