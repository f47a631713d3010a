"""A small, lenient MIME reader for bounce messages.

Bounces are often malformed (boundaries indented or missing, parts declared with odd
types, 8-bit text in any charset), so this reader never fails: what it cannot make
sense of is read as plain text. Every decoded line keeps the input line number it
came from, so findings can say where they are.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import html
import re
import warnings
from dataclasses import dataclass, field
from functools import lru_cache

# Nesting and part counts beyond these are not followed: no real bounce comes close.
MAX_DEPTH = 8
MAX_PARTS = 200

_HEADER = re.compile(rb"([!-9;-~]{1,76}):")
_PARAM = re.compile(r';\s*([\w.*-]{1,80})\s*=\s*(?:"([^"]*)"|([^;\s]*))')
_TAG = re.compile(r"<[^<>]{0,2000}>")
_ORIGINAL_TYPES = frozenset(
    ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers", "message/global")
)
STATUS_TYPES = frozenset(("message/delivery-status", "message/global-delivery-status"))


_MBOX_FROM = re.compile(r"From \S{1,300} +\S.{0,200}\d")


def is_mbox_from(line: str) -> bool:
    """An mbox separator: "From sender@example.com Thu Apr 29 23:34:45 2010"."""
    return line.startswith("From ") and _MBOX_FROM.match(line[:400]) is not None


@dataclass
class Part:
    """One MIME part: its headers and, for a leaf, its decoded text lines."""

    headers: dict[str, str]
    content_type: str
    params: dict[str, str]
    lines: list[tuple[int, str]] = field(default_factory=list)
    children: list[Part] = field(default_factory=list)
    # For the returned original message: its undecoded lines and first line number, in
    # case it is itself a bounce (a notice forwarded inside another).
    raw: tuple[int, list[bytes]] | None = None

    @property
    def is_original(self) -> bool:
        """The returned copy of the original message (or its headers)."""
        return self.content_type in _ORIGINAL_TYPES

    def leaves(self) -> list[Part]:
        if not self.children:
            return [self]
        out: list[Part] = []
        for child in self.children:
            if child.is_original:
                out.append(child)
            else:
                out.extend(child.leaves())
        return out


def _header_text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def split_headers(raw: list[bytes]) -> tuple[dict[str, str], list[tuple[str, str]], int]:
    """Headers (first value per lower-cased name, and all of them in order) and the
    index of the first body line. Input without a header block has no headers."""
    fields: list[tuple[str, str]] = []
    i = 0
    while i < len(raw):
        line = raw[i]
        if not line.strip():
            i += 1
            break
        if line[:1] in (b" ", b"\t") and fields:
            name, value = fields[-1]
            if len(value) < 16_384:
                fields[-1] = (name, value + " " + _header_text(line.strip()))
            i += 1
            continue
        m = _HEADER.match(line)
        if m is None:
            break
        fields.append((m.group(1).decode("ascii").lower(), _header_text(line[m.end() :].strip())))
        i += 1
    first: dict[str, str] = {}
    for name, value in fields:
        first.setdefault(name, value)
    return first, fields, i


def content_type(value: str | None) -> tuple[str, dict[str, str]]:
    if not value:
        return "text/plain", {}
    main = value.split(";", 1)[0].strip().lower() or "text/plain"
    params = {
        m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
        for m in _PARAM.finditer(value)
    }
    return main, params


# Codecs that read every byte string with "replace" and never yield a lone surrogate:
# most messages use one of them, and their text needs no second look.
_PLAIN_CODECS = frozenset(("utf-8", "ascii", "latin-1", "iso8859-1", "cp1252", "iso8859-15"))
_SURROGATE = re.compile("[\ud800-\udfff]")


@lru_cache(maxsize=64)
def _codec(charset: str | None) -> str:
    """The codec to read a part with: the one its charset names, if that is a text
    encoding Python knows, else UTF-8. A message may name any codec at all: a
    bytes-to-bytes one (zlib, base64, rot13, hex, uu) or a name holding NUL."""
    if charset:
        name = charset.strip().strip('"').lower()
        try:
            info = codecs.lookup(name)
        except (LookupError, ValueError, TypeError):  # ValueError: a NUL in the name
            return "utf-8"
        if info._is_text_encoding:
            return info.name
    return "utf-8"


def decode_text(data: bytes, codec: str) -> str:
    """The bytes as text in the codec, never failing: a codec that refuses the "replace"
    handler (idna, undefined) or fails otherwise gives way to UTF-8, and lone surrogates
    (utf-7, unicode_escape) become U+FFFD so the text can be written anywhere."""
    if codec in _PLAIN_CODECS:
        return data.decode(codec, "replace")
    try:
        with warnings.catch_warnings():
            # unicode_escape warns of "invalid escape sequence": the message's, not ours.
            warnings.simplefilter("ignore")
            text = data.decode(codec, "replace")
    except (UnicodeError, LookupError, ValueError, TypeError, MemoryError):
        return data.decode("utf-8", "replace")
    return _SURROGATE.sub("\ufffd", text)


def _decode_lines(
    raw: list[bytes], first: int, encoding: str, charset: str | None
) -> list[tuple[int, str]]:
    codec = _codec(charset)
    if encoding == "base64":
        data = b"".join(line.strip() for line in raw)
        data = data[: len(data) - len(data) % 4] if len(data) % 4 == 1 else data
        try:
            decoded = base64.b64decode(data + b"=" * (-len(data) % 4))
        except (binascii.Error, ValueError):
            decoded = b""
        text = decode_text(decoded, codec).replace("\r\n", "\n").replace("\r", "\n")
        return [(first, line) for line in text.split("\n")]
    if encoding == "quoted-printable":
        out: list[tuple[int, str]] = []
        # Soft line breaks join lines: their pieces are gathered and joined once.
        start, pending = first, list[bytes]()
        for n, line in enumerate(raw, first):
            if not pending:
                start = n
            stripped = line.rstrip(b" \t")
            if stripped.endswith(b"="):
                pending.append(stripped[:-1])
                continue
            pending.append(line)
            piece = binascii.a2b_qp(b"".join(pending))
            pending = []
            for k, text_line in enumerate(decode_text(piece, codec).split("\n")):
                out.append((start, text_line.rstrip("\r")) if k == 0 else (start, text_line))
        if pending:
            out.append((start, decode_text(binascii.a2b_qp(b"".join(pending)), codec)))
        return out
    return [(n, decode_text(line, codec)) for n, line in enumerate(raw, first)]


def html_to_lines(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The text of an HTML part, one line per source line, tags removed."""
    out = []
    in_style = False
    for n, line in lines:
        low = line.lower()
        if "<style" in low or "<script" in low:
            in_style = True
        if in_style:
            if "</style" in low or "</script" in low:
                in_style = False
            continue
        text = html.unescape(_TAG.sub(" ", line)).strip()
        if text:
            out.append((n, text))
    return out


