"""Microsoft Exchange and Microsoft 365 non-delivery report text.

"Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'" (also "Remote
Server at mx (ip) returned '...'"), Exchange 2007's "#550 5.2.2 STOREDRV.Deliver: ...
##" diagnostic lines, and the "{LED=550 5.1.1 ...}" field of an NDR's status header.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtpcode.extract.base import LineFamily
from smtpcode.extract.candidates import reply_in_line
from smtpcode.extract.reader import decode
from smtpcode.extract.reply_text import find_reply, first_address, read_reply
from smtpcode.records import Reply

if TYPE_CHECKING:
    from smtpcode.extract.reply_text import Codes
    from smtpcode.extract.session import Session

MTA = "exchange"


def read_ndr_line(text: str) -> Codes | None:
    """The reply an Exchange NDR line quotes, or None."""
    at = text.find(" returned '")
    if at < 0:
        at = text.find(' returned "')
    if at >= 0 and "erver" in text[:at]:
        quote = text[at + 10]
        quoted = text[at + 11 :]
        end = quoted.rfind(quote)
        quoted = quoted[:end] if end > 0 else quoted
        # Exchange 2003 wraps it: "<mx.example.com #5.1.1 smtp;550 5.1.1 User unknown>".
        if quoted.startswith("<") and "smtp;" in quoted:
            quoted = quoted[quoted.find("smtp;") + 5 :].rstrip(">")
        if " -> " in quoted:
            # "550 5.7.514 ... -> 554 5.7.1 ...": Microsoft's verdict, then the remote
            # server's reply it passed on (the finding)
            passed_on = reply_in_line(quoted)
            if passed_on is not None:
                return passed_on
        codes = read_reply(quoted)
        return codes if codes.basic or codes.enhanced else find_reply(quoted)
    at = text.find("{LED=")
    if at >= 0:
        inner = text[at + 5 :]
        codes = read_reply(inner[: inner.find("}")] if "}" in inner else inner)
        return codes if codes.basic or codes.enhanced else None
    stripped = text.strip()
    if stripped.startswith("#") and len(stripped) > 4:
        codes = read_reply(stripped[1:].rstrip("#").rstrip())
        return codes if codes.basic or codes.enhanced else None
    return None


# How many lines after a recipient's address its diagnostic line may come.
RECIPIENT_REACH = 3


class Exchange(LineFamily):
    """An NDR lists each recipient on a line of its own ("user@example.com", Exchange
    2003: "user@example.com on <date>"), then its diagnostic line."""

    name = "exchange"

    def __init__(self) -> None:
        self.recipient: tuple[int, str] | None = None

    def claims(self, line: bytes) -> bool:
        if b" returned '" in line or b' returned "' in line or b"{LED=" in line:
            return True
        s = line.strip()
        if s[:1] == b"#" and s[1:2] in (b"2", b"4", b"5"):
            return True
        return _lone_address(s) is not None

    def feed(self, line: bytes, lineno: int, session: Session) -> list[Reply]:
        address = _lone_address(line.strip())
        if address is not None:
            self.recipient = (lineno, address)
            return []
        codes = read_ndr_line(decode(line))
        if codes is None:
            return []
        recipient = None
        if self.recipient is not None and lineno - self.recipient[0] <= RECIPIENT_REACH:
            recipient = self.recipient[1]
            self.recipient = None
        return [codes.reply(session.input, lineno, recipient, mta=MTA, direction="outbound")]


def _lone_address(line: bytes) -> str | None:
    """The address of a line that holds only one (or "address on <date>")."""
    if b"@" not in line or len(line) > 320:
        return None
    head, _, rest = line.partition(b" ")
    if rest and not rest.startswith(b"on "):
        return None
    text = decode(head).strip("<>")
    address = first_address(text)
    return address if address == text else None
