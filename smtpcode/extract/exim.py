"""Exim main and reject logs.

Delivery lines carry a flag after the message id: `**` failed, `==` deferred, `=>` and
`->` delivered. A remote refusal reads "SMTP error from remote mail server after RCPT
TO:<x>: 550-5.1.1 ...\\n550 5.1.1 ..." (Exim writes the line breaks as a backslash and
n); a delivery's confirmation is `C="250 2.0.0 OK ..."`. Exim's own refusals of clients
carry no code, except the authenticator's ("535 Incorrect authentication data").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtpcode.extract.base import LineFamily
from smtpcode.extract.reader import decode
from smtpcode.extract.reply_text import command_in, find_reply, strip_address
from smtpcode.records import Reply

if TYPE_CHECKING:
    from smtpcode.extract.session import Session

MTA = "exim"
_FLAGS = ("**", "==", "=>", "->", "*>")
_ERROR = "SMTP error from remote ma"  # "... mail server after" (older Exim: "mailer after")


def _recipient(text: str) -> str | None:
    """The address after the delivery flag: "... 1abc-000-xy ** user@example.com R=..."."""
    for flag in _FLAGS:
        at = text.find(f" {flag} ")
        if at >= 0:
            words = text[at + 4 :].split(None, 1)
            return strip_address(words[0].rstrip(":")) if words else None
    return None


def _host(text: str) -> str | None:
    at = text.find(" H=")
    if at < 0:
        return None
    name = text[at + 3 :].split(None, 1)
    return name[0] if name and not name[0].startswith("[") else None


def split_after(text: str) -> tuple[str | None, str]:
    """The command and the reply of "after RCPT TO:<x>: host h [ip]: 550 ...".

    The stage ends where the reply starts: the first code that stands alone after it.
    """
    stage_end = text.find(": ")
    command = None
    if text.startswith("after "):
        stage = text[6:]
        if stage.startswith(("end of data", "pipelined end of data")):
            command = "DATA"
        elif stage.startswith("initial connection"):
            command = None
        else:
            command = command_in(stage.split(":", 1)[0])
    return command, text[stage_end + 2 :] if stage_end >= 0 else text


class Exim(LineFamily):
    name = "exim"

    def claims(self, line: bytes) -> bool:
        return (
            b"SMTP error from remote" in line or b' C="' in line or b"authenticator failed" in line
        )

    def feed(self, line: bytes, lineno: int, session: Session) -> list[Reply]:
        text = decode(line)
        at = text.find(_ERROR)
        command = None
        if at >= 0:
            after = text.find(" after ", at)
            command, rest = split_after(text[after + 1 :] if after >= 0 else text[at:])
        elif ' C="' in text:
            rest = text[text.find(' C="') + 4 :]
            rest = rest[: rest.rfind('"')] if '"' in rest else rest
        else:
            rest = text[text.find("authenticator failed") :]
            rest = rest.split(": ", 1)[-1]
            cut = rest.rfind(" (set_id=")
            rest = rest[:cut] if cut >= 0 else rest
            command = "AUTH"
        found = find_reply(rest.replace("\\n", "\n"))
        if found is None:
            return []
        return [
            Reply(
                found.basic,
                found.enhanced,
                found.text,
                session.input,
                lineno,
                _recipient(text),
                command,
                MTA,
                _host(text),
            )
        ]
