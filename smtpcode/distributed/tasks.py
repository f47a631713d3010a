"""The tasks of a distributed run, as the workers run them: a whole file through the
pipeline, a block of a big log read and checked as smtpcode.parallel reads a chunk, or
the rest of a file from a refused block; rows kept or written to a part file."""

from __future__ import annotations

import io
import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from smtpcode.distributed.sources import PART_REQUEST, Task, is_url, open_binary
from smtpcode.pipeline import ParseOptions, RunReport
from smtpcode.records import Problem
from smtpcode.tally import Tally

if TYPE_CHECKING:
    from smtpcode.diagnosis_cache import DiagnosisCache
    from smtpcode.inputs import Opened
    from smtpcode.records import Finding


@dataclass(frozen=True)
class Job:
    """What every task of a run does."""

    options: ParseOptions
    # "json" or "tsv": rows are made; None: only counted.
    kind: str | None
    # Where each task writes its JSON Lines (a local directory or a URL), or None.
    output_dir: str | None = None
    # fsspec's options for an output directory given as a URL.
    storage_options: tuple[tuple[str, Any], ...] = ()


@dataclass
class Outcome:
    """A task's part of the run, as it travels back."""

    index: int
    # False: a block whose reading is not what sequential reading gives.
    ok: bool
    report: RunReport
    rows: bytes = b""
    lines: int = 0
    # The part file written (output_dir), to be removed if the block is thrown away.
    part: str | None = None


_caches = threading.local()


def _cache() -> DiagnosisCache:
    """This worker thread's diagnosis cache for the current language: the usual replies
    are diagnosed once per thread and language, whatever the number of tasks it runs (a
    worker may serve runs in several languages; a diagnosis holds its language's texts)."""
    from smtpcode.i18n import language

    caches: dict[str, DiagnosisCache] | None = getattr(_caches, "by_language", None)
    if caches is None:
        caches = _caches.by_language = {}
    cache = caches.get(language())
    if cache is None:
        from smtpcode.diagnosis_cache import DiagnosisCache

        cache = caches[language()] = DiagnosisCache()
    return cache


class _Rows:
    """A sink that keeps the rows of a task."""

    def __init__(self, kind: str) -> None:
        self.row_kind: str | None = kind
        self.rows: list[bytes] = []

    def parse_row(self, finding: Finding) -> None:
        raise NotImplementedError("rows are made by the pipeline")

    def write_rows(self, rows: list[bytes]) -> None:
        self.rows += rows

    def flush(self) -> None:
        pass

    def finish(self, report: RunReport) -> bytes:
        return b"".join(self.rows)


class _CountedRows(_Rows):
    """A sink that keeps the JSON rows of a task and counts them as --summary does: the
    part files of an output directory, with the counts coming back."""

    def __init__(self) -> None:
        from smtpcode.rows import FindingEncoder

        super().__init__("json")
        self.row_kind = None  # findings, not rows, are handed over
        self._line = FindingEncoder().line
        self.counts = Tally()

    def parse_row(self, finding: Finding) -> None:
        self.rows.append(self._line(finding))
        self.counts.add(finding)

    def finish(self, report: RunReport) -> bytes:
        self.counts.findings = 0  # the pipeline counted them
        report.tally.merge(self.counts)
        return b"".join(self.rows)


def _sink(job: Job) -> _Rows | None:
    if job.output_dir is not None:
        return _CountedRows()
    return _Rows(job.kind) if job.kind is not None else None


class _Counting(io.RawIOBase):
    """A binary stream that counts the line ends read through it (for lines/s)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.lines = 0

    def readable(self) -> bool:
        return True

    def read1(self, size: int = -1) -> bytes:
        read = getattr(self._stream, "read1", None) or self._stream.read
        data: bytes = read(size if size and size > 0 else 1 << 16)
        self.lines += data.count(b"\n")
        return data

    def read(self, size: int | None = -1) -> bytes:
        data = self._stream.read(-1 if size is None else size)
        self.lines += data.count(b"\n")
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read1(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seekable(self) -> bool:
        return self._stream.seekable()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        return self._stream.tell()

    def close(self) -> None:
        self._stream.close()
        super().close()


def run_task(task: Task, job: Job, first_line: int = 1) -> Outcome:
    """One task: its report, and its rows (or the part file it wrote), in the language
    of the run (a worker process has its own, from its environment)."""
    if job.options.lang is not None:
        from smtpcode.i18n import set_language

        set_language(job.options.lang)
    if task.block is None:
        outcome = _whole_file(task, job)
    elif task.rest:
        outcome = _rest_of_file(task, job)
    else:
        outcome = _block(task, job, first_line)
    if job.output_dir is not None and outcome.ok:
        outcome.part = write_part(job, task.index, outcome.rows)
        outcome.rows = b""
    return outcome


def _whole_file(task: Task, job: Job) -> Outcome:
    from smtpcode import pipeline
    from smtpcode.inputs import open_input, open_stream

    source = task.source
    counted: list[_Counting] = []

    def opener(name: str, read_binary: bool) -> Opened:
        if source.remote:
            opened = open_stream(open_binary(source), source.label, read_binary)
        else:
            opened = open_input(source.url, read_binary)
            opened.name = source.label
        opened.stream = counting = _Counting(opened.stream)  # type: ignore[assignment]
        counted.append(counting)
        return opened

    sink = _sink(job)
    report = pipeline.run([source.label], job.options, sink, opener)
    rows = sink.finish(report) if sink is not None else b""
    return Outcome(task.index, True, report, rows, sum(c.lines for c in counted))


def _bounds(f: BinaryIO, size: int, k: int, block_size: int) -> tuple[int, int]:
    """Where block k starts and ends: at the first line start at or after its nominal
    start and end (every block finds the same cuts, so the blocks tile the file)."""
    start = 0 if k == 0 else _line_start(f, k * block_size, size)
    end = _line_start(f, (k + 1) * block_size, size)
    return start, max(start, end)


def _line_start(f: BinaryIO, offset: int, size: int) -> int:
    if offset >= size:
        return size
    f.seek(offset - 1)
    at = offset - 1
    while True:
        piece = f.read(1 << 14)
        if not piece:
            return size
        nl = piece.find(b"\n")
        if nl >= 0:
            return min(size, at + nl + 1)
        at += len(piece)


def count_lines(task: Task) -> int:
    """The line ends in a block: what the next block's first line number needs."""
    assert task.block is not None and task.source.size is not None
    with open_binary(task.source, PART_REQUEST) as f:
        start, end = _bounds(f, task.source.size, task.block, task.block_size)
        f.seek(start)
        return _read(f, end - start).count(b"\n")


