"""Seeded inputs for the fuzzer: real material from tests/data, mutated.

Input number i of a run with seed s is a function of (s, i) alone, so any input a run
reports can be made again (`make_input(corpus, s, i)`) without storing it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
# The corpora mutated: real bounces, real MTA output, the parse samples.
CORPORA = ("bounces", "mta", "parse")
# Inputs above this are not made larger by a mutation (the oracle's time bound is per MB).
MAX_INPUT = 3 << 20

# Charset names a message may declare: non-text codecs, codecs that refuse error
# handlers, names with NUL or junk, and decoders that yield lone surrogates.
ODD_CHARSETS = (
    "zlib",
    "zlib_codec",
    "base64",
    "base64_codec",
    "rot13",
    "rot_13",
    "hex",
    "hex_codec",
    "uu",
    "uu_codec",
    "bz2",
    "bz2_codec",
    "quopri",
    "idna",
    "undefined",
    "utf-7",
    "unicode_escape",
    "raw_unicode_escape",
    "punycode",
    "utf-16",
    "utf-32-be",
    "mbcs",
    "cp65001",
    "\x00",
    "utf-8\x00",
    "x-unknown",
    "",
    '"',
    "iso-2022-jp",
    "shift_jis",
    "koi8-r",
    "charmap",
)
ODD_CTE = ("base64", "quoted-printable", "x-uuencode", "8bit", "7bit", "binary", "bogus", "")
# Payloads that decode oddly under the codecs above (surrogates, escapes, deep input).
ODD_PAYLOADS = (
    b"+2D3cAA-",  # utf-7: a lone surrogate
    b"\\ud800\\udfff\\x9b\\N{",  # unicode_escape: surrogates, a C1 control, a bad escape
    b"x\x9c\x03\x00",  # zlib junk
    b"=?utf-7?Q?+2D3cAA-?=",
    b"\xff\xfe\x00\xd8",  # utf-16: a lone surrogate
    b"begin 644 x\nM\n",
    b"\x1b[31m\x9b31m",
)
# Field values that look like codes and are not.
ODD_FIELDS = (
    b"dsn=5",
    b"dsn=5.1.",
    b"dsn=",
    b"dsn=5.1.1.1.1",
    b"dsn=9.9.9",
    b"Status: 5.1.1.1",
    b"Status: 5.",
    b"Status:",
    b"Remote-MTA: DNS; ",
    b"Remote-MTA:",
    b"Final-Recipient: ",
    b"Final-Recipient: rfc822;",
    b"Original-Recipient:",
    b"Diagnostic-Code: ",
    b"Diagnostic-Code: smtp;",
    b"Action:",
    b"Action: ",
    b"status=",
    b"to=<",
    b"relay=",
    b" said: ",
    b"(in reply to ",
    b"550-",
    b"550",
    b"5.5.5.5.5.5",
    b"reply: b'",
    b"response:",
    b"SMTP code: ",
    b"{LED=",
    b" returned '",
    b"Content-Type: multipart/report; boundary=",
    b"Content-Type: message/delivery-status",
    b"\x00",
    b"\x9b",
    b"\r",
)
# Characters whose long runs trip regexes with adjacent repeats.
RUN_CHARS = b"- 5.0<@>[]{}\"'\t=#:;,()\\/_*+~a\xff"


def load_corpus() -> list[bytes]:
    out: list[bytes] = []
    for name in CORPORA:
        for path in sorted((DATA / name).rglob("*")):
            if path.is_file() and path.suffix not in (".md",) and path.name != "LICENSE":
                data = path.read_bytes()
                if data:
                    out.append(data)
    return out


# -- mutations: each takes (rng, data, corpus) and returns new data ---------------------

Mutation = Callable[[random.Random, bytes, list[bytes]], bytes]


def _pos(rng: random.Random, data: bytes) -> int:
    return rng.randrange(len(data) + 1)


def flip_bytes(rng: random.Random, data: bytes, corpus: list[bytes]) -> bytes:
    if not data:
        return bytes([rng.randrange(256)])
    buf = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 4, 16))):
        i = rng.randrange(len(buf))
        buf[i] = rng.randrange(256) if rng.random() < 0.5 else buf[i] ^ (1 << rng.randrange(8))
    return bytes(buf)


def truncate(rng: random.Random, data: bytes, corpus: list[bytes]) -> bytes:
    return data[: _pos(rng, data)]


def cut_middle(rng: random.Random, data: bytes, corpus: list[bytes]) -> bytes:
    a, b = sorted((_pos(rng, data), _pos(rng, data)))
    return data[:a] + data[b:]


def duplicate_line(rng: random.Random, data: bytes, corpus: list[bytes]) -> bytes:
    lines = data.split(b"\n")
    i = rng.randrange(len(lines))
    times = rng.choice((2, 3, 10, 100, 1000, 5000))
    times = min(times, MAX_INPUT // (len(lines[i]) + 1) + 1)
    return b"\n".join(lines[:i] + [lines[i]] * times + lines[i + 1 :])


def splice(rng: random.Random, data: bytes, corpus: list[bytes]) -> bytes:
    other = rng.choice(corpus)
    return data[: _pos(rng, data)] + other[_pos(rng, other) :]


def insert_run(rng: random.Random, data: bytes, corpus: list[bytes]) -> bytes:
    char = bytes([rng.choice(RUN_CHARS)])
    if rng.random() < 0.3:
        char = rng.choice((b"5.", b"550-", b"a@", b"<a", b"\\n", b"- ", b"5 ", b"=\n", b"%"))
    size = rng.choice((100, 1000, 10_000, 10_000, 100_000, 100_000, 1 << 20))
    if b"\n" in char:
        size //= 4  # many short lines cost per line, not per byte: enough of them
    at = _pos(rng, data)
    return data[:at] + char * (size // len(char)) + data[at:]


def nest_deep(rng: random.Random, data: bytes, corpus: list[bytes]) -> bytes:
    depth = rng.choice((100, 1000, 5000, 50_000))
    opener, closer = rng.choice(((b"[", b"]"), (b'{"a":', b"}"), (b'{"message":"{\\"a\\":', b"")))
    body = opener * depth + b"1" + closer * (depth if rng.random() < 0.7 else 0)
    if rng.random() < 0.4:
        body = b'{"Message": "' + body.replace(b'"', b'\\"') + b'"}'
    where = rng.random()
    if where < 0.3:
        return body + b"\n" + data  # the first line
    at = _pos(rng, data)
    return data[:at] + body + data[at:]


def odd_charset(rng: random.Random, data: bytes, corpus: list[bytes]) -> bytes:
    name = rng.choice(ODD_CHARSETS).encode("latin-1")
    if b"charset=" in data.lower() and rng.random() < 0.7:
        low = data.lower()
        at = low.find(b"charset=", rng.randrange(max(1, low.find(b"charset=") + 1)))
        at = at if at >= 0 else low.find(b"charset=")
        end = at + 8
        while end < len(data) and data[end : end + 1] not in b";\r\n \t":
            end += 1
        data = data[: at + 8] + name + data[end:]
    else:
        header = b"Content-Type: text/plain; charset=" + name + b"\n"
        if rng.random() < 0.5:
            header += b"Content-Transfer-Encoding: " + rng.choice(ODD_CTE).encode() + b"\n"
        data = (
            header + data
            if rng.random() < 0.5
            else data.replace(b"\n\n", b"\n" + header + b"\n", 1)
        )
    if rng.random() < 0.5:
        at = _pos(rng, data)
        data = data[:at] + rng.choice(ODD_PAYLOADS) + data[at:]
    return data


def odd_encoding(rng: random.Random, data: bytes, corpus: list[bytes]) -> bytes:
    low = data.lower()
    at = low.find(b"content-transfer-encoding:")
    cte = rng.choice(ODD_CTE).encode()
    if at >= 0:
        end = data.find(b"\n", at)
        end = end if end >= 0 else len(data)
        return data[:at] + b"Content-Transfer-Encoding: " + cte + data[end:]
    return b"Content-Transfer-Encoding: " + cte + b"\n" + data


def line_ends(rng: random.Random, data: bytes, corpus: list[bytes]) -> bytes:
    choice = rng.randrange(4)
    plain = data.replace(b"\r\n", b"\n")
    if choice == 0:
        return plain.replace(b"\n", b"\r")
    if choice == 1:
        return plain.replace(b"\n", b"\r\n")
    if choice == 2:
        ends = (b"\n", b"\r", b"\r\n")
        return b"".join(piece + rng.choice(ends) for piece in plain.split(b"\n"))
    return plain.replace(b"\n", b"\n\r")


def insert_field(rng: random.Random, data: bytes, corpus: list[bytes]) -> bytes:
    token = rng.choice(ODD_FIELDS)
    lines = data.split(b"\n")
    i = rng.randrange(len(lines))
    line = lines[i]
    if rng.random() < 0.5:
        lines.insert(i, token)
    else:
        at = rng.randrange(len(line) + 1)
        lines[i] = line[:at] + token + line[at:]
    return b"\n".join(lines)


def replace_field_value(rng: random.Random, data: bytes, corpus: list[bytes]) -> bytes:
    """Cut a field's value short: "dsn=5.1.1" -> "dsn=5.", "Status: 5.1.1" -> "Status: 5"."""
    for name in (b"dsn=", b"Status: ", b"Remote-MTA: ", b"Diagnostic-Code: ", b"Final-Recipient: "):
        at = data.find(name)
        if at >= 0 and rng.random() < 0.5:
            start = at + len(name)
            end = start
            while end < len(data) and data[end : end + 1] not in b",\n\r":
                end += 1
            keep = rng.randrange(end - start + 1)
            return data[: start + keep] + data[end:]
    return truncate(rng, data, corpus)


