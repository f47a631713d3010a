"""Reading SMTP replies inside text: the code at the start, a reply embedded in a sentence,
a multi-line reply that a log flattened onto one line, the command a phrase names.

Every pattern here is linear: no nested or adjacent unbounded repeats, so an adversarial
line costs time proportional to its length.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from smtpcode.records import Reply

# A reply line: the code, then "-" (more lines follow), " " or nothing (RFC 5321 §4.2).
REPLY_LINE = re.compile(r"[ \t]*([2-5][0-9][0-9])(?:([ -])(.*)|[ \t]*)\Z", re.DOTALL)

# An enhanced status code where a reply's text starts (RFC 3463), as Exchange writes it
# too ("#5.1.1"); it must end at a word boundary: "5.1.1." ends a sentence, "5.1.10" differs.
_ENHANCED_AT_START = re.compile(
    r"[ \t]*#?([245]\.[0-9]{1,3}\.[0-9]{1,3})(?![0-9]|\.[0-9]|[A-Za-z_])"
)

# A reply embedded in other text: a code that stands alone (not part of a number, a
# version, an IP address, a port or a time) and is followed by what follows a reply code.
EMBEDDED_REPLY = re.compile(r"(?:(?<![^\s(<\[>'\";,#])|(?<= :))([2-5][0-9][0-9])(?=[ \-:,;]|\Z)")

# An enhanced status code anywhere: not part of a longer dotted number or a word.
EMBEDDED_ENHANCED = re.compile(
    r"(?<![\w.])#?([245]\.[0-9]{1,3}\.[0-9]{1,3})(?![0-9]|\.[0-9]|[A-Za-z_])"
)

# An enhanced code set off inside a reply's text: "(#5.1.1)", "[#4.1.9]", ":5.1.1".
_ENHANCED_MARKED = re.compile(
    r"[#(\[:][ ]?#?([245]\.[0-9]{1,3}\.[0-9]{1,3})(?![0-9]|\.[0-9]|[A-Za-z_])"
)

# Labels that introduce a reply inside a bounce or a log message.
_PREFIXES = re.compile(
    r"[ \t]*(?:(?:smtp|x-[\w-]+|x-unix|mta)[ \t]*;[ \t]*|remote host said:[ \t]*|<<<[ \t]*)",
    re.IGNORECASE,
)

# SMTP verbs a reply can answer; the phrase "end of DATA" answers DATA too.
COMMANDS = frozenset(
    [
        "HELO",
        "EHLO",
        "LHLO",
        "MAIL",
        "RCPT",
        "DATA",
        "BDAT",
        "RSET",
        "NOOP",
        "QUIT",
        "VRFY",
        "EXPN",
        "HELP",
        "STARTTLS",
        "AUTH",
        "ETRN",
        "ATRN",
        "TURN",
        "XCLIENT",
        "XFORWARD",
    ]
)

# An address is found from its "@" outwards, never by trying every position of a text
# (a long line without "@" must not cost length x local-part length).
_LOCAL_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.!#$%&'*+/=?^_`{|}~-"
)
_DOMAIN = re.compile(r"[\w-]{1,63}(?:\.[\w-]{1,63}){0,20}")
# CJK or full-width text written straight after an ASCII domain ("a@example.jp您好") is
# the sentence going on, not more of the domain: no label mixes the two.
_WIDE_AFTER_ASCII = re.compile(
    r"(?<=[A-Za-z0-9])[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]"
)
# Addresses looked at per text; a text with more "@" than this is not a reply.
MAX_ADDRESSES = 50


class Codes(NamedTuple):
    basic: str | None
    enhanced: str | None
    text: str | None

    def reply(
        self,
        input_name: str | None,
        lineno: int,
        recipient: str | None = None,
        command: str | None = None,
        mta: str | None = None,
        host: str | None = None,
        time: str | None = None,
        direction: str | None = None,
    ) -> Reply:
        """The Reply these codes make, found on line `lineno` of `input_name`."""
        return Reply(
            self.basic,
            self.enhanced,
            self.text,
            input_name,
            lineno,
            recipient,
            command,
            mta,
            host,
            time,
            direction=direction,
        )


_ENHANCED_FIRST = frozenset("245# \t")


def enhanced_at_start(text: str) -> str | None:
    # Most texts do not start with one: decide that without the regex.
    if not text or text[0] not in _ENHANCED_FIRST:
        return None
    m = _ENHANCED_AT_START.match(text)
    return m.group(1) if m else None


_CODE_FIRST = frozenset("2345")


def _after_code(reply: str) -> str:
    """The text after a reply's code; a code said twice ("554 554 5.7.0", as Gmail
    quotes) counts once."""
    rest = reply[3:].lstrip(" -:")
    if rest[:3] == reply[:3] and rest[3:4] in (" ", "-"):
        rest = rest[4:].lstrip()
    return rest


# The codes at a reply's start in one match, as _after_code() and enhanced_at_start()
# read them: the code followed by " ", "-" or the end; then separators, the code said
# twice, blanks and the enhanced code. Possessive repeats: linear, and each part takes
# all it can as the str methods do.
REPLY_START = re.compile(
    r"([2-5][0-9][0-9])(?=[ -]|\Z)"
    r"(?:[ \-:]*+(?:\1[ -]\s*+)?+"
    r"[ \t]*+#?([245]\.[0-9]{1,3}\.[0-9]{1,3})(?![0-9]|\.[0-9]|[A-Za-z_]))?"
)
_new_codes = tuple.__new__
# A banner line a reply was glued to: "220-host 421 4.2.1 ..." (a DSN quoting the greeting
# before the refusal); the refusal, a 4xx or 5xx with its enhanced code, is the reply.
NESTED_REPLY = re.compile(
    r"2[0-9][0-9]-[^\s]{1,80} ([45][0-9][0-9])[ -]([45]\.[0-9]{1,3}\.[0-9]{1,3})(?![0-9]|\.[0-9])"
)
_VENDOR_TOKEN = re.compile(
    r" [a-z]{1,10}_[a-z_]{1,20} ([245]\.[0-9]{1,3}\.[0-9]{1,3})(?![0-9]|\.[0-9]|\w)"
)


def read_reply(text: str) -> Codes:
    """The codes a reply text starts with: "550 5.1.1 ...", "550-5.1.1 ...", "5.1.1 ...".

    Labels such as "smtp;" or "Remote host said:" are dropped from the returned text.
    """
    stripped = text.strip()
    head = stripped[:1]
    if head and head not in "2345":
        m = _PREFIXES.match(stripped)
        if m:
            stripped = stripped[m.end() :]
    m = REPLY_START.match(stripped)
    if m is not None:
        return _new_codes(Codes, (m[1], m[2], stripped))  # type: ignore[no-any-return]
    return Codes(None, enhanced_at_start(stripped), stripped or None)


@lru_cache(maxsize=512)
def _line_breaks(code: str, enhanced: str | None) -> re.Pattern[str]:
    again = re.escape(code) + "[ -]"
    if enhanced:
        again += "#?" + re.escape(enhanced) + r"\b"
    # Only from the start of a run of blanks, taken whole: linear on any run length.
    return re.compile(r"(?<!\s)\s++(?=" + again + ")")


def unflatten(text: str) -> str:
    """A multi-line reply that a log or bounce joined with spaces, split back into lines.

    Postfix writes "550-5.1.1 first 550-5.1.1 second 550 5.1.1 last"; the reply as
    received was three lines. Only a text that starts with "NNN-" is split, and only
    where the same code (and enhanced code) starts a line again.
    """
    if len(text) < 5 or text[3] != "-" or not text[:3].isdigit():
        return text
    code = text[:3]
    if text.find(code, 4) < 0:
        return text  # said once: nothing to split (the regex below costs more)
    return _line_breaks(code, enhanced_at_start(text[4:])).sub("\n", text)


def enhanced_inside(text: str) -> str | None:
    """An enhanced code a reply's text marks inside it: "(#5.1.1 - chkusr)", "[#4.1.9]"."""
    m = _ENHANCED_MARKED.search(text)
    return m.group(1) if m else None


