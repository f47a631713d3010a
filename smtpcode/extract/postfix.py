"""Postfix logs: delivery attempts (`to=<...>, relay=..., dsn=..., status=... (...)`),
replies quoted with `host X said: ... (in reply to RCPT TO command)`, and the server's own
refusals (`NOQUEUE: reject: RCPT from ...: 550 5.1.1 ...; from=<...> to=<...>`).

One delivery attempt is one reply: its `dsn=` and the remote server's words belong
together; an attempt without a remote reply ("delivered to mailbox", "Connection
refused") still has its dsn= status. Fields are found with str.find, not regexes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtpcode.extract.base import LineFamily
from smtpcode.extract.reader import decode
from smtpcode.extract.reply_text import command_in, find_reply, read_reply, unflatten
from smtpcode.records import Reply

if TYPE_CHECKING:
    from smtpcode.extract.session import Session

MTA = "postfix"
# relay= values that name no remote server.
_LOCAL_RELAYS = frozenset(("none", "local", "virtual", "lmtp", "pipe", "discard", "error"))
# What a reject line's "command" word means as an SMTP command.
_REJECT_STAGE = {"END-OF-MESSAGE": "DATA", "HEADER": "DATA", "BODY": "DATA", "CONNECT": None}


def _field(text: str, name: str, stop: str = ",") -> str | None:
    at = text.find(name)
    if at < 0:
        return None
    start = at + len(name)
    end = text.find(stop, start)
    return text[start : end if end >= 0 else len(text)]


def _host(relay: str | None) -> str | None:
    """The host name of "mx.example.com[192.0.2.1]:25"; None for a local transport."""
    if not relay:
        return None
    name = relay.split("[", 1)[0].strip()
    if not name or name in _LOCAL_RELAYS or name.startswith("private/") or name == "unknown":
        return None
    return name


def split_in_reply_to(text: str) -> tuple[str, str | None]:
    """ "550 ... (in reply to RCPT TO command)" -> ("550 ...", "RCPT")."""
    at = text.rfind("(in reply to ")
    if at < 0:
        return text, None
    return text[:at].rstrip(), command_in(text[at + 13 :])


def read_said(text: str) -> tuple[str | None, str, str | None] | None:
    """The server, reply and command of "host H[ip] said: <reply> (in reply to X command)"."""
    for marker in (" said: ", " refused to talk to me: "):
        at = text.find(marker)
        if at >= 0:
            before = text[:at]
            host = before.rsplit("host ", 1)[-1] if "host " in before else None
            reply, command = split_in_reply_to(text[at + len(marker) :])
            return _host(host), reply, command
    return None


# What a Postfix message that quotes a reply starts with, after "QUEUEID: " (or NOQUEUE).
_STARTS = (b"to=<", b"reject: ", b"host ", b"NOQUEUE: reject: ")


class Postfix(LineFamily):
    name = "postfix"

    def claims(self, line: bytes) -> bool:
        return line.find(b"postfix", 0, 160) >= 0

    def __init__(self) -> None:
        self._at = 0  # where "postfix" stood in the last line: in a log, the same place

    def take(self, line: bytes, lineno: int, session: Session) -> list[Reply] | None:
        # The hot path of a big log: look only near "postfix/prog[pid]: QUEUEID: ", never
        # scan the whole line, for the three out of four lines that quote no reply.
        at = self._at
        if not line.startswith(b"postfix", at):
            at = line.find(b"postfix", 0, 160)
            if at < 0:
                return None
            self._at = at
        msg = line.find(b": ", at)
        if msg < 0:
            return []
        msg += 2
        if not line.startswith(_STARTS, msg):
            qid = line.find(b": ", msg, msg + 20)
            if qid < 0 or not line.startswith(_STARTS, qid + 2):
                return []
        return self.feed(line, lineno, session)

    def feed(self, line: bytes, lineno: int, session: Session) -> list[Reply]:
        if b" dsn=" in line:
            return self._attempt(decode(line), lineno, session)
        if b"reject: " in line:
            return self._reject(decode(line), lineno, session)
        if b" said: " in line or b"refused to talk to me: " in line:
            said = read_said(decode(line))
            if said is not None:
                host, text, command = said
                codes = read_reply(text)
                if codes.basic or codes.enhanced:
                    return [
                        Reply(
                            codes.basic,
                            codes.enhanced,
                            unflatten(codes.text or text),
                            session.input,
                            lineno,
                            command=command,
                            mta=MTA,
                            host=host,
                        )
                    ]
        return []

    def _attempt(self, text: str, lineno: int, session: Session) -> list[Reply]:
        # "to=<a>, [orig_to=<b>, ]relay=h[ip]:25, delay=.., delays=.., dsn=X.Y.Z, status=S (what)"
        to_at = text.find("to=<")
        recipient = text[to_at + 4 : text.find(">", to_at)] if to_at >= 0 else None
        dsn = _field(text, " dsn=")
        relay = _field(text, " relay=")
        host = _host(relay) if relay else None
        what = ""
        open_at = text.find(" (", text.find(" status="))
        if open_at >= 0:
            close_at = text.rfind(")")
            what = text[open_at + 2 : close_at if close_at > open_at else len(text)].strip()
        command = None
        if " said: " in what or " refused to talk to me: " in what:
            said = read_said(what)
            if said is not None:
                said_host, what, command = said
                host = said_host or host
        if what:
            basic, enhanced, _ = read_reply(what)
            if basic is not None and len(what) > 4 and what[3] == "-":
                what = unflatten(what)
        else:
            basic = enhanced = None
        if enhanced is None and dsn and dsn[:1] in "245":
            enhanced = dsn
        return [
            Reply(
                basic,
                enhanced,
                what or None,
                session.input,
                lineno,
                recipient or None,
                command,
                MTA,
                host,
            )
        ]

    def _reject(self, text: str, lineno: int, session: Session) -> list[Reply]:
        at = text.find("reject: ") + 8
        words = text[at : at + 40].split(None, 1)
        stage = words[0].upper() if words else ""
        command = _REJECT_STAGE[stage] if stage in _REJECT_STAGE else command_in(stage)
        end = -1
        for trailer in ("; from=<", "; to=<", "; proto="):
            end = text.rfind(trailer, at)
            if end >= 0:
                break
        body = text[at : end if end >= 0 else len(text)]
        found = find_reply(body)
        if found is None:
            # Header and body checks put the reply after the trailer: "... helo=<x>: 5.7.1 ...".
            tail = text[end:] if end >= 0 else ""
            helo = tail.rfind(">: ")
            found = find_reply(tail[helo + 3 :]) if helo >= 0 else None
            if found is None:
                return []
        recipient = _field(text[end:], " to=<", ">") if end >= 0 else None
        if recipient is None and end >= 0:
            recipient = _field(text[end:], "; to=<", ">")
        return [
            Reply(
                found.basic,
                found.enhanced,
                found.text,
                session.input,
                lineno,
                recipient or None,
                command,
                MTA,
            )
        ]
