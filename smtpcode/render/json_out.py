"""JSON lines: one object per line, nothing else on stdout."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, BinaryIO, TextIO

from smtpcode.render.write import output_errors, write_rows

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from smtpcode.catalogue import Entry
    from smtpcode.compare import Comparison
    from smtpcode.records import Finding
    from smtpcode.render.parse_rows import FindingEncoder
    from smtpcode.tally import Tally


def dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))


# Bytes of `parse` rows gathered before one write: a row is a few KB of JSON, and the
# text layer's 8 KB buffer would cost a system call every other row.
ROWS_BUFFER = 1 << 18


class JsonRenderer:
    def __init__(self, stream: TextIO) -> None:
        self.out = stream
        self._encoder: FindingEncoder | None = None
        self._binary: BinaryIO | None = None
        self._rows: list[bytes] = []
        self._held = 0
        self._fd: int | None = None  # the binary stream's file, for write_rows()

    def explain(self, finding: Finding) -> None:
        self.out.write(dumps(finding.to_dict()) + "\n")

    def compare(self, comparison: Comparison) -> None:
        self.out.write(dumps(comparison.to_dict()) + "\n")

    def entries(self, entries: Sequence[Entry]) -> None:
        for entry in entries:
            self.out.write(dumps(entry.to_dict()) + "\n")

    def parse_row(self, finding: Finding) -> None:
        encoder = self._start_rows()
        if self._binary is not None:
            self.write_row(encoder.line(finding))
        else:
            self.out.write(encoder.encode(finding) + "\n")

    def rows_of(
        self, findings: Iterator[Finding]
    ) -> tuple[Iterator[bytes], Callable[[bytes], None]] | None:
        """The rows of a parse's findings, made without the findings where it can
        (stream.FindingStream.rows), and write_row; None when they must go through
        parse_row()."""
        from smtpcode.diagnosis_cache import FindingStream

        encoder = self._start_rows()
        if self._binary is None or not isinstance(findings, FindingStream):
            return None
        return findings.rows(encoder), self.write_row

    def write_row(self, row: bytes) -> None:
        """Writes a row, held back with others for one big write."""
        self._rows.append(row)
        self._held += len(row)
        if self._held >= ROWS_BUFFER:
            self._write_rows()

    def _start_rows(self) -> FindingEncoder:
        if self._encoder is None:
            from smtpcode.render.parse_rows import FindingEncoder

            self._encoder = FindingEncoder()
            # A day's log is hundreds of MB of JSON: write UTF-8 to the binary buffer
            # (after what the text layer holds), not through the text layer's encoder.
            self.out.flush()
            self._binary = getattr(self.out, "buffer", None)
            try:
                self._fd = self._binary.fileno() if self._binary is not None else None
            except (AttributeError, OSError, ValueError):
                self._fd = None
        return self._encoder

    def row_maker(self) -> Callable[[], Callable[[Finding], bytes]] | None:
        return _json_rows if self.out is sys.stdout else None

    def parse_summary(self, summary: Tally) -> None:
        self.out.write(dumps(summary.to_dict()) + "\n")

    def _write_rows(self) -> None:
        rows, self._rows, self._held = self._rows, [], 0
        with output_errors():
            if self._fd is None:
                self._binary.write(b"".join(rows))  # type: ignore[union-attr]
            else:
                self._binary.flush()  # type: ignore[union-attr]
                write_rows(self._fd, rows)

    def flush(self) -> None:
        with output_errors():
            self.out.flush()
            if self._binary is not None:
                if self._rows:
                    self._write_rows()
                self._binary.flush()

    def close(self) -> None:
        self.flush()


def _json_rows() -> Callable[[Finding], bytes]:
    from smtpcode.render.parse_rows import FindingEncoder

    return FindingEncoder()  # called per finding, or handed to DiagnosisCache.rows()
