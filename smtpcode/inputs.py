"""Opening what `parse` reads: standard input or files, plain or compressed, text or not.

Rotated logs are usually compressed (mail.log.2.gz), so gzip, bzip2 and xz are read
wherever they come from, recognised by their first bytes rather than by the file name
(a pipe has none). Binary files (an executable, an image) hold no mail text: reading
them would only turn random bytes into "replies", so they are skipped unless asked for.
"""

from __future__ import annotations

import io
import os
import stat
import sys
from dataclasses import dataclass
from typing import BinaryIO, cast

from smtpcode.i18n import _

# What a compressed stream starts with, and which module reads it.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)
# Text has no NUL bytes (nor does any mail log, transcript or bounce); binary formats
# are full of them. The same test as grep's and git's, on the same amount of data.
SNIFF = 8192
# Formats recognised at once, even before a NUL byte is seen.
_BINARY_MAGIC = (
    b"\x7fELF",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"PK\x03\x04",
    b"%PDF",
    b"MZ",
    b"\xca\xfe\xba\xbe",
    b"\xcf\xfa\xed\xfe",
)
# UTF-16 text (some Windows tools write their logs so) is turned into UTF-8 as it is read.
_UTF16_BOMS = ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


class InputError(Exception):
    """An input that cannot be read as text (why is the message)."""


class SkippedInput(Exception):
    """An input deliberately not read (a binary file); the message says why."""


@dataclass
class Opened:
    """An input ready to be read as bytes of text."""

    name: str
    stream: BinaryIO
    # A pipe or terminal: rows are shown as they are found (tail -f).
    live: bool
    # A regular, uncompressed file: it may be cut into chunks for several processes.
    path: str | None
    compression: str | None
    # Opened here (not standard input): closed with the Opened.
    owned: bool = False

    def close(self) -> None:
        if self.owned or self.path is not None or self.compression is not None:
            self.stream.close()


def open_input(name: str, read_binary: bool = False) -> Opened:
    """Opens `name` ("-": standard input). Raises OSError when it cannot be opened,
    InputError when its compression cannot be read, SkippedInput for a binary file."""
    if name == "-":
        raw: BinaryIO = sys.stdin.buffer
        label = "<stdin>"
        regular = False
        if _is_tty(raw):
            raw = cast("BinaryIO", io.BufferedReader(_EndsOnce(raw)))
    else:
        raw = open(name, "rb")  # noqa: SIM115 (closed by Opened.close)
        label = name
        regular = _is_regular(raw)
    return _opened(raw, name, label, regular, read_binary)


def open_stream(stream: BinaryIO, name: str, read_binary: bool = False) -> Opened:
    """An input already open as a binary stream (a remote file opened through fsspec),
    read as open_input reads a file: decompressed, recoded, skipped when binary. The
    stream is closed with the Opened; it is never cut into chunks (no path)."""
    try:
        return _opened(stream, "", name, False, read_binary)
    except BaseException:
        stream.close()
        raise


def _opened(raw: BinaryIO, name: str, label: str, regular: bool, read_binary: bool) -> Opened:
    try:
        head = _peek(raw)
        if not hasattr(raw, "peek"):
            raw = cast("BinaryIO", _Prefixed(head, raw))
        compression = next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)
        stream: BinaryIO = raw
        if compression is not None:
            stream = _decompressing(raw, compression)
            head = _peek(stream)
            if not hasattr(stream, "peek"):
                stream = cast("BinaryIO", _Prefixed(head, stream))
        for bom, codec in _UTF16_BOMS:
            if head.startswith(bom):
                stream = cast("BinaryIO", _Recoded(stream, codec))
                head = b""
                break
        if head and not read_binary and is_binary(head):
            raise SkippedInput(_("skipped: binary data (use --binary to read it anyway)"))
    except BaseException:
        if name not in ("-", ""):
            raw.close()
        raise
    plain_file = regular and compression is None and stream is raw
    return Opened(
        name=label,
        stream=stream,
        live=not regular and name != "",
        path=name if plain_file else None,
        compression=compression,
        owned=name == "",
    )


def is_binary(head: bytes) -> bool:
    """Whether the first bytes of an input show it is not text."""
    return b"\x00" in head[:SNIFF] or head.startswith(_BINARY_MAGIC)


