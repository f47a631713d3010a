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
    the scanner stops there. `feed` does the real work on claimed lines only.
    """

    name: ClassVar[str]
    # Families that assemble multi-line replies in the session flush it themselves;
    # for the others the scanner flushes a pending reply before feeding them.
    assembles: ClassVar[bool] = False
    # Families that can read a stretch of their lines at once (see bulk).
    bulks: ClassVar[bool] = False
    # Families whose replies on a line depend on that line alone and that keep nothing
    # from one line to the next: a log of their lines may be read in chunks, each
    # chunk by another process (smtpcode.parallel).
    line_local: ClassVar[bool] = False

    def claims(self, line: bytes) -> bool:
        raise NotImplementedError

    def feed(self, line: bytes, lineno: int, session: Session) -> list[Reply]:
        raise NotImplementedError

    def bulk(
        self, block: bytes, pos: int, lineno: int, session: Session
    ) -> tuple[list[Reply], int, int, int]:
        """Reads the lines of `block` (whole lines, each ended by LF) from `pos`, a line
        start numbered `lineno`, as take() would, for as long as take() claims them.

        Returns their replies, where reading stopped (the first line take() does not
        claim, or len(block)), that line's number, and the number of the last line that
        gave replies. Only called while this family is sticky and nothing is pending in
        the session, so that each line's replies are what take() gives for it alone.
        """
        raise NotImplementedError

    def keeps(self, line: bytes, session: Session) -> bool:
        """Whether a line `claims` accepted is really this family's. A family that only
        recognises a wording ("Error:", "said:") hands a line in which it finds no reply
        to the finder (extract/candidates) instead of swallowing it."""
        return True

    def take(self, line: bytes, lineno: int, session: Session) -> list[Reply] | None:
        """`claims` and `feed` in one call (the scanner's hot path): None when the line
        is not this family's. Families on the hot path of big logs override it."""
        if not self.claims(line):
            return None
        return self.feed(line, lineno, session)
