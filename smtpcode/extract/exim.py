"""Exim main and reject logs.

Delivery lines carry a flag after the message id: `**` failed, `==` deferred, `=>` and
`->` delivered. A remote refusal reads "SMTP error from remote mail server after RCPT
TO:<x>: 550-5.1.1 ...\\n550 5.1.1 ..." (Exim writes the line breaks as a backslash and
n); a delivery's confirmation is `C="250 2.0.0 OK ..."`. Exim's own refusals of clients
carry no code, except the authenticator's ("535 Incorrect authentication data").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smtpcode.extract.base import LineFamily
from smtpcode.extract.reader import decode
from smtpcode.extract.reply_text import command_in, find_reply, first_address, strip_address
from smtpcode.extract.timestamps import line_time
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
    """The remote host: "H=mx.example.com [192.0.2.1]", or in the error itself
    "...: host mx.example.com [192.0.2.1]: 550 ..."."""
    at = text.find(" H=")
    if at >= 0:
        name = text[at + 3 :].split(None, 1)
    else:
        at = text.find(": host ")
        name = text[at + 7 :].split(None, 2) if at >= 0 else []
        if len(name) < 2 or not name[1].startswith("["):
            return None
    return name[0] if name and not name[0].startswith("[") else None


def split_after(text: str) -> tuple[str | None, str]:
    """The command and the reply of "after RCPT TO:<x>: host h [ip]: 550 ...".

    The stage ends where the reply starts: the first code that stands alone after it.
    """
    stage_end = text.find(": ")
    command = None
    if text.startswith("after "):
        stage = text[6:]
        command = stage_command(stage)
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
        # Deliveries are the local server's client side; an authenticator's failure is
        # the local server refusing a client's login.
        direction = "outbound"
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
            direction = "inbound"
        found = find_reply(rest.replace("\\n", "\n"))
        if found is None:
            if at >= 0 and text.rstrip().endswith(":"):
                # The reply follows on continuation lines ("... after RCPT TO:<a>:" then
                # "  550-5.1.1 ..."), read as raw reply lines: they answer this command.
                session.command = command
                session.rcpt = _recipient(text) or first_address(text[at:])
                session.mta = session.mta or MTA
            return []
        host = _host(text) if direction == "outbound" else None
        return [
            found.reply(
                session.input,
                lineno,
                _recipient(text),
                command,
                MTA,
                host,
                line_time(text, session.clock),
                direction,
            )
        ]


# -- Exim's bounce notice --------------------------------------------------------------
# "The following address(es) failed:" (a bounce) or "The address to which the message
# has not yet been delivered is:" (a delay warning), then one entry per address: the
# address two spaces in, the lines about it deeper in. A local delivery names its
# transport instead of an address ("pipe to |/path", "save to /path") and explains
# itself without a code ("mailbox is full: retry timeout exceeded"). What a pipe or
# filter printed follows under "The following text was generated during the delivery
# attempt:", headed by "------ <address> ------".
_SECTION_HEADS = (
    "address(es) failed",
    "addresses failed",
    "address failed",
    "have not yet been delivered",
    "has not yet been delivered",
)
_GENERATED_HEAD = "generated during the delivery attempt"
_LOCAL_TRANSPORTS = ("pipe to ", "save to ", "transport ")
# Lines under an address that say where it came from, not what happened.
_ORIGIN = re.compile(r"\(?(?:ultimately )?generated (?:from|by)\b|^host \S+ \[[^\]]*\]:?$", re.I)
# The longest explanation kept for one address, and the most lines read per entry.
MAX_FAILURE_TEXT = 2000
MAX_ENTRY_LINES = 200


@dataclass(frozen=True, slots=True)
class Failure:
    """One address of an Exim notice, with its lines and what they say."""

    recipient: str
    line: int
    block: tuple[tuple[int, str], ...]  # the address line and the lines under it
    text: str | None  # the explanation, without the lines about the address's origin
    command: str | None  # the command an "SMTP error ... after <stage>" names


def stage_command(stage: str) -> str | None:
    """The command an Exim stage names: "initial connection" -> CONNECT, "MAIL
    FROM:<a> SIZE=9" -> MAIL, "RCPT TO:<a>" -> RCPT, "end of data" / "pipelined DATA"
    -> DATA."""
    low = stage.strip().lower()
    if low.startswith(("initial connection", "connection")):
        return "CONNECT"
    if low.startswith(("end of data", "pipelined end of data", "sending data block")):
        return "DATA"
    return command_in(stage.split(":", 1)[0])


def _failure_address(line: str) -> tuple[str, str]:
    """The recipient an entry's first line names, and any text after it on the line."""
    s = line.strip()
    low = s.lower()
    for transport in _LOCAL_TRANSPORTS:
        if low.startswith(transport):
            return s[len(transport) :].strip(), ""
    head, sep, rest = s.partition(" ")
    address = head.rstrip(":").strip("<>")
    return address, rest.strip() if sep else ""


def _command_of(lines: list[str]) -> str | None:
    joined = " ".join(lines)
    at = joined.find(_ERROR)
    if at < 0:
        return None
    after = joined.find(" after ", at)
    return stage_command(joined[after + 7 :]) if after >= 0 else None


def read_failures(lines: list[tuple[int, str]]) -> list[Failure]:
    """The addresses an Exim notice lists as failed (or delayed), in order; [] when the
    notice has no such list."""
    entries: list[list[tuple[int, str]]] = []
    generated: list[tuple[str, list[str]]] = []
    state = ""  # "list": in the address list; "text": in delivery-attempt text
    base = 0
    for n, line in lines:
        stripped = line.strip()
        low = stripped.lower()
        if low.endswith(":") and any(head in low for head in _SECTION_HEADS):
            state, base = "list", 0
            continue
        if _GENERATED_HEAD in low:
            state = "text"
            continue
        if state == "list":
            if not stripped:
                continue
            indent = len(line) - len(line.lstrip())
            if indent == 0:
                state = ""
                continue
            if not base or indent <= base:
                base = indent
                entries.append([(n, line)])
            elif len(entries[-1]) < MAX_ENTRY_LINES:
                entries[-1].append((n, line))
        elif state == "text":
            if stripped.startswith("------"):
                if "copy of the message" in low or "this is a copy" in low:
                    state = ""
                    continue
                generated.append((stripped.strip("- "), []))
            elif generated and stripped and len(generated[-1][1]) < MAX_ENTRY_LINES:
                if stripped.endswith("------") and not generated[-1][1]:
                    continue  # the header wrapped onto a second line
                generated[-1][1].append(stripped)
    out: list[Failure] = []
    for entry in entries:
        recipient, inline = _failure_address(entry[0][1])
        if not recipient:
            continue
        under = [x.strip() for _, x in entry[1:]]
        said = [x for x in ([inline] if inline else []) + under if not _ORIGIN.match(x)]
        for head, words in generated:
            if words and (head.startswith(recipient) or recipient in head):
                said += words
        text = " ".join(said)[:MAX_FAILURE_TEXT] or None
        out.append(Failure(recipient, entry[0][0], tuple(entry), text, _command_of(under)))
    return out
