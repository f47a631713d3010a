"""Postfix logs: delivery attempts (`to=<...>, relay=..., dsn=..., status=... (...)`),
replies quoted with `host X said: ... (in reply to RCPT TO command)`, and the server's own
refusals (`NOQUEUE: reject: RCPT from ...: 550 5.1.1 ...; from=<...> to=<...>`).

One delivery attempt is one reply: its `dsn=` and the remote server's words belong
together; an attempt without a remote reply ("delivered to mailbox", "Connection
refused") still has its dsn= status.

Speed: a big log is mostly lines that quote no reply. bulk() finds the few that may, a
block at a time, and only those are read; the usual delivery line is read with one
(linear) regex, any other shape field by field with str.find.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from smtpcode.codes import valid_enhanced
from smtpcode.extract.base import LineFamily
from smtpcode.extract.reader import decode
from smtpcode.extract.reply_text import (
    REPLY_START,
    command_in,
    field_after,
    find_reply,
    read_reply,
    unflatten,
)
from smtpcode.extract.timestamps import line_time
from smtpcode.records import Reply, new_reply

if TYPE_CHECKING:
    from smtpcode.extract.session import Session

MTA = "postfix"
# relay= values that name no remote server.
_LOCAL_RELAYS = frozenset(("none", "local", "virtual", "lmtp", "pipe", "discard", "error"))
# What a reject line's "command" word means as an SMTP command.
_REJECT_STAGE = {"END-OF-MESSAGE": "DATA", "HEADER": "DATA", "BODY": "DATA", "CONNECT": None}


def _field(text: str, name: str, stop: str = ",") -> str | None:
    return field_after(text, name, stop)


def attempt_fields(text: str) -> tuple[str | None, str | None, str | None, str]:
    """Recipient, relay, dsn and the parenthesised outcome of a delivery attempt, found
    field by field (the regex _DELIVERY reads the usual lines the same in one go)."""
    to_at = text.find("to=<")
    recipient = text[to_at + 4 : text.find(">", to_at)] if to_at >= 0 else None
    if to_at < 0:
        # local(8) may write the address bare: "to=jeff@example.org, relay=local"
        recipient = _field(text, " to=")
    what = ""
    open_at = text.find(" (", text.find(" status="))
    if open_at >= 0:
        close_at = text.rfind(")")
        what = text[open_at + 2 : close_at if close_at > open_at else len(text)].strip()
    return recipient, _field(text, " relay="), _field(text, " dsn="), what


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


# A delivery attempt as Postfix writes it, the whole line in one match instead of a find
# per field. Nothing before a field can hold its name (no "<" or "=" before "to=<", no
# spaces inside the values), so each group is what the finds in _attempt would read; a
# line of any other shape is read by the finds. Linear: no nested or adjacent open repeats.
_DELIVERY = re.compile(
    r"[^<=]*: to=<([^<>\s]*)>,(?: orig_to=<[^<>\s]*>,)?"
    r" relay=([^\s,]*),(?: conn_use=[0-9]+,)? delay=[0-9.]+, delays=[0-9./]+,"
    r" dsn=([^\s,]*), status=[a-z]+ \((.*)\)"
)
# What a Postfix message that quotes a reply starts with, after "QUEUEID: " (or NOQUEUE).
_STARTS = (b"to=", b"reject: ", b"host ", b"NOQUEUE: reject: ", b"milter-reject: ")
# take() reads a line only when one of _STARTS follows a ": ": a line without such a
# marker is one it ignores ("NOQUEUE: reject: " holds ": reject: "). One regex finds them
# all, faster than a bytes.find per marker (it looks only where ": " stands).
_MARKERS = re.compile(rb": (?:to=|reject: |host |milter-reject: )")


def _codes(what: str) -> tuple[str | None, str | None, str]:
    """Basic and enhanced code of a delivery attempt's outcome, and its text (a reply
    that Postfix flattened onto one line split back into lines)."""
    if not what:
        return None, None, what
    if what[0] in "2345" and what[3:4] == " " and what[1:3] in _TWO_DIGITS:
        # "250 2.0.0 Ok ...", most outcomes: what REPLY_START reads there, without it.
        end = what.find(" ", 4)
        word = what[4:end] if end > 0 else what[4:]
        enhanced = _ENHANCED_WORDS.get(word)
        if enhanced is None:
            if len(_ENHANCED_WORDS) >= 1024:
                _ENHANCED_WORDS.clear()
            enhanced = _ENHANCED_WORDS[word] = _ENHANCED_WORD.fullmatch(word) is not None
        if enhanced:
            return what[:3], word, what
    # read_reply(what) for a stripped text that starts with a code, in one match.
    m = REPLY_START.match(what) if what[0] in "2345" else None
    if m is not None:
        basic, enhanced_code = m.group(1, 2)
    else:
        basic, enhanced_code, _ = read_reply(what)
    if basic is not None and len(what) > 4 and what[3] == "-":
        what = unflatten(what)
    return basic, enhanced_code, what


_TWO_DIGITS = frozenset(f"{n:02d}" for n in range(100))
# An enhanced code as a word of its own, and the words seen, whether they are one.
_ENHANCED_WORD = re.compile(r"[245]\.[0-9]{1,3}\.[0-9]{1,3}")
_ENHANCED_WORDS: dict[str, bool] = {}


def _said(what: str) -> tuple[str | None, str | None, str, str | None, str | None]:
    """_codes() of the reply quoted in "host H said: <reply> (in reply to X command)",
    with the command and the host."""
    said = read_said(what)
    if said is None:
        return (*_codes(what), None, None)
    host, reply, command = said
    return (*_codes(reply), command, host)


# _said() of the outcomes seen (a dict: lru_cache costs more).
_SAID: dict[str, tuple[str | None, str | None, str, str | None, str | None]] = {}
# _host() of the relays seen, for delivery attempts (a dict: lru_cache costs more).
_HOSTS: dict[str, str | None] = {}
_UNKNOWN = ""


# Columns where "postfix" was found, remembered for planning (a log merged from hosts
# of different name lengths has several).
MAX_COLUMNS = 4


@lru_cache(maxsize=256)
def _odd_lines(columns: tuple[int, ...]) -> re.Pattern[bytes]:
    """Finds the LF before each line that has "postfix" at none of these columns."""
    at = b"|".join(rb"[^\n]{%d}postfix" % column for column in columns)
    return re.compile(rb"\n(?!" + at + rb")")


class Postfix(LineFamily):
    name = "postfix"
    bulks = True
    line_local = True

    def claims(self, line: bytes) -> bool:
        return line.find(b"postfix", 0, 160) >= 0

    def __init__(self) -> None:
        self._at = 0  # where "postfix" stood in the last line: in a log, the same place
        self._columns: tuple[int, ...] = ()  # where it stood, latest first (MAX_COLUMNS)
        # The starts of the lines in a block that take() must see.
        self._plan_block = b""
        self._plan: list[int] = []
        self._next = 0  # index of the first plan entry not yet passed

    def bulk(
        self, block: bytes, pos: int, lineno: int, session: Session
    ) -> tuple[list[Reply], int, int, int]:
        # A line that has "postfix" at a usual column and none of the markers is one
        # take() claims and ignores, giving nothing (what it may change is only where it
        # looks first). The others are found for the whole block at once with two regexes
        # (_lines_to_read); only they are read, by take().
        out: list[Reply] = []
        last = lineno
        end = len(block)
        if block is not self._plan_block:
            # (Found at its first place, "postfix" was never looked for elsewhere.)
            self._plan = _lines_to_read(block, pos, self._columns or (self._at,))
            self._plan_block, self._next = block, 0
        plan, i = self._plan, self._next
        while i < len(plan) and plan[i] < pos:
            i += 1
        planned = len(plan)
        take, count, find = self.take, block.count, block.find
        while True:
            # plan[i] is the next line to read: each planned line is one line start.
            to = plan[i] if i < planned else end
            lineno += count(b"\n", pos, to)
            pos = to
            if pos >= end:
                break
            nl = find(b"\n", pos)
            replies = take(block[pos:nl], lineno, session)
            if replies is None:
                break  # not a Postfix line: the scanner reads it
            if replies:
                out += replies
                last = lineno
            pos = nl + 1
            lineno += 1
            i += 1
        self._next = i
        return out, pos, lineno, last

    def take(self, line: bytes, lineno: int, session: Session) -> list[Reply] | None:
        # The hot path of a big log: look only near "postfix/prog[pid]: QUEUEID: ", never
        # scan the whole line, for the three out of four lines that quote no reply.
        at = self._at
        if not line.startswith(b"postfix", at):
            at = line.find(b"postfix", 0, 160)
            if at < 0:
                return None
            self._at = at
            if at not in self._columns:
                self._columns = (at, *self._columns)[:MAX_COLUMNS]
        msg = line.find(b": ", at)
        if msg < 0:
            return None  # "postfix" in a sentence, not a log line's program name
        msg += 2
        if not line.startswith(_STARTS, msg):
            qid = line.find(b": ", msg, msg + 20)
            if qid < 0 or not line.startswith(_STARTS, qid + 2):
                return []
        if b" dsn=" in line:  # what feed() does first, without its calls
            return self._attempt(line.decode("utf-8", "replace"), lineno, session)
        return self.feed(line, lineno, session)

    def feed(self, line: bytes, lineno: int, session: Session) -> list[Reply]:
        if b" dsn=" in line:
            return self._attempt(decode(line), lineno, session)
        if b"reject: " in line:
            return self._reject(decode(line), lineno, session)
        if b" said: " in line or b"refused to talk to me: " in line:
            whole = decode(line)
            said = read_said(whole)
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
                            reporter=MTA,
                            remote_host=host,
                            time=line_time(whole, session.clock),
                            direction="outbound",
                        )
                    ]
        return []

    def _attempt(self, text: str, lineno: int, session: Session) -> list[Reply]:
        # "to=<a>, [orig_to=<b>, ]relay=h[ip]:25, delay=.., delays=.., dsn=X.Y.Z, status=S (what)"
        m = _DELIVERY.fullmatch(text)
        if m is not None:
            recipient, relay, dsn, what = m.groups()
            what = what.strip()
        else:
            recipient, relay, dsn, what = attempt_fields(text)
        host = _HOSTS.get(relay, _UNKNOWN) if relay else None
        if host == _UNKNOWN:
            if len(_HOSTS) >= 1024:  # a log names the same few relays again and again
                _HOSTS.clear()
            host = _HOSTS[relay] = _host(relay)
        # Both markers hold ": ", which most texts of delivered mail do not: one scan.
        if ": " in what and (" said: " in what or " refused to talk to me: " in what):
            # The remote server's words: a log repeats the same texts again and again.
            said = _SAID.get(what)
            if said is None:
                if len(_SAID) >= 4096:
                    _SAID.clear()
                said = _SAID[what] = _said(what)
            basic, enhanced, what, command, said_host = said
            host = said_host or host
        else:
            command = None
            basic, enhanced, what = _codes(what)
        if enhanced is None and basic is None and dsn:
            # Postfix's own status stands for a reply only when none is quoted; a cut-off
            # "dsn=5.1." is no code.
            enhanced = valid_enhanced(dsn)
        return [
            new_reply(
                basic,
                enhanced,
                what or None,
                session.input,
                lineno,
                recipient or None,
                command,
                MTA,
                host,
                line_time(text, session.clock),
                direction="outbound",
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
        # The local server refusing a client (smtpd, cleanup's header and body checks).
        return [
            found.reply(
                session.input,
                lineno,
                recipient or None,
                command,
                MTA,
                None,
                line_time(text, session.clock),
                direction="inbound",
            )
        ]


def _lines_to_read(block: bytes, pos: int, columns: tuple[int, ...]) -> list[int]:
    """The starts of the lines from `pos` on that take() may not ignore: those with a
    marker, and those without "postfix" at one of the columns (another family's, or
    Postfix's at another column)."""
    starts: set[int] = set()
    if not any(block.startswith(b"postfix", pos + column) for column in columns):
        starts.add(pos)
    # The block's last LF ends it: no line follows that one.
    for m in _odd_lines(columns).finditer(block, pos, len(block) - 1):
        starts.add(m.end())
    rfind = block.rfind
    for m in _MARKERS.finditer(block, pos):
        starts.add(rfind(b"\n", 0, m.start()) + 1)
    return sorted(starts)
