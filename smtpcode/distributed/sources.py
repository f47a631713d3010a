"""The inputs of a distributed run: files named by paths, globs and URLs, and the tasks
they make (a whole file, or the blocks of a big plain log)."""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from smtpcode.i18n import _
from smtpcode.pipeline import ParseOptions

# Bytes of a plain log per task: a few tenths of a second of parsing, which makes the
# scheduler's few milliseconds per task vanish, and JSON rows of some 50 MB at most.
BLOCK = 8 << 20
# URL schemes that name local files.
_LOCAL = ("", "file", "local")


@dataclass(frozen=True)
class Source:
    """One input file as the tasks see it."""

    # What findings give as their input: the path or URL as the user wrote it.
    label: str
    # What to open: an absolute local path, or a URL for fsspec.
    url: str
    remote: bool
    # Bytes (None: unknown, e.g. the file does not exist: its task says so).
    size: int | None
    storage_options: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Task:
    """One task of a run: a whole file, a block of one, or the rest of one from a block."""

    # Its place in the output (and its part file's name).
    index: int
    source: Source
    # None: the whole file.
    block: int | None = None
    block_size: int = BLOCK
    # Read the file from `block` to its end as one process would (a block was refused).
    rest: bool = False
    # The file's place among the run's files (one file may be named twice).
    file: int = 0


def is_url(name: str) -> bool:
    return "://" in name and name.split("://", 1)[0] not in _LOCAL


def expand(inputs: Sequence[str], storage_options: dict[str, Any] | None = None) -> list[Source]:
    """The files named by the inputs: globs expanded (sorted), local or remote. A name
    that matches nothing stays as it is, for its task to report."""
    options = tuple(sorted((storage_options or {}).items()))
    out: list[Source] = []
    for name in inputs:
        if is_url(name):
            out += _expand_remote(name, dict(options), options)
            continue
        path = name.split("://", 1)[1] if "://" in name else name
        matches = sorted(glob.glob(path)) if glob.has_magic(path) else [path]
        for match in matches or [path]:
            try:
                size: int | None = os.stat(match).st_size
            except OSError:
                size = None
            out.append(Source(match, os.path.abspath(match), False, size))
    return out


def _expand_remote(
    url: str, storage_options: dict[str, Any], frozen: tuple[tuple[str, Any], ...]
) -> list[Source]:
    import fsspec

    protocol = url.split("://", 1)[0]
    fs, path = fsspec.core.url_to_fs(url, **storage_options)
    infos: dict[str, dict[str, Any]]
    try:
        infos = fs.glob(path, detail=True) if glob.has_magic(path) else {path: fs.info(path)}
    except FileNotFoundError:
        return [Source(url, url, True, None, frozen)]
    out = []
    for found in sorted(infos):
        info = infos[found]
        if info.get("type") == "directory":
            continue
        full = found if "://" in found else f"{protocol}://{found}"
        out.append(Source(full, full, True, info.get("size"), frozen))
    return out or [Source(url, url, True, None, frozen)]


# Bytes a remote file fetches per request when a task reads a part of it (a block, a
# file's head, the line end after a cut): the storage's default (fsspec's 5 MB, s3fs's
# 50 MB) would fetch much more than a 16 kB look for a line end needs.
PART_REQUEST = 256 << 10


def open_binary(source: Source, request: int | None = None) -> BinaryIO:
    """The file, seekable, as bytes; a remote one fetching `request` bytes at a time
    at least (None: the storage's default, for reading all of it)."""
    if not source.remote:
        return open(source.url, "rb")
    import fsspec

    fs, path = fsspec.core.url_to_fs(source.url, **dict(source.storage_options))
    if request is None:
        return fs.open(path, "rb")  # type: ignore[no-any-return]
    return fs.open(path, "rb", block_size=request)  # type: ignore[no-any-return]


def _head(source: Source, size: int) -> bytes:
    with open_binary(source, PART_REQUEST) as f:
        return f.read(size)


def plan(sources: Sequence[Source], options: ParseOptions, block_size: int = BLOCK) -> list[Task]:
    """The tasks of a run, in output order: a task per file, or per block of a big plain
    log that looks line-local."""
    tasks: list[Task] = []
    for n, source in enumerate(sources):
        blocks = _blocks(source, options, block_size)
        if blocks <= 1:
            tasks.append(Task(len(tasks), source, file=n))
            continue
        for k in range(blocks):
            tasks.append(Task(len(tasks), source, k, block_size, file=n))
    return tasks


def _blocks(source: Source, options: ParseOptions, block_size: int) -> int:
    from smtpcode import parallel
    from smtpcode.extract.reader import SAMPLE
    from smtpcode.inputs import is_binary

    size = source.size
    if size is None or size < 2 * block_size or options.fmt not in ("auto", "postfix"):
        return 1
    try:
        head = _head(source, SAMPLE)
    except OSError:
        return 1
    if is_binary(head) or not parallel.line_local_head(head):
        return 1  # compressed data is binary to this test
    return -(-size // block_size)


def parse_storage_options(pairs: Sequence[str]) -> dict[str, Any]:
    """KEY=VALUE pairs as fsspec storage options; a value that reads as JSON (true, 3,
    null) is taken as such, any other as a string."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(_("not KEY=VALUE: {pair}").format(pair=repr(pair)))
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out
