"""Replies quoted inside a sentence, as bounce bodies and notices phrase them, met
outside a whole bounce message (a bounce body pasted without its headers):
"Remote host said: 550 ...", "host mx[ip] said: 550 ...", "failed with: 550 ...",
"The error that the other server returned was: 550 ...", "ERROR_CODE :550".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtpcode.extract.base import LineFamily
from smtpcode.extract.candidates import reply_in_line
from smtpcode.extract.postfix import split_in_reply_to
from smtpcode.extract.reader import decode
from smtpcode.extract.reply_text import find_reply
from smtpcode.records import Reply

if TYPE_CHECKING:
    from smtpcode.extract.session import Session

MARKERS = (b"said:", b"said :", b"failed with:", b"returned was:", b"ERROR_CODE :")


class Embedded(LineFamily):
    name = "embedded"

    def claims(self, line: bytes) -> bool:
        return any(m in line for m in MARKERS)

    def keeps(self, line: bytes, session: Session) -> bool:
        return self.take(line, 0, session) is not None

    def take(self, line: bytes, lineno: int, session: Session) -> list[Reply] | None:
        if not self.claims(line):
            return None
        out = self.feed(line, lineno, session)
        # Nothing found, or only a code whose text a folded bounce put on the next lines
        # ("said: 421" then "4.7.0 [TSS04] ..."): the finder reads it with those lines.
        if not out or (out[0].text or "").strip() == out[0].basic:
            return None
        return out

    def feed(self, line: bytes, lineno: int, session: Session) -> list[Reply]:
        text = decode(line)
        for marker in MARKERS:
            at = text.find(marker.decode())
            if at >= 0:
                said, command = split_in_reply_to(text[at + len(marker) :])
                found = find_reply(said)
                if found is None:
                    return []
                if found.enhanced is None:
                    # "550 cuda_nsu 5.1.1": the enhanced code after a vendor's token
                    paired = reply_in_line(said)
                    if paired is not None and paired.basic == found.basic:
                        found = found._replace(enhanced=paired.enhanced)
                return [found.reply(session.input, lineno, command=command)]
        return []
