"""OpenSMTPD logs: `mta delivery ... to=<a> relay="mx (ip)" result="PermFail" stat="550 ..."`
for deliveries, `smtp failed-command command="RCPT TO:<a>" result="550 ..."` for the
server's own refusals; and the older format (OpenSMTPD before 6.4) of the same two,
`relay: PermFail for <id>: ... to=<a>, ... stat=550 ...` and `smtp-in: Failed command on
session <id>: "RCPT TO:<a>" => 550 ...`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtpcode.extract.base import LineFamily
from smtpcode.extract.reader import decode
from smtpcode.extract.reply_text import (
    command_in,
    field_after,
    first_address,
    first_word,
    read_reply,
)
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
        return (
            b" mta delivery " in line
            or b" failed-command " in line
            or b"Failed command on session " in line
            or (b"Fail for " in line and b" stat=" in line)
        )

    def feed(self, line: bytes, lineno: int, session: Session) -> list[Reply]:
        text = decode(line)
        if "Failed command on session " in text or ("Fail for " in text and " stat=" in text):
            return _older(text, lineno, session)
        if " failed-command " in text:
            command_text = _quoted(text, "command") or ""
            command = command_in(command_text)
            recipient = first_address(command_text) if command == "RCPT" else None
            said = _quoted(text, "result")
            host = None
            direction = "inbound"  # smtp-in: the local server refusing a client
        else:
            command = None
            recipient = _angled(text, " to")
            said = _quoted(text, "stat")
            relay = _quoted(text, "relay")
            host = first_word(relay) if relay else None
            direction = "outbound"
        if not said:
            return []
        codes = read_reply(said)
        if codes.basic is None and codes.enhanced is None:
            return []
        when = line_time(text, session.clock)
        return [codes.reply(session.input, lineno, recipient, command, MTA, host, when, direction)]


def _older(text: str, lineno: int, session: Session) -> list[Reply]:
    """A line of OpenSMTPD's older log format."""
    if "Failed command on session " in text:
        command_text, _, said = text.partition('" => ')
        command_text = command_text[command_text.rfind('"') + 1 :]
        command = command_in(command_text)
        recipient = first_address(command_text) if command == "RCPT" else None
        host = None
        direction = "inbound"  # smtp-in: this server refused a client
    else:
        command = None
        recipient = _angled(text, " to")
        said = text[text.rfind(" stat=") + 6 :]
        relay = field_after(text, " relay=", ",")
        host = relay.split(None, 1)[0] if relay else None
        direction = "outbound"
    codes = read_reply(said)
    if codes.basic is None and codes.enhanced is None:
        return []
    when = line_time(text, session.clock)
    return [codes.reply(session.input, lineno, recipient, command, MTA, host, when, direction)]
