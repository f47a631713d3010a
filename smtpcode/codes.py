"""The grammar of SMTP codes: basic reply codes and enhanced status codes.

Pure syntax and structure; what a code *means* lives in codes.yaml (see catalogue.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from smtpcode.i18n import _

# Class names by first digit (README, "JSON"). 1yz exists in RFC 5321 §4.2.1 but no SMTP
# command yields it; the catalogue keeps two folklore 1yz codes, so the name is needed.
CLASS_BY_DIGIT: dict[str, str] = {
    "1": "preliminary",
    "2": "success",
    "3": "intermediate",
    "4": "transient",
    "5": "permanent",
}

_BASIC_RE = re.compile(r"[1-5][0-9][0-9]")
_ENHANCED_RE = re.compile(r"([245])\.([0-9]{1,3})\.([0-9]{1,3})")
# A query may be a bare code, "550 5.1.1", "550-5.1.1", "550 5.1.1 text...", "5.1.1 text",
# or a whole reply; Exchange writes "#5.1.1" or "550 #5.1.1".
_QUERY_RE = re.compile(
    r"""\A\s*
    (?:(?P<basic>\d{3})(?=[\s\-]|\Z)[\s\-]*)?
    (?:\#?(?P<enhanced>\d{1,3}\.\d{1,3}\.\d{1,3})(?=[\s:;,)\]]|\.?\Z|\.\s))?
    """,
    re.VERBOSE,
)


class CodeSyntaxError(ValueError):
    """The text is not an SMTP reply code or enhanced status code."""

    def __init__(self, text: str, why: str) -> None:
        super().__init__(why)
        self.text = text
        self.why = why


@dataclass(frozen=True, slots=True)
class BasicCode:
    """A three-digit SMTP reply code (RFC 5321 §4.2)."""

    code: str

    @property
    def klass(self) -> str:
        return CLASS_BY_DIGIT[self.code[0]]

    @property
    def first(self) -> str:
        return self.code[0]

    @property
    def second(self) -> str:
        return self.code[1]

    def __str__(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True)
class EnhancedCode:
    """An enhanced mail system status code class.subject.detail (RFC 3463 §2)."""

    klass_digit: str
    subject: int
    detail: int

    @property
    def klass(self) -> str:
        return CLASS_BY_DIGIT[self.klass_digit]

    @property
    def generic(self) -> str:
        """The registry key: the same code with its class left open ("X.1.1")."""
        return f"X.{self.subject}.{self.detail}"

    @property
    def subject_key(self) -> str:
        return f"X.{self.subject}.X"

    @property
    def class_key(self) -> str:
        return f"{self.klass_digit}.X.X"

    def __str__(self) -> str:
        return f"{self.klass_digit}.{self.subject}.{self.detail}"


@dataclass(frozen=True, slots=True)
class Query:
    """What a user asked about: one or both codes and, for a whole reply, its text."""

    basic: BasicCode | None
    enhanced: EnhancedCode | None
    text: str | None


def parse_basic(text: str) -> BasicCode:
    s = text.strip()
    if _BASIC_RE.fullmatch(s):
        return BasicCode(s)
    if s.isdigit():
        if len(s) != 3:
            raise CodeSyntaxError(text, _("a basic reply code has exactly three digits"))
        raise CodeSyntaxError(
            text, _("a basic reply code starts with 2, 3, 4 or 5 (RFC 5321 §4.2.1)")
        )
    raise CodeSyntaxError(text, _("not an SMTP reply code"))


def parse_enhanced(text: str) -> EnhancedCode:
    s = text.strip().lstrip("#")
    m = _ENHANCED_RE.fullmatch(s)
    if m:
        return EnhancedCode(m.group(1), int(m.group(2)), int(m.group(3)))
    parts = s.split(".")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        if parts[0] not in ("2", "4", "5"):
            raise CodeSyntaxError(
                text, "an enhanced status code starts with 2, 4 or 5 (RFC 3463 §3.1)"
            )
        raise CodeSyntaxError(text, _("subject and detail have one to three digits (RFC 3463 §2)"))
    if all(p.isdigit() for p in parts) and 1 < len(parts) < 3:
        raise CodeSyntaxError(
            text, _("an enhanced status code has three parts: class.subject.detail")
        )
    raise CodeSyntaxError(text, _("not an enhanced status code"))


def parse_query(text: str) -> Query:
    """Read a user's query: a bare code, a basic/enhanced pair or a whole reply.

    Raises CodeSyntaxError when the text does not start with a code.
    """
    stripped = text.strip()
    if not stripped:
        raise CodeSyntaxError(text, _("empty query: give a code such as 550 or 5.7.1"))
    m = _QUERY_RE.match(stripped)
    if m is None or (m.group("basic") is None and m.group("enhanced") is None):
        head = stripped.split(None, 1)[0]
        # Re-parse the first word so the error says what is wrong with it.
        if "." in head:
            parse_enhanced(head.rstrip(":;,"))
        parse_basic(head)
        raise CodeSyntaxError(text, _("not an SMTP reply code"))  # pragma: no cover
    basic = parse_basic(m.group("basic")) if m.group("basic") else None
    enhanced = parse_enhanced(m.group("enhanced")) if m.group("enhanced") else None
    rest = stripped[m.end() :].strip()
    return Query(basic, enhanced, stripped if rest else None)


def valid_basic(value: str | None) -> str | None:
    """The value if it is a basic reply code ("550"), else None: a field that should
    hold one (a log's or a JSON event's) may hold anything."""
    if value is not None and len(value) == 3 and _BASIC_RE.fullmatch(value):
        return value
    return None


def valid_enhanced(value: str | None) -> str | None:
    """The value if it is an enhanced status code ("5.1.1"), else None: Postfix's and
    Sendmail's dsn= and a report's Status come cut off or malformed ("5", "5.1.",
    "5.1.1.1"), and a value that is not a code is no code."""
    if value is not None and len(value) <= 9 and _ENHANCED_RE.fullmatch(value):
        return value
    return None


def looks_like_enhanced(text: str) -> bool:
    return "." in text
