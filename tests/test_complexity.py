"""Time grows linearly with the input for the shapes known to be dangerous: long runs of
one character where regexes could backtrack, many lines of one reply, deep nesting.

Each shape is read (and every reply diagnosed) at sizes n, 2n and 4n (4n below the
1 MB at which a line is cut); the time at 4n must stay within 8 times the time at n,
each the best of three runs (noise only ever adds time). Linear work gives about 4,
quadratic work 16, so the margin absorbs a busy machine without hiding a square.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import pytest

from smtpcode.catalogue import get_catalogue
from smtpcode.diagnose import Diagnoser, get_rules
from smtpcode.extract import Scanner

BOUNCE_HEAD = (
    b"From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\n"
    b"Subject: Undelivered Mail Returned to Sender\n"
    b"To: sender@example.com\n\n"
    b"This is the mail system at host mx.example.org.\n\n"
)
LOG_HEAD = b"Dec  1 10:00:00 mx postfix/smtp[123]: 4AB12: to=<a@example.com>, relay=mx[192.0.2.1]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=5.0.0, status=bounced (host mx[192.0.2.1] said: 550 "  # noqa: E501


def _json_in_email(n: int) -> bytes:
    return BOUNCE_HEAD.replace(b"\n\n", b"\nContent-Type: text/plain\n\n", 1) + b"[" * n + b"\n"


# name -> input of size parameter n, and the n to start from.
SHAPES: dict[str, tuple[Callable[[int], bytes], int]] = {
    "dashes in a bounce": (lambda n: BOUNCE_HEAD + b"-" * n + b" x " + b"-" * n + b"\n", 40_000),
    "spaces in a bounce": (lambda n: BOUNCE_HEAD + b"said: 550" + b" " * n + b"x\n", 50_000),
    "digits in a bounce": (lambda n: BOUNCE_HEAD + b"550 " + b"5" * n + b"\n", 100_000),
    "dashes in a log line": (lambda n: LOG_HEAD + b"-" * n + b")\n", 200_000),
    "spaces in a log line": (lambda n: LOG_HEAD + b" " * n + b"x)\n", 200_000),
    "digits in a log line": (lambda n: LOG_HEAD + b"5" * n + b")\n", 200_000),
    "5.5.5.5 in a reply": (lambda n: b"550 " + b"5." * n + b"\n", 100_000),
    "5.5.5.5 in a bounce": (lambda n: BOUNCE_HEAD + b"Status: " + b"5." * n + b"\n", 30_000),
    "dsn=5.5.5 in a log line": (
        lambda n: LOG_HEAD.replace(b"dsn=5.0.0", b"dsn=" + b"5." * n) + b"x)\n",
        100_000,
    ),
    "< and @ in a reply": (lambda n: b"550 " + b"<@" * n + b"\n", 100_000),
    "a@ in a bounce": (lambda n: BOUNCE_HEAD + b"a@" * n + b"\n", 30_000),
    "< and @ in a log line": (lambda n: LOG_HEAD + b"<a@" * n + b")\n", 100_000),
    "held multi-line reply": (
        lambda n: b"Error: Invalid login: 535-5.7.8 first\n" + b"535-5.7.8 more\n" * n,
        8_000,
    ),
    "multi-line reply": (lambda n: b"550-5.1.1 line\n" * n + b"550 5.1.1 end\n", 8_000),
    "transcript reply": (lambda n: b"<** 550-5.1.1 line\n" * n + b"<** 550 end\n", 8_000),
    "smtplib literals": (lambda n: b"SMTPDataError: " + b"(550, b'\\" * n + b"\n", 5_000),
    "one smtplib literal": (lambda n: b"SMTPDataError: (550, b'" + b"x" * n + b"')\n", 200_000),
    "deep JSON document": (lambda n: b"[" * n + b"]" * n + b"\n[1,\n", 50_000),
    "deep JSON line": (lambda n: b"250 ok\n" + b'{"a":' * n + b"1" + b"}" * n + b"\n", 50_000),
    "deep JSON in an email": (_json_in_email, 50_000),
    "deep JSON in a JSON string": (
        lambda n: b'{"Message": "' + b'{\\"a\\":' * n + b'"}\n',
        50_000,
    ),
    "quoted-printable soft breaks": (
        lambda n: (
            BOUNCE_HEAD.replace(b"\n\n", b"\nContent-Transfer-Encoding: quoted-printable\n\n", 1)
            + b"550 x=\n" * n
            + b"end\n"
        ),
        20_000,
    ),
    "notice lines that look like replies": (
        lambda n: BOUNCE_HEAD + b"<a@example.com>\n" + b"  (in reply to 550 x\n" * n,
        5_000,
    ),
    "short lines": (lambda n: b"=\n" * n, 5_000),
}


def _seconds(data: bytes) -> float:
    # A fresh diagnoser each time: its caches would make the later runs free.
    diagnoser = Diagnoser(get_catalogue(), get_rules())
    started = time.perf_counter()
    for reply in Scanner("t").scan_stream(io.BytesIO(data)):
        diagnoser.diagnose(reply).to_dict()
    return time.perf_counter() - started


def _best(data: bytes) -> float:
    return min(_seconds(data) for _ in range(3))


@pytest.mark.parametrize("name", list(SHAPES))
def test_time_grows_linearly(name: str) -> None:
    make, n = SHAPES[name]
    _seconds(make(n // 4))  # warm-up: imports, compiled patterns, the catalogue
    t1, t2, t4 = (_best(make(k * n)) for k in (1, 2, 4))
    # A floor of 10 ms: below it the clock's noise is the measure (and 80 ms for 4n is
    # far below what a square of these sizes would cost).
    base = max(t1, 0.010)
    assert t4 < 8 * base, f"{name}: {t1:.4f} s, {t2:.4f} s, {t4:.4f} s at n, 2n, 4n"