MUTATIONS: tuple[Mutation, ...] = (
    flip_bytes,
    flip_bytes,
    truncate,
    truncate,
    cut_middle,
    duplicate_line,
    splice,
    insert_run,
    nest_deep,
    odd_charset,
    odd_charset,
    odd_encoding,
    line_ends,
    insert_field,
    insert_field,
    replace_field_value,
)


def generated(rng: random.Random) -> bytes:
    """An input made from nothing: the known-dangerous shapes, sized at random."""
    n = rng.choice((10, 100, 1000, 10_000, 100_000))
    shapes = (
        lambda: b"550-" + b"x" * n + b"\n",
        lambda: b"".join(b"550-line %d\n" % i for i in range(min(n, 5000))) + b"550 end\n",
        lambda: b"Error: 550-a\n" + b"550-b\n" * min(n, 5000) + b"550 c\n",
        lambda: b"[" * n + b"]" * n,
        lambda: b'{"a":' * n + b"1" + b"}" * n,
        lambda: (
            b"postfix/smtp[1]: A: to=<a@b>, relay=x, dsn=" + b"5." * n + b", status=bounced (x)\n"
        ),
        lambda: b"Final-Recipient: rfc822; a@b\nStatus: " + b"5" * n + b"\n",
        lambda: b"From: MAILER-DAEMON\nSubject: failure\n\n" + b"-" * n + b" x " + b"-" * n + b"\n",
        lambda: b"From: MAILER-DAEMON\n\n" + b"<" * n + b"@" * n + b"\n",
        lambda: b"550 " + b"5.5" * n + b"\n",
        lambda: b"Jan 1 00:00:00 h postfix/smtp[1]: A: host x said: 550 " + b" " * n + b"x\n",
        lambda: bytes(rng.randrange(256) for _ in range(min(n, 10_000))),
    )
    return rng.choice(shapes)()


def make_input(corpus: list[bytes], seed: int, index: int) -> bytes:
    """Input number `index` of a run with `seed`."""
    rng = random.Random(f"{seed}:{index}")
    data = generated(rng) if rng.random() < 0.05 else rng.choice(corpus)
    for _ in range(rng.choice((0, 1, 1, 1, 2, 2, 3, 4))):
        if len(data) > MAX_INPUT:
            data = data[:MAX_INPUT]
        data = rng.choice(MUTATIONS)(rng, data, corpus)
    return data
