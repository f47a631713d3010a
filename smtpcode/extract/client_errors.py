"""Exception and error texts of common mail clients, as they end up in application logs.

- Python smtplib: `SMTPRecipientsRefused({'a@b': (550, b'5.1.1 ...')})`, its str form,
  `smtplib.SMTPDataError: (550, b'...')`; the message lines lost their codes, which are
  put back (the reply as received).
- nodemailer: `Error: Can't send mail - all recipients were rejected: 550 5.1.1 ...`
  followed by `response:`, `command:`, `rejected:` property lines that complete it.
- JavaMail / Jakarta Mail: `com.sun.mail.smtp.SMTPAddressFailedException: 550 5.1.1 ...`.
- PHP: PHPMailer `SMTP ERROR: RCPT TO command failed: 550 ...` and its error message
  `SMTP server error: DATA END command failed Detail: <reply text> SMTP code: 554
  Additional SMTP info: 5.7.1` (the codes put back in front of the text), Symfony Mailer / Swift
  `Expected response code "250" but got code "550", with message "550 ..."`, PEAR Mail
  `(code: 550, response: 5.1.1 ...)`.
- .NET: `SmtpFailedRecipientException: Mailbox unavailable. The server response was: 5.1.1 ...`.
- Ruby Net::SMTP (`Net::SMTPFatalError: 550 ...`) and other `...Error: 550 ...` texts.

A reply that goes on over the next lines ("Error: Invalid login: 535-5.7.8 ... go to"
then "535 5.7.8 https://...") is completed by them (see replies.RawReplies).

One failure printed several ways (repr, str, traceback; a nested exception) is one reply.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

from smtpcode.codes import valid_basic
from smtpcode.extract.base import LineFamily
from smtpcode.extract.candidates import reply_in_line
from smtpcode.extract.reader import decode
from smtpcode.extract.reply_text import (
    Codes,
    command_in,
    enhanced_at_start,
    first_address,
    read_reply,
)
from smtpcode.extract.transcripts import python_literal
from smtpcode.records import Reply

if TYPE_CHECKING:
    from smtpcode.extract.session import Session

# (550, b'...') with an optional 'recipient': key before it, as smtplib prints them
# (Python 2's smtplib: a str, (550, '...')). The literal is read as runs of plain
# characters between escapes, each repeat possessive: a repeated alternation
# ((?:[^'\\]|\\.)*) keeps a backtracking entry per character, some 200 bytes each (a
# literal of 1 MB took 200 MB).
_PY_REPLY = re.compile(
    r"""(?:(['"])([^'"\s]{1,320})\1:\s*)?\(([2-5][0-9][0-9]),\s*"""
    r"""(b?'[^'\\]*+(?:\\.[^'\\]*+)*+'|b?"[^"\\]*+(?:\\.[^"\\]*+)*+")"""
)
# How many lines apart one smtplib exception printed twice still counts once.
REPRINT_WINDOW = 40
_SMTPLIB_CLASS = re.compile(r"SMTP[A-Za-z]{1,40}(?:Error|Refused|Exception)")
_MARKERS = (
    b"Exception",
    b"Error",
    b"ERROR",
    b"rror:",
    b"Refused",
    b"response was",
    b", b'",
    b"(code: ",
)
_PROPERTIES = (b"response:", b"responseCode:", b"command:", b"rejected:", b"code:")
# Stack frames: "    at SMTPConnection._formatError (...)" (Node, Java, .NET), "File ...".
_STACK_FRAMES = (b"at ", b"File ")
_EXPECTED = re.compile(r'got code "?([2-5][0-9][0-9])"?, with message "')
_PEAR = re.compile(r"\(code: ([2-5][0-9][0-9]), response: ")

# Words in an exception's name or message that tell which command failed.
_STAGES = (
    ("RecipientsRefused", "RCPT"),
    ("AddressFailed", "RCPT"),
    ("FailedRecipient", "RCPT"),
    ("recipients were rejected", "RCPT"),
    ("recipients failed", "RCPT"),
    ("add recipient", "RCPT"),
    ("SenderRefused", "MAIL"),
    ("SenderFailed", "MAIL"),
    ("DataError", "DATA"),
    ("Message failed", "DATA"),
    ("HeloError", "EHLO"),
    ("AuthenticationError", "AUTH"),
    ("AuthenticationFailed", "AUTH"),
    ("Invalid login", "AUTH"),
    # PHPMailer names the AUTH LOGIN steps: "Username command failed", "Password ...".
    ("Username command failed", "AUTH"),
    ("Password command failed", "AUTH"),
)


def _stage(text: str) -> str | None:
    for word, command in _STAGES:
        if word in text:
            return command
    at = text.find(" command failed")
    if at >= 0:
        return command_in(text[max(0, at - 20) : at])
    return None


# PHPMailer's error: "SMTP server error: <command> command failed Detail: <the reply's
# text, codes removed> SMTP code: 554 Additional SMTP info: 5.7.1".
_PHPMAILER_CODE = " SMTP code: "
_PHPMAILER_DETAIL = " Detail: "
_PHPMAILER_EXTRA = " Additional SMTP info: "


def _phpmailer(text: str, at: int) -> Codes | None:
    code = text[at + len(_PHPMAILER_CODE) : at + len(_PHPMAILER_CODE) + 3]
    if valid_basic(code) is None or code[0] == "1":
        return None
    start = text.rfind(_PHPMAILER_DETAIL, 0, at)
    detail = text[start + len(_PHPMAILER_DETAIL) : at].strip() if start >= 0 else ""
    extra = text.find(_PHPMAILER_EXTRA, at)
    enhanced = enhanced_at_start(text[extra + len(_PHPMAILER_EXTRA) :]) if extra >= 0 else None
    enhanced = enhanced or enhanced_at_start(detail)
    if enhanced and enhanced_at_start(detail) == enhanced:
        detail = detail.lstrip(" #")[len(enhanced) :].strip()
    said = " ".join(x for x in (code, enhanced, detail) if x)
    return Codes(code, enhanced, said)


def _py_text(code: str, literal: str) -> str | None:
    value = python_literal(literal)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    lines = value.split("\n")
    last = len(lines) - 1
    return "\n".join(f"{code}{'-' if i < last else ' '}{line}" for i, line in enumerate(lines))


def _smtplib_shaped(text: str) -> bool:
    """Whether a line may hold smtplib's (code, text) tuples: ", b'" after the code, or
    Python 2's ", '" after "(550"."""
    return ", b'" in text or ', b"' in text or _PY2_TUPLE.search(text) is not None


_PY2_TUPLE = re.compile(r"""\([2-5][0-9][0-9], u?['"]""")


class ClientErrors(LineFamily):
    name = "exception"
    assembles = True  # it holds a reply while property lines follow

    def __init__(self) -> None:
        # smtplib replies lately read: (exception class, recipient, text) -> line. A
        # traceback prints the exception again at its end ("SMTPDataError(554, ...)"
        # logged, then "SMTPDataError: (554, ...)"): the same failure.
        self._printed: dict[tuple[str | None, str | None, str], int] = {}

    def claims(self, line: bytes) -> bool:
        if any(m in line for m in _MARKERS):
            return True
        head = line.lstrip()
        return head.startswith(_PROPERTIES) or (
            head.startswith(b"at ") and line[:1] in (b" ", b"\t")
        )

    def keeps(self, line: bytes, session: Session) -> bool:
        head = line.lstrip()
        if head.startswith(_STACK_FRAMES) or head.startswith(_PROPERTIES):
            return session.held is not None or head.startswith(b"response:")
        text = decode(line)
        if _smtplib_shaped(text) and _PY_REPLY.search(text):
            return True
        return self._reply_in(text) is not None

    def take(self, line: bytes, lineno: int, session: Session) -> list[Reply] | None:
        # A line that names an error but holds no reply this family can read goes to
        # the finder (extract/candidates), which weighs its context.
        if not self.claims(line) or not self.keeps(line, session):
            return None
        return self.feed(line, lineno, session)

    def feed(self, line: bytes, lineno: int, session: Session) -> list[Reply]:
        if line.lstrip().startswith(_STACK_FRAMES):
            return []  # a stack trace between an error and its properties
        text = decode(line)
        stripped = text.strip()
        if stripped.startswith(tuple(p.decode() for p in _PROPERTIES)):
            return self._property(stripped, lineno, session)
        out = session.flush()
        if _smtplib_shaped(text):
            replies = self._smtplib(text, lineno, session)
            if replies is not None:
                return out + [r for r in replies if not session.seen_recently(r, lineno)]
        codes = self._reply_in(text)
        if codes is None:
            return out
        command = _stage(text)
        recipient = first_address(codes.text or "") if command == "RCPT" else None
        # A client's error: a server refused it.
        reply = codes.reply(session.input, lineno, recipient, command, direction="outbound")
        if session.seen_recently(reply, lineno):
            return out
        # Later property lines (nodemailer) may still name the command and recipient.
        return out + session.hold(reply)

    def _reply_in(self, text: str) -> Codes | None:
        at = text.find(_PHPMAILER_CODE)
        if at >= 0:
            codes = _phpmailer(text, at)
            if codes is not None:
                return codes
        m = _EXPECTED.search(text)
        if m is not None:
            inner = text[m.end() :]
            codes = read_reply(inner[: inner.rfind('"')] if '"' in inner else inner)
            return codes._replace(basic=codes.basic or m.group(1))
        m = _PEAR.search(text)
        if m is not None:
            said = text[m.end() :].rstrip(")] ")
            return read_reply(f"{m.group(1)} {said}")
        at = text.find("The server response was: ")
        if at >= 0:
            codes = read_reply(text[at + 25 :])
            return codes if codes.basic or codes.enhanced else None
        for marker in ("Exception: ", "Error: ", "ERROR: ", "Error:", "Failure: "):
            at = text.find(marker)
            if at >= 0:
                said = text[at + len(marker) :].rstrip()
                if text[at - 1 : at] == "[":
                    # Node prints a nested error as "[Error: ...] {".
                    said = said.rstrip("{ ").removesuffix("]")
                # Only a code its context makes a reply: "Error: ... line 300" is not.
                return reply_in_line(said)
        return None

    def _smtplib(self, text: str, lineno: int, session: Session) -> list[Reply] | None:
        """The replies of smtplib's tuples on a line; None when it holds none (an empty
        list when all were printed a few lines earlier)."""
        klass = _SMTPLIB_CLASS.search(text)
        command = _stage(klass.group()) if klass else None
        replies: list[Reply] = []
        reprinted = False
        for m in _PY_REPLY.finditer(text):
            key, code, literal = m.group(2), m.group(3), m.group(4)
            said = _py_text(code, literal)
            if said is None:
                continue
            rest = said[4:]
            recipient = key if key and "@" in key else None
            printed = (klass.group() if klass else None, recipient, said)
            if lineno - self._printed.get(printed, -REPRINT_WINDOW) < REPRINT_WINDOW:
                reprinted = True
                continue
            if len(self._printed) > 256:
                self._printed.clear()
            self._printed[printed] = lineno
            replies.append(
                Reply(
                    code,
                    enhanced_at_start(rest),
                    said,
                    session.input,
                    lineno,
                    recipient,
                    "RCPT" if key else command,
                    direction="outbound",
                )
            )
        return replies if replies or reprinted else None

    def _property(self, text: str, lineno: int, session: Session) -> list[Reply]:
        name, _, value = text.partition(":")
        value = value.strip().rstrip(",").strip("'\"` ")
        held = session.held
        if name == "response":
            value = value.replace("\\r\\n", "\n").replace("\\n", "\n")
            codes = read_reply(value)
            if codes.basic is None and codes.enhanced is None:
                return []
            if held is not None and held.basic == codes.basic:
                return []
            return session.hold(
                Reply(
                    codes.basic,
                    codes.enhanced,
                    codes.text,
                    session.input,
                    lineno,
                    direction="outbound",
                )
            )
        if held is None:
            return []
        if name == "command":
            session.held = dataclasses.replace(held, command=command_in(value) or held.command)
        elif name == "rejected":
            session.held = dataclasses.replace(
                held, recipient=first_address(value) or held.recipient
            )
        return []
