"""Delivery status fields met line by line, outside a whole bounce message: a report
pasted into a log or a ticket ("Final-Recipient: rfc822; a@b", "Status: 5.1.1",
"Diagnostic-Code: smtp; 550 ..."). A recipient's fields are gathered until the block
ends, then reported as one reply.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from smtpcode.extract.base import LineFamily
from smtpcode.extract.dsn import choose_enhanced, field_name, status_comment
from smtpcode.extract.reader import decode
from smtpcode.extract.reply_text import (
    NESTED_REPLY,
    Codes,
    enhanced_at_start,
    read_reply,
    strip_address,
)
from smtpcode.records import Reply

if TYPE_CHECKING:
    from smtpcode.extract.session import Session

_STARTS = (
    b"final-recipient:",
    b"original-recipient:",
    b"diagnostic-code:",
    b"status:",
    b"remote-mta:",
    b"action:",
)


class DsnFields(LineFamily):
    name = "dsn"
    assembles = True  # it holds a recipient's reply until the block ends

    def claims(self, line: bytes) -> bool:
        return line[:1] in b"FfOoDdSsRrAa" and line[:19].lower().startswith(_STARTS)

    def feed(self, line: bytes, lineno: int, session: Session) -> list[Reply]:
        text = decode(line)
        name = field_name(text)
        value = text.split(":", 1)[1].strip()
        held = session.held
        out: list[Reply] = []
        if session.code is not None:
            out = session.flush()
            held = None
        if name in ("final-recipient", "original-recipient"):
            recipient = strip_address(value)
            if held is not None and held.recipient == recipient:
                return out
            return out + session.hold(
                Reply(None, None, None, session.input, lineno, recipient, direction="outbound")
            )
        if held is None:
            held = Reply(None, None, None, session.input, lineno, direction="outbound")
        if name == "status":
            status = enhanced_at_start(value)
            held = dataclasses.replace(
                held,
                enhanced=choose_enhanced(status, held.enhanced),
                # The comment ("Status: 5.1.1 (user unknown)") until a Diagnostic-Code
                # gives the reply itself.
                text=held.text if held.text is not None else status_comment(value),
            )
        elif name == "diagnostic-code":
            _, _, said = value.partition(";") if ";" in value[:30] else ("", "", value)
            codes = read_reply(said)
            nested = NESTED_REPLY.match(said.strip()) if codes.enhanced is None else None
            if nested is not None:
                # The remote banner before the reply: "220-laposte 421 4.2.1 ..."
                codes = Codes(nested[1], nested[2], said.strip()[nested.start(1) :])
            enhanced = held.enhanced
            if codes.enhanced:
                enhanced = choose_enhanced(held.enhanced, codes.enhanced)
            held = dataclasses.replace(
                held,
                basic=codes.basic,
                enhanced=enhanced,
                text=codes.text or held.text,
                line=lineno,
            )
        elif name == "remote-mta":
            host = value.partition(";")[2].strip().split()
            held = dataclasses.replace(held, remote_host=host[0] if host else None)
        session.held = held
        return out
