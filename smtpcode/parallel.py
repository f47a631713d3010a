"""One big log file read by several processes, with the output of one.

A Postfix log is line-local: the replies of a line depend on that line alone. Such a file
is cut into chunks at line ends; forked worker processes (sharing the catalogue and rules
loaded before the fork) turn each chunk into its rows (or counts, for --summary) and hand
them back; this process writes them in input order, so the output is byte for byte what
one process writes. Workers write nothing themselves.

Line-locality is checked, not assumed. The first chunk is read here like any input and
must end with a line-local family reading and nothing pending; every later chunk must
consist of lines that family takes. At the first chunk that is not so (or that a worker
failed on), the workers stop and this process reads the rest of the file the usual way,
from the state sequential reading has there: rebuilt from the first chunk and the lines
just before the stop (the pure Postfix lines between changed nothing else).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, BinaryIO, NamedTuple, cast

from smtpcode.extract import Scanner
from smtpcode.extract.postfix import Postfix
from smtpcode.extract.reader import SAMPLE, uses_bare_cr
from smtpcode.extract.scanner import starts_document
from smtpcode.extract.session import DEDUPE_WINDOW
from smtpcode.pipeline import ParseOptions, RunReport, Sink, encode, feed
from smtpcode.records import Problem

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from smtpcode.diagnosis_cache import DiagnosisCache
    from smtpcode.records import Reply

# Bytes of input per chunk: big enough that the per-chunk work vanishes, small enough
# that a chunk's rows (about six times its size as JSON) stay a few MB.
CHUNK = 1 << 20
# Smaller files are read by one process: starting workers would cost more than it saves.
MIN_SIZE = 4 << 20
# Chunks handed to each worker ahead of the one to be written: keeps every worker busy
# while bounding what waits in memory.
AHEAD = 2
# Lines at the head of the file that must be Postfix's for workers to be worth starting.
PROBE_LINES = 20


def suitable(path: str, fmt: str) -> bool:
    """Whether the file looks worth parsing in chunks: big, read line by line (not an
    email or a JSON document), LF or CRLF line ends, Postfix lines at its head. Only a
    guess to spare useless work: the chunks are checked as they are read."""
    if fmt not in ("auto", "postfix"):
        return False
    try:
        if os.path.getsize(path) < MIN_SIZE:
            return False
        with open(path, "rb") as f:
            head = f.read(SAMPLE)
    except OSError:
        return False
    import multiprocessing  # here: its import costs more than a small file's parse

    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    return line_local_head(head)


def line_local_head(head: bytes) -> bool:
    """Whether the first bytes of a file (SAMPLE of them) look like a line-local log:
    LF or CRLF line ends, Postfix lines. A guess: the chunks are checked as they are read."""
    if uses_bare_cr(head[:-1]):
        return False
    lines = [line for line in head.split(b"\n")[:-1] if line.strip()][:PROBE_LINES]
    if not lines or starts_document(lines[0]):
        return False
    claims = Postfix().claims
    return all(claims(line) for line in lines)


class _Chunk(NamedTuple):
    k: int
    start: int
    end: int
    first_line: int


class _Done(NamedTuple):
    """A chunk as a worker hands it back."""

    k: int
    ok: bool
    rows: bytes
    report: RunReport


# What the workers inherit from the fork: set just before the pool starts.
_JOB: tuple[str, str, ParseOptions, str | None] | None = None
_CACHE: DiagnosisCache | None = None


def parse_file(
    path: str,
    name: str,
    options: ParseOptions,
    kind: str | None,
    jobs: int,
    sink: Sink | None,
    chunk: int | None = None,
) -> RunReport:
    """Reads `path` with `jobs` worker processes into `sink` (rows of `kind`, or only
    counts when `kind` is None or options.summary)."""
    global _JOB, _CACHE
    import gc
    import multiprocessing

    from smtpcode.diagnosis_cache import DiagnosisCache

    report = RunReport.for_options(options)
    report.tally.inputs = 0  # counted by the caller
    counting = kind is None or options.summary or sink is None
    cache = DiagnosisCache()
    chunks = _chunks(path, chunk or CHUNK)
    # The first chunk is read here: if it shows the file is not line-local, no worker
    # starts; if it is, the workers inherit what reading it prepared (the catalogue and
    # rules loaded and compiled, the diagnoses of the usual replies).
    first = chunks[0]
    with open(path, "rb") as f:
        scanner = Scanner(name, options.fmt, os.fstat(f.fileno()).st_mtime)
        replies = scanner.scan_stream(cast("BinaryIO", _Slice(f.fileno(), 0, first.end)))
        out = _make(replies, options, None if counting else kind, cache, report)
        report.problems += scanner.problems
    if not scanner.resumable:
        return _sequential(_opener(path), name, options, sink, report, 0, chunks, cache)
    _emit(sink, out)
    if len(chunks) == 1:
        return report
    _JOB, _CACHE = (path, name, options, None if counting else kind), cache
    ctx = multiprocessing.get_context("fork")
    # What the workers inherit stays out of their garbage collector's way: collecting
    # would touch (and so copy) every inherited page, in each worker.
    gc.freeze()
    links: list[Connection] = []
    workers = []
    try:
        for _ in range(jobs):
            here, there = ctx.Pipe()
            worker = ctx.Process(target=_serve, args=(there,), daemon=True)
            worker.start()
            there.close()
            links.append(here)
            workers.append(worker)
    finally:
        gc.unfreeze()
        _JOB = _CACHE = None
    stop: int | None = None
    try:
        # Chunk k goes to worker k % jobs, which answers its chunks in the order given:
        # the answers are read in input order with no thread and no shared lock.
        later = chunks[1:]
        sent = 0
        for _ in range(min(len(later), jobs * AHEAD)):
            links[sent % jobs].send(later[sent])
            sent += 1
        for n, item in enumerate(later):
            try:
                done: _Done = links[n % jobs].recv()
            except (EOFError, OSError):  # the worker died: this process reads on
                stop = item.k
                break
            if not done.ok:
                stop = done.k
                break
            _emit(sink, done.rows)
            report.merge(done.report)
            if sent < len(later):
                links[sent % jobs].send(later[sent])
                sent += 1
    except KeyboardInterrupt:
        # Ctrl-C: the chunks counted so far are the partial answer; the caller stops.
        report.interrupted = True
    finally:
        for link in links:
            link.close()
        for worker in workers:
            worker.terminate()
            worker.join()
    if stop is not None:
        return _sequential(_opener(path), name, options, sink, report, stop, chunks, cache)
    return report


def _serve(link: Connection) -> None:
    """A worker: answers each chunk it is given with its rows, until the link closes."""
    import signal

    # Ctrl-C reaches the whole process group: the parent answers it (with the counts so
    # far) and ends the workers; a worker itself would only print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            item = link.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            link.send(_work(item))
        except (OSError, KeyboardInterrupt):
            return


def _work(item: _Chunk) -> _Done:
    """A worker: one chunk's rows (or counts), and whether they are what sequential
    reading gives (every line the line-local family's)."""
    assert _JOB is not None and _CACHE is not None
    path, name, options, kind = _JOB
    report = RunReport.for_options(options)
    report.tally.inputs = 0
    try:
        with open(path, "rb") as f:
            scanner = Scanner(name, "postfix", os.fstat(f.fileno()).st_mtime)
            stream = cast("BinaryIO", _Slice(f.fileno(), item.start, item.end))
            replies = scanner.scan_log(stream, item.first_line)
            rows = _make(replies, options, kind, _CACHE, report)
    except Exception:  # the chunk is read again by the parent, which records why
        return _Done(item.k, False, b"", report)
    strict = options.fmt == "auto"
    ok = not (strict and scanner.strays) and not scanner.problems
    return _Done(item.k, ok, rows, report)


def _make(
    replies: Iterator[Reply],
    options: ParseOptions,
    kind: str | None,
    cache: DiagnosisCache,
    report: RunReport,
) -> bytes:
    """A chunk's rows joined (b"" when only counting); the counts go to report."""
    if kind is None:
        feed(replies, options, None, report, cache=cache)
        return b""
    rows = list(encode(replies, kind, options.keep, cache))
    report.tally.findings += len(rows)
    return b"".join(rows)


def _emit(sink: Sink | None, rows: bytes) -> None:
    if rows and sink is not None:
        sink.write_rows([rows])


def _opener(path: str) -> Callable[[], BinaryIO]:
    return lambda: open(path, "rb")


def _sequential(
    opener: Callable[[], BinaryIO],
    name: str,
    options: ParseOptions,
    sink: Sink | None,
    report: RunReport,
    k: int,
    chunks: Sequence[_Chunk],
    cache: DiagnosisCache,
) -> RunReport:
    """Chunks k onwards, read here from the state sequential reading has at chunk k: the
    first chunk and the last lines before chunk k are read again (their replies dropped),
    then the rest of the file. Only chunks[0] and chunks[k] are looked at; `opener` opens
    the file (a seekable binary stream: a local file, or a remote one through fsspec)."""
    with opener() as f:
        parts: list[tuple[BinaryIO, int, bool]]
        if k == 0:
            parts = [(f, 1, True)]
            first_line = 1
        else:
            start, first_line = chunks[k].start, chunks[k].first_line
            head_end = chunks[0].end
            f.seek(0)
            parts = [(io.BytesIO(f.read(head_end)), 1, True)]
            if k > 1:
                # Lines before chunk k within DEDUPE_WINDOW still matter (a reply
                # printed twice counts once); older ones cannot.
                back = _lines_back(f, start, DEDUPE_WINDOW, floor=head_end)
                f.seek(back)
                tail = f.read(start - back)
                parts.append((io.BytesIO(tail), first_line - tail.count(b"\n"), False))
            f.seek(start)
            parts.append((f, first_line, False))
        scanner = Scanner(name, options.fmt, _mtime(f))
        # The first chunk and the lines before chunk k give replies with line numbers.
        replies = (r for r in scanner.scan_parts(parts) if r.line is None or r.line >= first_line)
        try:
            feed(replies, options, sink, report, cache=cache)
        except (KeyboardInterrupt, BrokenPipeError):
            raise
        except OSError:
            raise
        except Exception as exc:
            report.problems.append(Problem(name, None, f"{type(exc).__name__}: {exc}"))
        report.problems += scanner.problems
    return report


def _mtime(f: BinaryIO) -> float | None:
    """When an open file was last modified (the year of its syslog lines); None for a
    stream that is no local file (a remote object)."""
    try:
        return os.fstat(f.fileno()).st_mtime
    except (AttributeError, OSError, ValueError):
        return None


def _chunks(path: str, size: int) -> list[_Chunk]:
    """The file cut at the first line start after every `size` bytes, with each chunk's
    first line number (one pass counting line ends)."""
    out: list[_Chunk] = []
    with open(path, "rb") as f:
        total = f.seek(0, os.SEEK_END)
        start, line = 0, 1
        while start < total:
            end = _line_start(f, start + size) if start + size < total else total
            if end < 0:
                end = total
            out.append(_Chunk(len(out), start, end, line))
            line += count_lines(f, start, end)
            start = end
    return out or [_Chunk(0, 0, 0, 1)]


def count_lines(f: BinaryIO, start: int, end: int) -> int:
    """The line ends in bytes start to end of a file, read a MB at a time."""
    f.seek(start)
    n = 0
    left = end - start
    while left > 0:
        data = f.read(min(left, 1 << 20))
        if not data:
            break
        n += data.count(b"\n")
        left -= len(data)
    return n


class _Slice:
    """Bytes start to end of a file, read as iter_blocks reads a stream."""

    def __init__(self, fd: int, start: int, end: int) -> None:
        self.fd, self.pos, self.end = fd, start, end

    def read(self, size: int = -1) -> bytes:
        left = self.end - self.pos
        data = os.pread(self.fd, left if size < 0 else min(size, left), self.pos)
        self.pos += len(data)
        return data


def _line_start(f: BinaryIO, offset: int) -> int:
    """Where the first line starting at or after `offset` starts (-1: none, the end)."""
    f.seek(offset - 1)
    while True:
        piece = f.read(1 << 12)
        if not piece:
            return -1
        nl = piece.find(b"\n")
        if nl >= 0:
            at = f.tell() - len(piece) + nl + 1
            f.seek(0, os.SEEK_END)
            return at if at < f.tell() else -1


def _lines_back(f: BinaryIO, end: int, count: int, floor: int) -> int:
    """Where the `count` lines before `end` (a line start) start, not before `floor`."""
    start = max(floor, end - (1 << 16))
    f.seek(start)
    data = f.read(end - start)
    at = len(data) - 1  # the line end just before `end`
    for _ in range(count):
        nl = data.rfind(b"\n", 0, at)
        if nl < 0:
            return start
        at = nl
    return start + at + 1
