"""Making untrusted text safe to show: no control sequences reach a terminal."""

from __future__ import annotations

import re

# C0 controls except TAB and LF, DEL, and C1 controls (0x80-0x9f, which some terminals
# treat like ESC). CR is kept out too: a bare CR would let text overwrite a line.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escape(m: re.Match[str]) -> str:
    return f"\\x{ord(m.group()):02x}"


def printable(text: str) -> str:
    """The text with every control character shown as a visible \\xNN escape."""
    return _CONTROL.sub(_escape, text)


def one_line(text: str) -> str:
    """printable(), with line breaks shown as the two characters \\n."""
    return printable(text).replace("\n", "\\n").replace("\t", " ")
