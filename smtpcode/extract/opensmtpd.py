"""OpenSMTPD logs: `mta delivery ... to=<a> relay="mx (ip)" result="PermFail" stat="550 ..."`
for deliveries, `smtp failed-command command="RCPT TO:<a>" result="550 ..."` for the
server's own refusals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtpcode.extract.base import LineFamily
from smtpcode.extract.reader import decode
from smtpcode.extract.reply_text import command_in, field_after, first_address, read_reply
from smtpcode.extract.timestamps import line_time
from smtpcode.records import Reply

if TYPE_CHECKING:
    from smtpcode.extract.session import Session

MTA = "opensmtpd"


def _quoted(text: str, name: str) -> str | None:
    return field_after(text, name + '="', '"')


def _angled(text: str, name: str) -> str | None:
    return field_after(text, name + "=<", ">", to_end=False) or None


class OpenSmtpd(LineFamily):
    name = "opensmtpd"

    def claims(self, line: bytes) -> bool:
        return b" mta delivery " in line or b" failed-command " in line

    def feed(self, line: bytes, lineno: int, session: Session) -> list[Reply]:
        text = decode(line)
        if " failed-command " in text:
            command_text = _quoted(text, "command") or ""
            command = command_in(command_text)
            recipient = first_address(command_text) if command == "RCPT" else None
            said = _quoted(text, "result")
            host = None
        else:
            command = None
            recipient = _angled(text, " to")
            said = _quoted(text, "stat")
            relay = _quoted(text, "relay")
            host = relay.split(None, 1)[0] if relay else None
        if not said:
            return []
        codes = read_reply(said)
        if codes.basic is None and codes.enhanced is None:
            return []
        return [
            codes.reply(
                session.input,
                lineno,
                recipient,
                command,
                MTA,
                host,
                line_time(text, session.clock),
            )
        ]
