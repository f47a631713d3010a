"""The interface every line-oriented extractor implements."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from smtpcode.extract.session import Session
    from smtpcode.records import Reply


class LineFamily:
    """One input family read line by line (a log format, a transcript, exception texts).

    `claims` is the cheap prefilter: a few substring tests on the raw bytes, no regex and
    no decoding. A claimed line belongs to the family even when it yields nothing, so
    the registry stops there. `feed` does the real work on claimed lines only.
    """

    name: ClassVar[str]
    # Families that assemble multi-line replies in the session flush it themselves;
    # for the others the registry flushes a pending reply before feeding them.
    assembles: ClassVar[bool] = False
    # Families that can find the lines they would ignore in bulk (see skip_to).
    skips: ClassVar[bool] = False

    def claims(self, line: bytes) -> bool:
        raise NotImplementedError

    def feed(self, line: bytes, lineno: int, session: Session) -> list[Reply]:
        raise NotImplementedError

    def skip_to(self, block: bytes, pos: int) -> int:
        """Where the first line at or after `pos` starts that take() might not claim and
        ignore (`block` holds whole lines, each ended by LF; len(block) when none is left).
        Only called while this family is sticky and nothing is pending in the session."""
        return pos

    def take(self, line: bytes, lineno: int, session: Session) -> list[Reply] | None:
        """`claims` and `feed` in one call (the registry's hot path): None when the line
        is not this family's. Families on the hot path of big logs override it."""
        if not self.claims(line):
            return None
        return self.feed(line, lineno, session)
