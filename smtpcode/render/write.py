"""Writing `parse` rows, and telling a failure to write from the reader going away."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import BinaryIO, TextIO


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


def write_bytes(out: TextIO, rows: list[bytes]) -> None:
    """Writes rows of bytes to a text stream's binary buffer, after what its text layer
    holds (a day's log is hundreds of MB of JSON: no text-layer encoding); to the text
    layer itself where there is no buffer (a test's StringIO)."""
    binary: BinaryIO | None = getattr(out, "buffer", None)
    data = rows[0] if len(rows) == 1 else b"".join(rows)
    with output_errors():
        if binary is None:
            out.write(data.decode("utf-8", "replace"))
            return
        out.flush()
        binary.write(data)