def _is_regular(f: BinaryIO) -> bool:
    try:
        return stat.S_ISREG(os.fstat(f.fileno()).st_mode)
    except (AttributeError, OSError, ValueError):
        return False


def _peek(stream: BinaryIO) -> bytes:
    """The first bytes of a stream without consuming them where the stream allows it;
    otherwise they are read (and handed back by _Prefixed)."""
    peek = getattr(stream, "peek", None)
    if peek is not None:
        try:
            data: bytes = peek(SNIFF)
        except EOFError as exc:  # a compressed stream cut short
            raise InputError(
                _("compressed data is cut short ({error})").format(error=exc)
            ) from None
        except (OSError, ValueError) as exc:
            raise InputError(_("cannot read the data: {error}").format(error=exc)) from None
        except Exception as exc:
            # Corrupt compressed data: zlib.error and lzma.LZMAError are neither.
            import lzma
            import zlib

            if not isinstance(exc, zlib.error | lzma.LZMAError):
                raise
            raise InputError(_("corrupt compressed data ({error})").format(error=exc)) from None
        return data[:SNIFF]
    return stream.read(SNIFF)


def _decompressing(raw: BinaryIO, kind: str) -> BinaryIO:
    if kind == "gzip":
        import gzip

        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if kind == "bzip2":
        import bz2

        return bz2.BZ2File(raw)  # type: ignore[return-value]
    if kind == "xz":
        import lzma

        return lzma.LZMAFile(raw)  # type: ignore[return-value]
    try:
        from compression import zstd  # type: ignore[import-not-found]  # Python 3.14
    except ImportError:
        raise InputError(
            _("zstd-compressed: this Python cannot read zstd (decompress it first: zstd -dc)")
        ) from None
    return zstd.ZstdFile(raw)  # type: ignore[no-any-return]


class _Stream(io.RawIOBase):
    """A readable stream made of read1(): read() and readinto() follow from it."""

    def readable(self) -> bool:
        return True

    def read1(self, size: int = -1) -> bytes:
        raise NotImplementedError

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            parts = []
            while chunk := self.read1(1 << 16):
                parts.append(chunk)
            return b"".join(parts)
        return self.read1(size)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read1(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _Prefixed(_Stream):
    """A stream whose first bytes were already read: they come first again."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def read1(self, size: int = -1) -> bytes:
        if self._head:
            data = self._head if size < 0 else self._head[:size]
            self._head = self._head[len(data) :]
            return data
        return _read_some(self._rest, size)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            data, self._head = self._head + self._rest.read(), b""
            return data
        return self.read1(size)

    def peek(self, size: int = 0) -> bytes:
        return self._head or b""

    def close(self) -> None:
        self._rest.close()
        super().close()


def _is_tty(stream: BinaryIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, OSError, ValueError):
        return False


class _EndsOnce(_Stream):
    """A terminal's input, ended by the first Ctrl-D: a terminal's end of input holds for
    one read only, and reading on would wait for another Ctrl-D."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._ended = False

    def read1(self, size: int = -1) -> bytes:
        if self._ended:
            return b""
        data = _read_some(self._stream, size)
        self._ended = not data
        return data


class _Recoded(_Stream):
    """UTF-16 text read as UTF-8 bytes."""

    def __init__(self, stream: BinaryIO, codec: str) -> None:
        import codecs

        self._decoder = codecs.getincrementaldecoder(codec)("replace")
        self._stream = stream
        self._pending = b""
        self._started = False

    def read1(self, size: int = -1) -> bytes:
        while not self._pending:
            raw = _read_some(self._stream, 1 << 16)
            text = self._decoder.decode(raw, final=not raw)
            if not self._started:
                text = text.removeprefix("\ufeff")
                self._started = True
            self._pending = text.encode("utf-8", "surrogatepass")
            if not raw:
                break
        n = len(self._pending) if size is None or size < 0 else size
        data, self._pending = self._pending[:n], self._pending[n:]
        return data

    def close(self) -> None:
        self._stream.close()
        super().close()


def _read_some(stream: BinaryIO, size: int) -> bytes:
    read1 = getattr(stream, "read1", None)
    if read1 is not None:
        return read1(size if size and size > 0 else 1 << 16)  # type: ignore[no-any-return]
    return stream.read(size if size and size > 0 else 1 << 16)
