"""`smtpcode parse --jobs`: one big log file parsed by several processes, same output.

A Postfix log is line-local: the replies of a line depend on that line alone. Such a file
is cut into chunks at line ends; forked workers (sharing the catalogue and rules loaded
before the fork) parse the chunks and write each chunk's rows to standard output when
its turn comes, so rows come out in input order, byte for byte what one process writes.
A worker holds one chunk's rows at a time: memory stays bounded.

Line-locality is checked, not assumed. The first chunk is read like any input and must
end with a line-local family reading and nothing pending; every later chunk must consist
of lines that family takes. At the first chunk that is not so, the workers stop and this
process reads the rest of the file the usual way, from the state sequential reading has
there: rebuilt from the first chunk and the lines just before the stop (the pure
Postfix lines between changed nothing else).
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple, cast

from smtpcode.diagnosis_cache import DiagnosisCache
from smtpcode.extract import Scanner
from smtpcode.extract.reader import SAMPLE, uses_bare_cr
from smtpcode.extract.scanner import starts_document
from smtpcode.extract.session import DEDUPE_WINDOW
from smtpcode.render.parse_rows import FindingEncoder
from smtpcode.render.write import OutputError, write_rows
from smtpcode.tally import Tally

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from smtpcode.records import Finding

# Bytes of input per chunk: big enough that the per-chunk work vanishes, small enough
# that a chunk's rows (about six times its size as JSON) stay a few MB.
CHUNK = 1 << 20
# Smaller files are read by one process: starting workers would cost more than it saves.
MIN_SIZE = 4 << 20
# Parsed chunks a worker may hold while their turn to be written has not come: each is
# some MB of rows.
HELD = 3
# Lines at the head of the file that must be Postfix's for workers to be worth starting.
PROBE_LINES = 20

# `stop` values besides a chunk number: none yet, and standard output went away.
_GOING = -1
_BROKEN = -2

# What a worker makes of a finding: its row as bytes (None: only counted, --summary).
RowMaker = Callable[[], Callable[["Finding"], bytes] | None]


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
    if uses_bare_cr(head[:-1]):
        return False
    lines = [line for line in head.split(b"\n")[:-1] if line.strip()][:PROBE_LINES]
    if not lines or starts_document(lines[0]):
        return False
    return all(line.find(b"postfix", 0, 160) >= 0 for line in lines)


class ParallelParse:
    """Parses one file with `jobs` worker processes writing rows to `out_fd` in order.

    Iterating runs the workers and then yields the findings of whatever rest of the file
    this process had to read itself (to be shown as usual). `written` and `summary` then
    hold what the workers wrote and counted.
    """

    def __init__(
        self,
        path: str,
        input_name: str,
        fmt: str,
        jobs: int,
        out_fd: int,
        rows: RowMaker,
        chunk: int | None = None,
    ) -> None:
        self.path = path
        self.input = input_name
        self.fmt = fmt
        self.jobs = max(1, jobs)
        self.out_fd = out_fd
        self.rows = rows
        self.chunk = chunk or CHUNK
        self.written = 0
        self.summary = Tally()
        # The line-local family must take every line of a later chunk; with
        # --format postfix no other family reads, so there is nothing to check.
        self.strict = fmt == "auto"
        self._buffer = bytearray()

    def __iter__(self) -> Iterator[Finding]:
        import multiprocessing

        # The first chunk is read here: if it shows the file is not line-local, no worker
        # starts; if it is, the workers inherit what reading it prepared (the catalogue
        # and rules loaded and compiled, the diagnoses and rows of the usual replies).
        self._findings, self._row = DiagnosisCache(), self.rows()
        with open(self.path, "rb") as f:
            _, end = self._bounds(f, 0)
            lines = self._count_lines(f, 0, end)
            chunk = cast("BinaryIO", _Slice(f.fileno(), 0, end))
            ok, out, n, counts = self._parse(0, chunk, 1, self._findings, self._row)
            eof = end >= f.seek(0, os.SEEK_END)
        if not ok:
            yield from self._rest(0)
            return
        self.written += n
        _merge(self.summary, counts)
        write_rows(self.out_fd, out)
        if eof:
            return
        ctx = multiprocessing.get_context("fork")
        # What the workers inherit stays out of their garbage collector's way: collecting
        # would touch (and so copy) every inherited page, in each worker.
        gc.freeze()
        chunks = os.path.getsize(self.path) // self.chunk + 2
        # All shared state is guarded by `cond`. lines_before[k]: line ends before chunk
        # k (-1 while unknown); state: next chunk to take, chunk whose turn it is to be
        # written, first chunk not to be written by the workers (or _GOING / _BROKEN).
        self._cond = ctx.Condition()
        self._lines_before = ctx.Array("q", [0, lines] + [-1] * chunks, lock=False)
        self._state = ctx.Array("q", [1, 1, _GOING], lock=False)
        links = [ctx.Pipe(duplex=False) for _ in range(self.jobs)]
        workers = [
            ctx.Process(target=self._work, args=(sender,), daemon=True) for _, sender in links
        ]
        for worker in workers:
            worker.start()
        gc.unfreeze()  # here, what was frozen for the workers' sake may be collected again
        for _, sender in links:
            sender.close()
        self._collect([receiver for receiver, _ in links], workers)
        stop = self._state[2]
        if stop == _BROKEN:
            raise BrokenPipeError("standard output was closed")
        if stop >= 0:
            yield from self._rest(stop)

    # -- the workers ------------------------------------------------------------------

    def _work(self, link: Connection) -> None:
        """A worker: takes chunks in turn, parses them and writes their rows in order.

        A parsed chunk whose turn has not come is held (up to HELD) while the worker goes
        on with the next one, so that one worker slowed down (a busy machine) does not
        leave the other waiting."""
        found = 0
        summary = Tally()
        error: str | tuple[str, int | None, str | None] | None = None
        held: deque[_Parsed] = deque()
        try:
            with open(self.path, "rb") as f:
                more = True
                while more or held:
                    while held:
                        # Wait for the turn only when nothing else can be done.
                        done = self._write(held[0], summary, wait=not more or len(held) >= HELD)
                        if done is None:
                            break
                        held.popleft()
                        found += done
                    if more and len(held) < HELD:
                        parsed = self._take(f, self._findings, self._row)
                        if parsed is None:
                            more = False
                        else:
                            held.append(parsed)
        except KeyboardInterrupt:
            error = "interrupted"
        except OutputError as exc:
            error = ("output", exc.errno, exc.strerror)
        except BaseException as exc:  # reported; the parent reads the rest itself
            error = f"{type(exc).__name__}: {exc}"
        with contextlib.suppress(OSError, ValueError):  # the parent is gone
            link.send((found, summary, error))
        link.close()

    def _take(
        self,
        f: BinaryIO,
        findings: DiagnosisCache,
        row: Callable[[Finding], bytes] | None,
    ) -> _Parsed | None:
        """Takes and parses the next chunk; None when there is none for the workers."""
        cond, state, lines_before = self._cond, self._state, self._lines_before
        with cond:
            k = state[0]
            if self._halted(k):
                return None
            state[0] = k + 1
        try:
            start, end = self._bounds(f, k)
            if start < 0:
                return None  # past the end of the file, as are the chunks after it
            lines = self._count_lines(f, start, end)
            with cond:
                # The chunk's first line number waits only for the previous chunks'
                # counts, not their parsing.
                while lines_before[k] < 0 and not self._halted(k):
                    cond.wait()
                if self._halted(k):
                    return None
                before = lines_before[k]
                lines_before[k + 1] = before + lines
                cond.notify_all()
            chunk = cast("BinaryIO", _Slice(f.fileno(), start, end))
            ok, out, n, counts = self._parse(k, chunk, before + 1, findings, row)
        except BaseException:
            self._stop_at(k)
            raise
        return _Parsed(k, ok, out, n, counts)

    def _write(self, parsed: _Parsed, summary: Tally, wait: bool) -> int | None:
        """Writes a parsed chunk's rows in its turn: the number of its findings (0 when
        the workers are not to write it), or None when its turn has not come and
        `wait` is false."""
        cond, state = self._cond, self._state
        k = parsed.k
        with cond:
            while state[1] != k and not self._halted(k):
                if not wait:
                    return None
                cond.wait()
            if self._halted(k):
                return 0
            if not parsed.ok:
                state[2] = k
                cond.notify_all()
                return 0
        try:
            write_rows(self.out_fd, parsed.rows)
        except BrokenPipeError:
            # The reader went away (| head) after some of the rows: they count as shown.
            with cond:
                state[2] = _BROKEN
                cond.notify_all()
        except OutputError:
            self._stop_at(k)
            raise
        else:
            with cond:
                state[1] = k + 1
                cond.notify_all()
        _merge(summary, parsed.counts)
        return parsed.found

    def _halted(self, k: int) -> bool:
        """Whether chunk k is not the workers' to write (called holding `cond`)."""
        stop: int = self._state[2]
        return stop != _GOING and k >= stop

    def _bounds(self, f: BinaryIO, k: int) -> tuple[int, int]:
        """Where chunk k starts and ends (-1, -1 past the end). Chunks start after the
        first line end at or after k * chunk; the last one runs to the end."""
        start = 0 if k == 0 else _line_start(f, k * self.chunk)
        if start < 0:
            return -1, -1
        end = _line_start(f, (k + 1) * self.chunk)
        return start, end if end >= 0 else f.seek(0, os.SEEK_END)

    def _count_lines(self, f: BinaryIO, start: int, end: int) -> int:
        """The line ends in [start, end), read into one buffer reused for every chunk."""
        buffer = self._buffer
        if len(buffer) < end - start:
            buffer = self._buffer = bytearray(end - start)
        view = memoryview(buffer)[: end - start]
        f.seek(start)
        got = f.readinto(view)  # type: ignore[attr-defined]
        return buffer.count(b"\n", 0, got)

    def _parse(
        self,
        k: int,
        chunk: BinaryIO,
        first_line: int,
        findings: DiagnosisCache,
        row: Callable[[Finding], bytes] | None,
    ) -> tuple[bool, list[bytes], int, Tally | None]:
        """One chunk's rows (or counts) and whether they are what sequential reading
        gives: the first chunk must leave things so that the next can start afresh, a
        later one must be all the line-local family's lines."""
        if k == 0:
            scanner = Scanner(self.input, self.fmt)
            replies = scanner.scan_stream(chunk)
        else:
            scanner = Scanner(self.input, "postfix")
            replies = scanner.scan_log(chunk, first_line)
        # The rows wait for their turn in a list; they are written with writev, without
        # joining them first (a chunk's rows are several MB of JSON).
        out: list[bytes] = []
        counts = Tally() if row is None else None
        n = 0
        if isinstance(row, FindingEncoder):
            out += findings.rows(replies, row)
            n = len(out)
        elif row is not None:
            add = out.append
            for finding in findings(replies):
                add(row(finding))
            n = len(out)
        else:
            for finding in findings(replies):
                n += 1
                counts.add(finding)  # type: ignore[union-attr]
        ok = scanner.resumable if k == 0 else not (self.strict and scanner.strays)
        return ok, out, n, counts

    def _stop_at(self, k: int) -> None:
        with self._cond:
            stop = self._state[2]
            if stop == _GOING or 0 <= k < stop:
                self._state[2] = k
            self._cond.notify_all()

    # -- the parent -------------------------------------------------------------------

    def _collect(self, links: list[Connection], workers: list[Any]) -> None:
        """Waits for the workers' reports; a worker that died unreported fails the run."""
        from multiprocessing.connection import wait

        pending: dict[Any, Any] = dict(zip(links, workers, strict=True))
        while pending:
            for ready in wait(list(pending)):
                worker = pending.pop(ready)
                link = cast("Connection", ready)
                try:
                    found, summary, error = link.recv()
                except EOFError:
                    worker.join()
                    raise RuntimeError(f"a worker process died (exit {worker.exitcode})") from None
                if error == "interrupted":
                    raise KeyboardInterrupt
                if isinstance(error, tuple):
                    raise OutputError(*error[1:])
                if error is not None:
                    raise RuntimeError(f"a worker process failed: {error}")
                self.written += found
                _merge(self.summary, summary)
                worker.join()

    def _rest(self, k: int) -> Iterator[Finding]:
        """The findings of chunks k onwards, read here from the state sequential reading
        has at chunk k: the first chunk and the last lines before chunk k are read again
        (their replies dropped), then the rest of the file."""
        with open(self.path, "rb") as f:
            parts: list[tuple[BinaryIO, int, bool]]
            if k == 0:
                parts = [(f, 1, True)]
                first_line = 1
            else:
                start = _line_start(f, k * self.chunk)
                if start < 0:
                    return
                first_line = self._lines_before[k] + 1
                head_end = _line_start(f, self.chunk)
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
            scanner = Scanner(self.input, self.fmt)
            # The first chunk and the lines before chunk k give replies with line numbers.
            replies = (
                r for r in scanner.scan_parts(parts) if r.line is None or r.line >= first_line
            )
            yield from DiagnosisCache()(replies)


class _Parsed(NamedTuple):
    """A chunk parsed by a worker, waiting for its turn to be written."""

    k: int
    ok: bool
    rows: list[bytes]
    found: int
    counts: Tally | None


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


def _merge(total: Tally, part: Tally | None) -> None:
    if part is None:
        return
    total.findings += part.findings
    total.by_code.update(part.by_code)
    total.by_class.update(part.by_class)
    total.by_reason.update(part.by_reason)
