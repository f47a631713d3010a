"""Raw replies as a server sends them, alone or in a telnet / openssl s_client session.

"250-first" continuation lines and the final "250 last" line make one reply. A line
that starts with an SMTP verb is the user's command in an interactive session and tells
which command the next reply answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtpcode.extract.base import LineFamily
from smtpcode.extract.candidates import COUNTED, SMTP_BASIC, is_command
from smtpcode.extract.reader import decode
from smtpcode.extract.reply_text import REPLY_LINE, enhanced_at_start

if TYPE_CHECKING:
    from smtpcode.extract.session import Session
    from smtpcode.records import Reply

_DIGITS = frozenset(b"2345")
_VERBS = frozenset(
    b"HELO EHLO LHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY EXPN HELP AUTH ETRN STAR".split()
)


class RawReplies(LineFamily):
    name = "reply"
    assembles = True

    def claims(self, line: bytes) -> bool:
        if not line:
            return False
        first = line[0]
        if first in (32, 9):  # indented: a reply quoted in a message or a notice
            line = line.lstrip(b" \t")
            if not line:
                return False
            first = line[0]
        if first in _DIGITS:
            return len(line) == 3 or (len(line) > 3 and line[3] in (32, 45))
        # A verb typed in a session; a lone "." ends the message after DATA.
        return line[:4].upper() in _VERBS or line.rstrip() == b"."

    def keeps(self, line: bytes, session: Session) -> bool:
        head = line.strip()
        if head[:1] not in b"2345":
            # a command typed in a session, a line of the message after DATA; not a
            # sentence that starts like one ("MailKit.Net.Smtp...")
            return session.in_data or head == b"." or is_command(decode(head))
        # A number alone on a line is a reply only inside a conversation.
        if len(head) == 3:
            return head.decode("latin-1") in SMTP_BASIC and (
                session.command is not None or session.code is not None
            )
        # A code no server sends, in a column ("308 T: remote_smtp": a pid), is the
        # finder's to weigh; so is a number a compiler or a sentence starts a line with
        # ("552 |   memcpy(...)", "512 bit addition").
        if enhanced_at_start(decode(head[4:40])) is not None:
            return True
        words = head[4:40].split(None, 1)
        if words and (words[0][:1] in b"|{}=;" or decode(words[0]).lower() in COUNTED):
            return False
        return head[:3].decode("latin-1") in SMTP_BASIC

    def take(self, line: bytes, lineno: int, session: Session) -> list[Reply] | None:
        if not self.claims(line) or not self.keeps(line, session):
            return None
        return self.feed(line, lineno, session)

    def feed(self, line: bytes, lineno: int, session: Session) -> list[Reply]:
        text = decode(line)
        if session.in_data:
            return session.client_line(text)  # message lines, up to the lone "."
        m = REPLY_LINE.match(text)
        if m is None:
            return session.client_line(text.strip())
        code, sep, rest = m.group(1), m.group(2) or "", m.group(3) or ""
        held = session.held
        if held is not None and session.code is None and _continues(held, code, session):
            # The next line of a reply an exception text began ("Error: Invalid login:
            # 535-5.7.8 ... go to", then "535 5.7.8 https://..."): the same reply.
            session.continue_held(f"{code}{sep}{rest}".rstrip() if sep else code)
            return []
        return session.server_line(code, sep, rest, lineno)


def _continues(held: Reply, code: str, session: Session) -> bool:
    """Whether a reply line with this code continues the held reply: its last line is
    "NNN-..." with the same code."""
    if not held.text or held.basic != code:
        return False
    last = session.held_last_line()
    return last[:3] == code and last[3:4] == "-"
