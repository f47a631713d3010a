"""Corrupt compressed inputs are a message and exit status 3, not a traceback; the other
inputs are still read."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

REPLY = (
    b"Nov 29 10:00:00 relay1 postfix/smtp[5230]: 4F1A2B3C4D: to=<a@example.net>, "
    b"relay=mx.example.net[192.0.2.7]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.1.1, "
    b"status=bounced (host mx.example.net[192.0.2.7] said: 550 5.1.1 <a@example.net>: "
    b"Recipient address rejected: User unknown (in reply to RCPT TO command))\n"
)


@pytest.mark.parametrize(
    ("name", "data", "why"),
    [
        # A gzip header followed by deflate data that is not.
        (
            "bad.log.gz",
            b"\x1f\x8b\x08\x00 not gzip at all",
            "Error -3 while decompressing data: invalid distance too far back",
        ),
        # The xz magic followed by garbage.
        ("bad.log.xz", b"\xfd7zXZ\x00garbagegarbage", "Corrupt input data"),
    ],
)
def test_corrupt_compressed_input(run, tmp_path: Path, name: str, data: bytes, why: str) -> None:
    bad = tmp_path / name
    bad.write_bytes(data)
    good = tmp_path / "good.log.gz"
    good.write_bytes(gzip.compress(REPLY))
    code, out, err = run("parse", "--json", str(bad), str(good))
    assert code == 3
    assert err == f"smtpcode: cannot read {bad}: corrupt compressed data ({why})\n"
    _, alone, _ = run("parse", "--json", str(good))
    assert out == alone
    assert '"reason": "user-unknown"' in out
