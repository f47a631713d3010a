"""The one interface the three renderers share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from smtpcode.catalogue import Entry
    from smtpcode.compare import Comparison
    from smtpcode.records import Finding
    from smtpcode.tally import Tally


class Renderer(Protocol):
    def explain(self, finding: Finding) -> None:
        """One finding from `explain`: the diagnosis (for a whole reply) and the meanings."""

    def compare(self, comparison: Comparison) -> None:
        """`compare`: the codes side by side, the key differences and when you see which."""

    def entries(self, entries: Sequence[Entry]) -> None:
        """`list` and `search`: one compact row per code."""

    def parse_row(self, finding: Finding) -> None:
        """`parse`: one row per finding, written as soon as it is found."""

    def rows_of(
        self, findings: Iterator[Finding]
    ) -> tuple[Iterator[bytes], Callable[[bytes], None]] | None:
        """The bytes parse_row() would write for each finding, made the cheapest way the
        renderer knows, and what writes them; None: use parse_row()."""

    def row_maker(self) -> Callable[[], Callable[[Finding], bytes]] | None:
        """How another process makes the bytes parse_row() would write for a finding, to
        write them itself (smtpcode.parallel); None when it cannot."""

    def parse_summary(self, summary: Tally) -> None:
        """`parse --summary`: counts by code, class and reason."""

    def flush(self) -> None:
        """Write out the rows held back so far (a live pipe, or another writer next)."""

    def close(self) -> None:
        """Flush whatever is buffered."""
