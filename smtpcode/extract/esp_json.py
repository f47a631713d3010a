"""Bounce and delivery events of sending services, as JSON: Amazon SES notifications
(also wrapped in an SNS envelope), SendGrid, Mailgun, Postmark, SparkPost, Mandrill,
Mailjet and the like; one event per line, or a whole document.

The walk is generic rather than one parser per service: an object that holds a reply
text (diagnosticCode, smtpResponse, reason, ...) or a numeric code is one reply for each
recipient it names, or for the recipient an enclosing object names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from smtpcode.codes import valid_basic
from smtpcode.extract.base import LineFamily
from smtpcode.extract.reader import decode
from smtpcode.extract.reply_text import enhanced_at_start, find_reply, read_reply
from smtpcode.records import Reply

if TYPE_CHECKING:
    from smtpcode.extract.session import Session

# Keys whose value is the remote server's reply, most specific first.
REPLY_KEYS = (
    "diagnosticcode",
    "smtpresponse",
    "smtp-response",
    "smtp_response",
    "smtp_reply",
    "smtpreply",  # JMAP's EmailSubmission deliveryStatus (RFC 8621)
    "raw_reason",
    "diag",
    "details",
    "reason",
    "response",
    "bounce_reason",
    "message",
    "description",
    "error",
)
RECIPIENT_KEYS = (
    "emailaddress",
    "email",
    "recipient",
    "rcpt_to",
    "raw_rcpt_to",
    "email_address",
    "address",
)
RECIPIENT_LISTS = ("recipients",)
STATUS_KEYS = ("status", "enhanced-code", "enhanced_code", "enhancedcode", "dsn")
CODE_KEYS = ("code", "responsecode", "error_code", "smtp_code", "smtpcode", "bounce_code")
# Which service a document comes from, by a key only it uses.
SERVICES = (
    ("notificationtype", "amazon-ses"),
    ("eventtype", "amazon-ses"),
    ("event-data", "mailgun"),
    ("recordtype", "postmark"),
    ("msys", "sparkpost"),
    ("sg_event_id", "sendgrid"),
    ("mj_message_id", "mailjet"),
)
# How deep a document is walked; events are a few levels deep.
MAX_DEPTH = 12
# A JSON string that holds JSON (an SNS envelope's Message) is opened at most this long.
MAX_NESTED = 1 << 20


# What json.loads raises on input that is not JSON it can read: ValueError for a syntax
# error, RecursionError for nesting deeper than the interpreter's stack (a thousand
# levels), MemoryError for a document too big for what is left.
JSON_ERRORS = (ValueError, RecursionError, MemoryError)
# What load() returns for data that is not (readable) JSON; None is JSON's null.
NOT_JSON: Any = object()


# The escape of half a surrogate pair without its other half ("\ud800"): json.loads
# makes it a lone surrogate, which no output encoding can write. It becomes U+FFFD.
_LONE_SURROGATE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


def _whole_characters(text: str) -> str:
    return _LONE_SURROGATE.sub(r"\\ufffd", text) if "\\u" in text else text


def load(data: str | bytes) -> Any:
    """The JSON value of the data, or NOT_JSON: never raises, and no string in the value
    holds a lone surrogate."""
    if isinstance(data, bytes) and b"\\u" in data:
        data = decode(data)
    if isinstance(data, str):
        data = _whole_characters(data)
    try:
        return json.loads(data)
    except JSON_ERRORS:
        return NOT_JSON


def _lower_keys(node: dict[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in node.items()}


def _service(node: dict[str, Any]) -> str | None:
    for key, name in SERVICES:
        if key in node:
            return name
    return None


def _codes(node: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """The basic code, enhanced code and reply text an event object holds."""
    basic = enhanced = text = None
    for key in REPLY_KEYS:
        value = node.get(key)
        if isinstance(value, str) and value.strip():
            codes = read_reply(value)
            if codes.basic is None and codes.enhanced is None:
                found = find_reply(value) if key in REPLY_KEYS[:8] else None
                if found is None:
                    continue
                codes = found
            basic, enhanced, text = codes
            break
    for key in CODE_KEYS:
        value = node.get(key)
        if basic is None and isinstance(value, int | str) and str(value)[:1] in "2345":
            basic = valid_basic(str(value).strip())
    for key in STATUS_KEYS:
        value = node.get(key)
        if isinstance(value, str):
            status = enhanced_at_start(value)
            if status and (enhanced is None or enhanced.endswith(".0.0")):
                enhanced = status
            break
    if text is None and (basic or enhanced):
        for key in REPLY_KEYS:
            value = node.get(key)
            if isinstance(value, str) and value.strip():
                text = value.strip()
                break
    return basic, enhanced, text


def _recipients(node: dict[str, Any]) -> list[str]:
    for key in RECIPIENT_KEYS:
        value = node.get(key)
        if isinstance(value, str) and "@" in value:
            return [value]
    for key in RECIPIENT_LISTS:
        value = node.get(key)
        if isinstance(value, list):
            return [v for v in value if isinstance(v, str) and "@" in v]
    return []


def walk(
    value: Any, line: int, input_name: str | None, service: str | None = None
) -> Iterator[Reply]:
    """Every reply in a parsed JSON value."""
    yield from _walk(value, line, input_name, service, None, 0)


def _walk(
    value: Any,
    line: int,
    input_name: str | None,
    service: str | None,
    inherited: str | None,
    depth: int,
) -> Iterator[Reply]:
    if depth > MAX_DEPTH:
        return
    if isinstance(value, list):
        for item in value:
            yield from _walk(item, line, input_name, service, inherited, depth + 1)
        return
    if isinstance(value, str):
        s = value.strip()
        if s[:1] == "{" and len(s) < MAX_NESTED and '"' in s:
            nested = load(s)
            if nested is NOT_JSON:
                return
            yield from _walk(nested, line, input_name, service, inherited, depth + 1)
        return
    if not isinstance(value, dict):
        return
    node = _lower_keys(value)
    service = service or _service(node)
    own = _recipients(node)
    basic, enhanced, text = _codes(node)
    if basic or enhanced:
        recipients: list[str | None] = [*own] or [inherited]
        for recipient in recipients:
            yield Reply(
                basic,
                enhanced,
                text,
                input_name,
                line,
                recipient,
                reporter=service,
                direction="outbound",
            )
        return
    # The recipient of an enclosing event holds for the objects inside it.
    scope = own[0] if len(own) == 1 else inherited
    for key, child in node.items():
        if isinstance(child, dict | list) or (key == "message" and isinstance(child, str)):
            yield from _walk(child, line, input_name, service, scope, depth + 1)


def extract_document(data: bytes, line: int, input_name: str | None) -> list[Reply] | None:
    """The replies of a whole JSON document (or of several concatenated), or None when
    the data is not JSON."""
    text = _whole_characters(decode(data))
    decoder = json.JSONDecoder()
    replies: list[Reply] = []
    at = 0
    parsed_any = False
    while True:
        while at < len(text) and text[at] in " \t\r\n":
            at += 1
        if at >= len(text):
            break
        try:
            value, at = decoder.raw_decode(text, at)
        except JSON_ERRORS:
            if not parsed_any:
                return None
            break
        parsed_any = True
        replies.extend(walk(value, line, input_name))
    return replies if parsed_any else None


_FIELD_KEYS = tuple(f'"{k}"'.encode() for k in ("diagnosticCode", "smtpResponse", "smtp_reply"))
_RECIPIENT_FIELDS = tuple(f'"{k}"'.encode() for k in ("emailAddress", "email", "recipient"))


_ARRAY_STARTS = frozenset([b"", b'"', b"{", b"[", b"]", b"-", b"t", b"f", b"n"]) | {
    bytes([d]) for d in b"0123456789"
}


class JsonLines(LineFamily):
    """One JSON event per line; also the reply fields of a pretty-printed document too
    large to parse whole."""

    name = "json"

    def __init__(self) -> None:
        self.recipient: str | None = None

    def claims(self, line: bytes) -> bool:
        stripped = line.lstrip()
        head = stripped[:1]
        if head == b"{":
            return True
        if head == b"[":
            # A JSON array's first value; not a log line's "[INFO]" or "[core]" tag.
            return stripped[1:].lstrip()[:1] in _ARRAY_STARTS
        if head == b'"':
            return any(k in line for k in _FIELD_KEYS) or any(k in line for k in _RECIPIENT_FIELDS)
        return False

    def keeps(self, line: bytes, session: Session) -> bool:
        return self._parsed(line) is not None

    def take(self, line: bytes, lineno: int, session: Session) -> list[Reply] | None:
        # A line that is not JSON after all (a log line in brackets, a fragment of a
        # document) goes to the finder (extract/finder).
        if not self.claims(line) or self._parsed(line) is None:
            return None
        # An event with no field this reader knows (a framework's log record whose
        # "message" quotes an exception) is the finder's to read as well.
        return self.feed(line, lineno, session) or None

    def _parsed(self, line: bytes) -> object | None:
        stripped = line.strip()
        text = stripped if stripped[:1] in (b"{", b"[") else stripped.partition(b":")[2]
        value = load(text.rstrip(b",").strip() or b"?")
        return None if value is NOT_JSON else value

    def feed(self, line: bytes, lineno: int, session: Session) -> list[Reply]:
        stripped = line.strip()
        if stripped[:1] in (b"{", b"["):
            value = load(stripped)
            if value is NOT_JSON:
                return []
            return list(walk(value, lineno, session.input))
        # A "key": "value" line of a pretty-printed document.
        text = decode(stripped).rstrip(",")
        key, _, value = text.partition(":")
        key = key.strip().strip('"')
        value = load(value.strip())
        if not isinstance(value, str):
            return []
        if key in ("emailAddress", "email", "recipient"):
            self.recipient = value if "@" in value else None
            return []
        codes = read_reply(value)
        if codes.basic is None and codes.enhanced is None:
            return []
        return [
            Reply(
                codes.basic,
                codes.enhanced,
                codes.text,
                session.input,
                lineno,
                self.recipient,
                direction="outbound",
            )
        ]