def parse(raw: list[bytes], first: int, depth: int = 0, budget: list[int] | None = None) -> Part:
    """The MIME tree of a message whose first line is input line `first`."""
    budget = budget if budget is not None else [MAX_PARTS]
    budget[0] -= 1
    headers, _, body_at = split_headers(raw)
    ctype, params = content_type(headers.get("content-type"))
    part = Part(headers, ctype, params)
    body = raw[body_at:]
    body_first = first + body_at
    if part.is_original:
        part.raw = (body_first, body)
        return part
    boundary = params.get("boundary")
    if ctype.startswith("multipart/") and depth < MAX_DEPTH and budget[0] > 0:
        children = []
        if boundary:
            children = _split_multipart(body, body_first, boundary.encode("utf-8", "replace"))
        if not children:
            guessed = _guess_boundary(body)
            if guessed:
                children = _split_multipart(body, body_first, guessed)
        if children:
            for start, lines in children:
                if budget[0] <= 0:
                    break
                part.children.append(parse(lines, start, depth + 1, budget))
            return part
        # A multipart without its boundary: read the body as text.
        part.content_type = "text/plain"
    encoding = headers.get("content-transfer-encoding", "").strip().lower()
    part.lines = _decode_lines(body, body_first, encoding, params.get("charset"))
    return part


_BOUNDARY_LINE = re.compile(rb"[ \t]?--([!-~]{6,200}?)(?:--)?[ \t]*")


def _guess_boundary(body: list[bytes]) -> bytes | None:
    """The boundary a multipart body really uses when its header names another one (or
    none): a "--token" line that occurs at least twice."""
    counts: dict[bytes, int] = {}
    for line in body[:20_000]:
        if line.startswith((b"--", b" --", b"\t--")) and len(line) < 300:
            m = _BOUNDARY_LINE.fullmatch(line)
            if m is not None:
                token = m.group(1)
                counts[token] = counts.get(token, 0) + 1
                if counts[token] >= 2:
                    return token
    return None


def _split_multipart(
    body: list[bytes], first: int, boundary: bytes
) -> list[tuple[int, list[bytes]]]:
    delimiter = b"--" + boundary
    closing = delimiter + b"--"
    parts: list[tuple[int, list[bytes]]] = []
    current: list[bytes] | None = None
    start = first
    for n, line in enumerate(body, first):
        if line.startswith((b"--", b" --", b"\t--")):
            token = line.strip()
            if token == closing:
                if current is not None:
                    parts.append((start, current))
                current = None
                continue
            if token == delimiter:
                if current is not None:
                    parts.append((start, current))
                current, start = [], n + 1
                continue
        if current is not None:
            current.append(line)
    if current is not None:
        parts.append((start, current))
    return parts
