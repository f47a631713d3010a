"""Input as lines of bytes: any line end (LF, CRLF, bare CR), bounded length, flat memory.

Lines stay bytes so that the prefilters can reject most of a log without decoding it;
extractors decode the few candidates with `decode()`, which never fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO

# A line longer than this is cut: its first MAX_LINE bytes are kept, the rest is read and
# dropped. No SMTP reply line comes near it (RFC 5321 allows 512 octets); a JSON event or
# a log line with a long message still fits.
MAX_LINE = 1 << 20
# How much of the input is looked at to decide whether it uses bare CRs as line ends.
SAMPLE = 1 << 16
# How much is read at a time after the sample.
BLOCK = 1 << 18


def decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def uses_bare_cr(data: bytes) -> bool:
    """Whether a sample of an input ends lines with bare CRs (without the LF of CRLF)."""
    return b"\r" in data.replace(b"\r\n", b"")


def iter_lines(stream: BinaryIO, limit: int = MAX_LINE) -> Iterator[bytes]:
    """Yield the lines of a binary stream without their line ends.

    LF and CRLF end lines; so does a bare CR when the input's start shows it uses them
    (old Mac files, some bounce samples), also mixed with the others. Memory stays below
    about 2 * limit bytes whatever the input holds (a 50 MB line, no line ends at all,
    binary junk).
    """
    for block in iter_blocks(stream, limit):
        lines = block.split(b"\n")
        lines.pop()  # what follows the block's last line end: nothing
        yield from lines


def iter_blocks(stream: BinaryIO, limit: int = MAX_LINE, detect_cr: bool = True) -> Iterator[bytes]:
    """The lines of iter_lines() in blocks: each block is whole lines, each ended by one LF
    (CRLF and bare CR line ends already made LF; over-long lines already cut).

    A big log is read a block at a time so that the lines nobody wants can be stepped
    over with bytes.find() and friends, which cost a fraction of a Python loop per line.
    `detect_cr=False`: LF and CRLF end lines whatever the start shows (a later chunk of a
    file whose start decided that).
    """
    # read1: what is there now, so that a live pipe (tail -f) is not held up by a block.
    read = getattr(stream, "read1", None) or stream.read
    head = read(min(SAMPLE, limit))
    if not head:
        return
    if detect_cr and uses_bare_cr(head[:-1]):
        for line in _split_any(_chain(head, stream, limit), limit):
            yield line + b"\n"
        return
    # The usual case: LF or CRLF. A line is cut when no LF comes within `limit` bytes of
    # its start (as readline(limit) would see it); its rest is read and dropped. A cut
    # line and the last line of the input lose all trailing CRs, other lines one.
    size = min(BLOCK, limit)
    pending = head
    while True:
        end = pending.rfind(b"\n", 0, limit) + 1
        if end:
            # Whole lines, none of them over-long: each ends within `limit` bytes.
            block = pending[:end]
            pending = pending[end:]
            yield block.replace(b"\r\n", b"\n") if b"\r" in block else block
            continue
        if len(pending) >= limit:
            yield pending[:limit].rstrip(b"\r") + b"\n"
            pending = _after_line_end(pending[limit:], read, size)
            if pending is None:
                return
            continue
        more = read(size)
        if not more:
            if pending:
                yield pending.rstrip(b"\r") + b"\n"
            return
        pending += more


def _after_line_end(pending: bytes, read: Callable[[int], bytes], size: int) -> bytes | None:
    """What follows the next LF, reading and dropping the rest of an over-long line;
    None at the end of the input."""
    while True:
        nl = pending.find(b"\n")
        if nl >= 0:
            return pending[nl + 1 :]
        pending = read(size)
        if not pending:
            return None


def _chain(head: bytes, stream: BinaryIO, size: int) -> Iterator[bytes]:
    yield head
    while True:
        block = stream.read(size)
        if not block:
            return
        yield block


def _split_any(blocks: Iterator[bytes], limit: int) -> Iterator[bytes]:
    """Lines ended by LF, CRLF or CR, from blocks of bytes; over-long lines cut."""
    pending = b""
    dropping = False  # the current line is over-long: its head was yielded
    after_cr = False  # the previous block ended with CR: an LF first in this one pairs it
    for block in blocks:
        if after_cr and block[:1] == b"\n":
            block = block[1:]
        after_cr = block[-1:] == b"\r"
        pieces = block.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        for piece in pieces[:-1]:
            if not dropping:
                yield (pending + piece)[:limit]
            pending, dropping = b"", False
        tail = pieces[-1]
        if not dropping:
            pending += tail
            if len(pending) >= limit:
                yield pending[:limit]
                pending, dropping = b"", True
    if pending and not dropping:
        yield pending
