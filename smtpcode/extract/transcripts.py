"""Session transcripts: both sides of an SMTP conversation, one line each, marked by who
spoke. swaks, Python smtplib's debug output, PHPMailer's SMTPDebug, "S:"/"C:" notes,
Postfix's "errors from" notices (" Out:"/" In:") and the ">>>"/"<<<" transcripts that
sendmail-style bounces quote.

Server lines are assembled into replies by the session; client lines tell which command
each reply answers, and the recipient for a RCPT.
"""

from __future__ import annotations

import ast
import warnings
from typing import TYPE_CHECKING

from smtpcode.extract.base import LineFamily
from smtpcode.extract.reader import decode
from smtpcode.extract.reply_text import REPLY_LINE

if TYPE_CHECKING:
    from smtpcode.extract.session import Session
    from smtpcode.records import Reply

# Line starts that mark who spoke. swaks: "<-" server, "<**" server error, "<~" server
# over TLS, "<~*" server error over TLS; "->", "~>", "**>" client.
_SERVER = (b"<-", b"<**", b"<~", b"S:", b" Out:", b"Out:", b"<<<", b"Received >>>")
_CLIENT = (b" ->", b"->", b" ~>", b"~>", b"**>", b"C:", b" In:", b"In:", b">>>", b"Sent <<<")
# swaks names the server it connects to: "=== Trying mx.example.com:25...".
_TRYING = b"=== Trying "
_STARTS = _SERVER + _CLIENT + (b"reply:", b"send:", _TRYING)
# PHPMailer writes a timestamp first; old versions "SMTP -> FROM SERVER:".
_PHPMAILER_SERVER = (b"SERVER -> CLIENT:", b"FROM SERVER:")
_PHPMAILER_CLIENT = (b"CLIENT -> SERVER:",)


# The longest Python literal read: Python's parser takes some 250 bytes of memory per
# byte of source, and a reply is a few hundred bytes. A longer literal is cut.
MAX_LITERAL = 16 * 1024
# What ast.literal_eval raises on what is not a literal it can read.
_LITERAL_ERRORS = (ValueError, TypeError, SyntaxError, MemoryError, RecursionError)


def python_literal(literal: str) -> object:
    """The value of a Python literal (smtplib's b'...' replies), or None when it is not
    one; a literal longer than MAX_LITERAL is read cut short, closed with its quote."""
    literal = literal.strip()
    if len(literal) > MAX_LITERAL:
        body, quote = literal[: MAX_LITERAL - 1], literal[-1]
        if literal[:2] not in ("b'", 'b"') or quote != literal[1]:
            return None
        # The cut may split an escape ("\x4"): drop what is left of it.
        for drop in range(4):
            value = python_literal(body[: len(body) - drop] + quote)
            if value is not None:
                return value
        return None
    try:
        with warnings.catch_warnings():
            # "invalid escape sequence" for b'\(' and the like: the input's, not ours.
            warnings.simplefilter("ignore")
            return ast.literal_eval(literal)
    except _LITERAL_ERRORS:
        return None


def _python_bytes(literal: str) -> str | None:
    """The text of a Python bytes literal as smtplib's debug output prints it."""
    value = python_literal(literal)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str):
        # A str literal may spell a lone surrogate ('\ud800'): no output could write it.
        return value.encode("utf-8", "replace").decode("utf-8")
    return None


class Transcripts(LineFamily):
    name = "transcript"
    assembles = True

    def claims(self, line: bytes) -> bool:
        if line.startswith(_STARTS):
            return True
        return b"-> CLIENT:" in line or b"-> SERVER:" in line or b"FROM SERVER:" in line

    def feed(self, line: bytes, lineno: int, session: Session) -> list[Reply]:
        # Every transcript here is a client's view: the replies are a server answering it.
        session.direction = "outbound"
        if line.startswith(_TRYING):
            target = decode(line[len(_TRYING) :]).strip().rstrip(".")
            host = target.rsplit(":", 1)[0] if ":" in target else target
            session.remote_host = host.strip("[]") or None
            return session.flush()
        if line.startswith(_SERVER):
            return self._server(decode(line).split(None, 1), lineno, session)
        if line.startswith(_CLIENT):
            return self._client(decode(line).split(None, 1), session)
        if line.startswith(b"reply:"):
            return self._smtplib_reply(decode(line[6:]), lineno, session)
        if line.startswith(b"send:"):
            sent = _python_bytes(decode(line[5:]))
            return session.client_line(sent.strip()) if sent is not None else []
        for marker in _PHPMAILER_SERVER:
            at = line.find(marker)
            if at >= 0:
                return self._text_server(decode(line[at + len(marker) :]), lineno, session)
        at = line.find(_PHPMAILER_CLIENT[0])
        if at >= 0:
            return session.client_line(decode(line[at + len(_PHPMAILER_CLIENT[0]) :]).strip())
        return session.flush()

    def _server(self, parts: list[str], lineno: int, session: Session) -> list[Reply]:
        # "Received >>> 550 ..." has two words of prefix.
        rest = parts[1] if len(parts) > 1 else ""
        if parts and parts[0] == "Received" and rest.startswith(">>>"):
            rest = rest[3:]
        return self._text_server(rest, lineno, session)

    def _client(self, parts: list[str], session: Session) -> list[Reply]:
        rest = parts[1] if len(parts) > 1 else ""
        if parts and parts[0] == "Sent" and rest.startswith("<<<"):
            rest = rest[3:]
        return session.client_line(rest.strip())

    def _text_server(self, text: str, lineno: int, session: Session) -> list[Reply]:
        m = REPLY_LINE.match(text.strip(" \t\r\n"))
        if m is None:
            return session.flush()
        return session.server_line(m.group(1), m.group(2) or "", m.group(3) or "", lineno)

    def _smtplib_reply(self, rest: str, lineno: int, session: Session) -> list[Reply]:
        # "reply: b'250-SIZE 20480\r\n'" is one line off the wire; "reply: retcode (250);
        # Msg: b'...'" repeats the finished reply without its codes, so it is skipped.
        rest = rest.strip()
        if not rest.startswith(("b'", 'b"')):
            return session.flush()
        text = _python_bytes(rest)
        if text is None:
            return session.flush()
        return self._text_server(text, lineno, session)
