"""Rows to a file descriptor without joining them first.

`parse --json` writes several times its input in JSON (each row carries the catalogue's
meanings); gluing the rows into one buffer before writing would copy all of it once more.
os.writev hands the kernel the rows as they are.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import BinaryIO, TextIO

# At most this many buffers per writev (POSIX guarantees 16; Linux takes 1024).
_IOV_MAX = os.sysconf("SC_IOV_MAX") if hasattr(os, "sysconf") else 16
IOV_MAX = _IOV_MAX if _IOV_MAX > 0 else 16


class OutputError(OSError):
    """Writing the output failed (a full disk, a closed file): not an input's fault, and
    not the reader going away (BrokenPipeError), which ends a run quietly."""


@contextlib.contextmanager
def output_errors() -> Iterator[None]:
    """Failures to write raised as OutputError (BrokenPipeError stays as it is)."""
    try:
        yield
    except (BrokenPipeError, OutputError):
        raise
    except OSError as exc:
        raise OutputError(exc.errno, exc.strerror) from exc


def write_rows(fd: int, rows: list[bytes]) -> None:
    """Writes all the rows, in order; a write cut short is finished by plain writes.
    Raises BrokenPipeError when the reader went away, OutputError for other failures."""
    writev = getattr(os, "writev", None)
    with output_errors():
        for start in range(0, len(rows), IOV_MAX):
            batch = rows[start : start + IOV_MAX]
            done = writev(fd, batch) if writev is not None else 0
            total = sum(map(len, batch))
            if done < total:
                rest = memoryview(b"".join(batch))[done:]
                while rest:
                    rest = rest[os.write(fd, rest) :]


def write_bytes(out: TextIO, rows: list[bytes]) -> None:
    """Writes rows of bytes to a text stream's binary buffer, after what its text layer
    holds; to the text layer itself where there is no buffer (a test's StringIO)."""
    binary: BinaryIO | None = getattr(out, "buffer", None)
    with output_errors():
        if binary is None:
            out.write(b"".join(rows).decode("utf-8", "replace"))
            return
        out.flush()
        try:
            fd = binary.fileno()
        except (AttributeError, OSError, ValueError):
            binary.write(b"".join(rows))
            return
        binary.flush()
        write_rows(fd, rows)
