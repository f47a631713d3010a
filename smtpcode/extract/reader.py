"""Input as lines of bytes: any line end (LF, CRLF, bare CR), bounded length, flat memory.

Lines stay bytes so that the prefilters can reject most of a log without decoding it;
extractors decode the few candidates with `decode()`, which never fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

# A line longer than this is cut: its first MAX_LINE bytes are kept, the rest is read and
# dropped. No SMTP reply line comes near it (RFC 5321 allows 512 octets); a JSON event or
# a log line with a long message still fits.
MAX_LINE = 1 << 20
# How much of the input is looked at to decide whether it uses bare CRs as line ends.
SAMPLE = 1 << 16


def decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _has_bare_cr(data: bytes) -> bool:
    return b"\r" in data.replace(b"\r\n", b"")


def iter_lines(stream: BinaryIO, limit: int = MAX_LINE) -> Iterator[bytes]:
    """Yield the lines of a binary stream without their line ends.

    LF and CRLF end lines; so does a bare CR when the input's start shows it uses them
    (old Mac files, some bounce samples), also mixed with the others. Memory stays below
    about 2 * limit bytes whatever the input holds (a 50 MB line, no line ends at all,
    binary junk).
    """
    # read1: what is there now, so that a live pipe (tail -f) is not held up by the sample.
    read1 = getattr(stream, "read1", None)
    head = read1(min(SAMPLE, limit)) if read1 is not None else stream.read(min(SAMPLE, limit))
    if not head:
        return
    if _has_bare_cr(head[:-1]):
        yield from _split_any(_chain(head, stream, limit), limit)
        return
    # The usual case: LF or CRLF. Whole lines of the sample first, then readline().
    lines = head.split(b"\n")
    carry = lines.pop()  # the unfinished last line of the sample ("" if it ended one)
    for line in lines:
        yield line[:-1] if line[-1:] == b"\r" else line
    readline = stream.readline
    if carry:
        rest = readline(max(limit - len(carry), 1))
        line = carry + rest
        if line[-1:] == b"\n":
            line = line[:-1]
            yield line[:-1] if line[-1:] == b"\r" else line
        else:
            # Over-long, or the end of the input.
            yield line[:limit].rstrip(b"\r")
            if len(line) >= limit:
                _skip_rest(readline, limit)
    while True:
        chunk = readline(limit)
        if not chunk:
            return
        if chunk[-1:] == b"\n":
            yield chunk[:-2] if chunk[-2:-1] == b"\r" else chunk[:-1]
        else:
            # No line end within `limit` bytes, or the last line of the input.
            yield chunk.rstrip(b"\r")
            if len(chunk) >= limit:
                _skip_rest(readline, limit)


def _skip_rest(readline: object, limit: int) -> None:
    """Read and drop the rest of an over-long line."""
    while True:
        more = readline(limit)  # type: ignore[operator]
        if not more or more[-1:] == b"\n":
            return


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