def reply_start(text: str) -> int:
    """Where the first reply embedded in a text starts, or -1."""
    m = EMBEDDED_REPLY.search(text)
    return m.start(1) if m else -1


def find_reply(text: str) -> Codes | None:
    """The first reply embedded in a sentence, from its code to the end of the text.

    "host mx[1.2.3.4] said: 550 5.1.1 no such user" -> (550, 5.1.1, "550 5.1.1 no such user").
    A bare enhanced code ("... (#5.1.1)") counts when no basic code is found.
    """
    m = EMBEDDED_REPLY.search(text)
    if m is not None:
        reply = text[m.start(1) :].strip()
        rest = _after_code(reply)
        enhanced = enhanced_at_start(rest) or enhanced_inside(reply.split("\n", 1)[0])
        if enhanced is None and "_" in reply[4:40]:
            v = _VENDOR_TOKEN.match(reply, 3)  # "550 cuda_nsu 5.1.1"
            enhanced = v[1] if v is not None else None
        return Codes(m.group(1), enhanced, unflatten(reply))
    e = EMBEDDED_ENHANCED.search(text)
    if e is not None:
        return Codes(None, e.group(1), text.strip())
    return None


@lru_cache(maxsize=256)  # a log's phrases are few: "RCPT TO command", "end of DATA command"
def command_in(phrase: str) -> str | None:
    """The SMTP verb a phrase names: "RCPT TO" -> RCPT, "end of DATA" -> DATA."""
    for word in phrase.replace(":", " ").split():
        verb = word.upper()
        if verb in COMMANDS:
            return verb
    return None


