"""The one interface the three renderers share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

    from smtpcode.catalogue import Entry
    from smtpcode.compare import Comparison
    from smtpcode.records import Finding
    from smtpcode.tally import Tally


class Renderer(Protocol):
    def explain(self, finding: Finding, brief: bool = False) -> None:
        """One finding from `explain`: the diagnosis (for a whole reply) and the meanings;
        brief: one short paragraph per code."""

    def compare(self, comparison: Comparison) -> None:
        """`compare`: the codes side by side, the key differences and when you see which."""

    def entries(self, entries: Sequence[Entry], why: Sequence[str] | None = None) -> None:
        """`list` and `search`: one compact row per code (code, class, status, title);
        for search, `why` says per entry where the query matched."""

    # What `parse` hands over: ready rows of this kind ("json", "tsv"; made by
    # smtpcode.rows for the pipeline) to write_rows(), or None: findings to parse_row().
    row_kind: str | None

    def parse_row(self, finding: Finding) -> None:
        """`parse`: one row per finding, written as soon as it is found."""

    def write_rows(self, rows: list[bytes]) -> None:
        """`parse`: rows ready to write, made by the pipeline's encoder of row_kind."""

    def parse_summary(self, summary: Tally) -> None:
        """`parse --summary`: counts by code, class and reason."""

    def flush(self) -> None:
        """Write out the rows held back so far (a live pipe, or another writer next)."""

    def close(self) -> None:
        """Flush whatever is buffered."""
