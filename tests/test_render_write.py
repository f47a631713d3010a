"""write_rows: every row written once, in order, also when writev stops short."""

from __future__ import annotations

import os
import threading

import pytest

from smtpcode.render import write


def _read_all(fd: int, into: bytearray) -> None:
    while chunk := os.read(fd, 1 << 16):
        into += chunk


def _through_pipe(rows: list[bytes]) -> bytes:
    r, w = os.pipe()
    got = bytearray()
    reader = threading.Thread(target=_read_all, args=(r, got))
    reader.start()
    try:
        write.write_rows(w, rows)
    finally:
        os.close(w)
        reader.join()
        os.close(r)
    return bytes(got)


def test_rows_come_out_whole_and_in_order() -> None:
    # More rows than one writev takes, and more bytes than a pipe holds.
    rows = [b'{"line": %d, "text": "%s"}\n' % (i, b"x" * (i % 700)) for i in range(3000)]
    assert _through_pipe(rows) == b"".join(rows)


def test_a_short_writev_is_finished(monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.writev

    def short(fd: int, buffers: list[bytes]) -> int:
        # Writes only part of the second buffer, as a signal or a full pipe may cause.
        return real(fd, [buffers[0], buffers[1][:3]]) if len(buffers) > 1 else real(fd, buffers)

    monkeypatch.setattr(os, "writev", short)
    rows = [b"first row\n", b"second row\n", b"third row\n"] * 500
    assert _through_pipe(rows) == b"".join(rows)


def test_without_writev_rows_are_written_plainly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "writev")
    rows = [b"a\n", b"bb\n", b"ccc\n"]
    assert _through_pipe(rows) == b"a\nbb\nccc\n"