def address_spans(text: str) -> list[tuple[int, int]]:
    """Where the email addresses of a text are: (start, end) pairs, in order."""
    spans: list[tuple[int, int]] = []
    at = text.find("@")
    floor = 0
    while at >= 0 and len(spans) < MAX_ADDRESSES:
        start = at
        while start > floor and at - start < 200 and text[start - 1] in _LOCAL_CHARS:
            start -= 1
        while start < at and text[start] in ".'":  # not at a local part's start
            start += 1
        domain = _DOMAIN.match(text, at + 1)
        if domain is not None and start < at:
            wide = _WIDE_AFTER_ASCII.search(text, at + 1, domain.end())
            end = wide.start() if wide is not None else domain.end()
            spans.append((start, end))
            floor = end
        at = text.find("@", max(at + 1, floor))
    return spans


def first_address(text: str) -> str | None:
    spans = address_spans(text) if "@" in text else []
    return text[spans[0][0] : spans[0][1]] if spans else None


def all_addresses(text: str) -> list[str]:
    if "@" not in text:
        return []
    return [text[a:b] for a, b in address_spans(text)]


def first_word(value: str) -> str | None:
    """The first word of a field's value; None when the value is empty or blank."""
    words = value.split(None, 1)
    return words[0] if words else None


def strip_address(value: str) -> str | None:
    """An address as logs and DSN fields write it: "<a@b>", "rfc822; a@b", '"a@b"'."""
    v = value.strip()
    if ";" in v:
        v = v.split(";", 1)[1].strip()
    v = v.strip("<>\"' \t")
    return v or None


def field_after(text: str, name: str, stop: str, *, to_end: bool = True) -> str | None:
    """The value a log line gives after `name`, up to `stop` ("to=<" ... ">").

    None when `name` is missing; when `stop` is, the rest of the line (to_end) or None.
    """
    at = text.find(name)
    if at < 0:
        return None
    start = at + len(name)
    end = text.find(stop, start)
    if end < 0:
        return text[start:] if to_end else None
    return text[start:end]