def _read(f: BinaryIO, n: int) -> bytes:
    parts = []
    while n > 0:
        data = f.read(n)
        if not data:
            break
        parts.append(data)
        n -= len(data)
    return b"".join(parts)


def _count_to(f: BinaryIO, end: int) -> int:
    """The line ends before byte `end`."""
    from smtpcode.parallel import count_lines

    return count_lines(f, 0, end)


def _block(task: Task, job: Job, first_line: int) -> Outcome:
    """A block read as smtpcode.parallel reads a chunk, and checked as it checks one."""
    from smtpcode.extract import Scanner
    from smtpcode.pipeline import feed

    source, k = task.source, task.block
    assert k is not None and source.size is not None
    report = RunReport()
    report.tally.inputs = 1 if k == 0 else 0
    options = job.options
    try:
        with open_binary(source, PART_REQUEST) as f:
            start, end = _bounds(f, source.size, k, task.block_size)
            f.seek(start)
            data = _read(f, end - start)
        stream = io.BytesIO(data)
        if k == 0:
            scanner = Scanner(source.label, options.fmt)
            replies = scanner.scan_stream(stream)
        else:
            scanner = Scanner(source.label, "postfix")
            replies = scanner.scan_log(stream, first_line)
        sink = _sink(job)
        feed(replies, options, sink, report, cache=_cache())
        rows = sink.finish(report) if sink is not None else b""
    except Exception:  # read again by the task of the rest, which records why
        return Outcome(task.index, False, report)
    if k == 0:
        ok = scanner.resumable and not scanner.problems
    else:
        ok = not (options.fmt == "auto" and scanner.strays) and not scanner.problems
    return Outcome(task.index, ok, report, rows, data.count(b"\n"))


def _rest_of_file(task: Task, job: Job) -> Outcome:
    """The file from block k to its end, read as one process reads it from there."""
    from smtpcode import parallel

    source, k = task.source, task.block
    assert k is not None and source.size is not None
    report = RunReport()
    report.tally.inputs = 1 if k == 0 else 0
    try:
        with open_binary(source) as f:
            head_end = _bounds(f, source.size, 0, task.block_size)[1]
            start = _bounds(f, source.size, k, task.block_size)[0]
            lines = 1 + _count_to(f, start)
    except OSError as exc:  # the file went away since it was planned: said, not fatal
        report.problems.append(Problem(source.label, None, exc.strerror or str(exc)))
        return Outcome(task.index, True, report)
    first = parallel._Chunk(0, 0, head_end, 1)
    # _sequential looks at chunks[0] and chunks[k] only.
    chunks = [first] + [parallel._Chunk(k, start, source.size, lines)] * k if k else [first]
    sink = _sink(job)
    counting: list[_Counting] = []

    def opener() -> BinaryIO:
        stream = _Counting(open_binary(source))
        counting.append(stream)
        return stream  # type: ignore[return-value]

    parallel._sequential(opener, source.label, job.options, sink, report, k, chunks, _cache())
    rows = sink.finish(report) if sink is not None else b""
    return Outcome(task.index, True, report, rows, sum(c.lines for c in counting))


def part_name(index: int) -> str:
    return f"part-{index:06d}.jsonl"


def write_part(job: Job, index: int, rows: bytes) -> str | None:
    """Writes a task's rows to its part file (none when it has no rows). A task run
    again (its worker died) writes the same file again, whole."""
    output_dir = job.output_dir
    if not rows or output_dir is None:
        return None
    if is_url(output_dir):
        import fsspec

        url = f"{output_dir.rstrip('/')}/{part_name(index)}"
        with fsspec.open(url, "wb", **dict(job.storage_options)) as out:
            out.write(rows)
        return url
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, part_name(index))
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "wb") as out:
        out.write(rows)
    os.replace(temporary, path)
    return path


def remove_part(job: Job, part: str) -> None:
    if is_url(part):
        import fsspec

        fs, path = fsspec.core.url_to_fs(part, **dict(job.storage_options))
        fs.rm(path)
    else:
        os.remove(part)
