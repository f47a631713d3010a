"""`parse` on a Dask cluster: many files (local or remote, plain or compressed) read by
the workers of a scheduler, with the output of one run.

Each file is one task, or, when it is a big plain log that looks line-local, one task
per block (BLOCK bytes, cut at line ends, each task finding its own cut). A task runs
the pipeline's own per-input work (smtpcode.pipeline) and hands back its part of the
run: a RunReport, merged here with RunReport.merge as a single-process run merges its
inputs, and rows (JSON Lines or tab-separated), written here in input order. With an
output directory each task writes its rows there itself and only the counts come back.

A block is read as smtpcode.parallel reads a chunk, and checked the same way: the first
block must leave the reading resumable, every later one must consist of lines the
line-local family takes. At the first block of a file that is not so, the blocks after
it are thrown away and one task reads the rest of the file from the state sequential
reading has there (parallel._sequential), so the output is what one process gives.

Dask re-runs the task of a worker that died; a task's part only counts once it is
handed back, so nothing is counted twice. Everything Dask is imported here, and this
module only when a run asks for a scheduler.
"""

from __future__ import annotations

import glob
import io
import json
import operator
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

from smtpcode.pipeline import ParseOptions, RunReport, Sink
from smtpcode.tally import Tally

if TYPE_CHECKING:
    from smtpcode.diagnosis_cache import DiagnosisCache
    from smtpcode.inputs import Opened
    from smtpcode.records import Finding

# Bytes of a plain log per task: a few tenths of a second of parsing, which makes the
# scheduler's few milliseconds per task vanish, and JSON rows of some 50 MB at most.
BLOCK = 8 << 20
# Tasks handed to the scheduler ahead of the next one to be written, per worker thread:
# keeps every worker busy while bounding what waits in the client's memory.
AHEAD = 2
# Seconds to wait for a scheduler before saying it cannot be reached.
CONNECT_TIMEOUT = 10
# Files whose head is read to decide whether to cut them (SAMPLE bytes of each).
_LOCAL = ("", "file", "local")


class DistributedError(Exception):
    """A run that cannot go on: no scheduler, a worker without smtpcode, a task that
    failed for the cluster's sake. The message says what to do."""


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


@dataclass
class Progress:
    """How far a run is, for a progress bar."""

    total: int = 0
    done: int = 0
    lines: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def lines_per_second(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.lines / elapsed if elapsed > 0 else 0.0


# -- inputs ----------------------------------------------------------------------------


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


def _open_binary(source: Source) -> BinaryIO:
    """The file, seekable, as bytes."""
    if not source.remote:
        return open(source.url, "rb")
    import fsspec

    return fsspec.open(source.url, "rb", **dict(source.storage_options)).open()  # type: ignore[no-any-return]


def _head(source: Source, size: int) -> bytes:
    with _open_binary(source) as f:
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


# -- the tasks (run on the workers) ---------------------------------------------------

_caches = threading.local()


def _cache() -> DiagnosisCache:
    """This worker thread's diagnosis cache: the usual replies are diagnosed once per
    thread, whatever the number of tasks it runs."""
    cache = getattr(_caches, "cache", None)
    if cache is None:
        from smtpcode.diagnosis_cache import DiagnosisCache

        cache = _caches.cache = DiagnosisCache()
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
    """One task: its report, and its rows (or the part file it wrote)."""
    if task.block is None:
        outcome = _whole_file(task, job)
    elif task.rest:
        outcome = _rest_of_file(task, job)
    else:
        outcome = _block(task, job, first_line)
    if job.output_dir is not None and outcome.ok:
        outcome.part = _write_part(job, task.index, outcome.rows)
        outcome.rows = b""
    return outcome


def _whole_file(task: Task, job: Job) -> Outcome:
    from smtpcode import pipeline
    from smtpcode.inputs import open_input, open_stream

    source = task.source
    counted: list[_Counting] = []

    def opener(name: str, read_binary: bool) -> Opened:
        if source.remote:
            opened = open_stream(_open_binary(source), source.label, read_binary)
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
    with _open_binary(task.source) as f:
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
        with _open_binary(source) as f:
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
    chunks: list[parallel._Chunk] = []
    with _open_binary(source) as f:
        head_end = _bounds(f, source.size, 0, task.block_size)[1]
        start = _bounds(f, source.size, k, task.block_size)[0]
        f.seek(0)
        lines = 1 + _read(f, start).count(b"\n") if k else 1
    first = parallel._Chunk(0, 0, head_end, 1)
    # _sequential looks at chunks[0] and chunks[k] only.
    chunks = [first] + [parallel._Chunk(k, start, source.size, lines)] * k if k else [first]
    sink = _sink(job)
    counting: list[_Counting] = []

    def opener() -> BinaryIO:
        stream = _Counting(_open_binary(source))
        counting.append(stream)
        return stream  # type: ignore[return-value]

    parallel._sequential(opener, source.label, job.options, sink, report, k, chunks, _cache())
    rows = sink.finish(report) if sink is not None else b""
    return Outcome(task.index, True, report, rows, sum(c.lines for c in counting))


def part_name(index: int) -> str:
    return f"part-{index:06d}.jsonl"


def _write_part(job: Job, index: int, rows: bytes) -> str | None:
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


def _remove_part(job: Job, part: str) -> None:
    if is_url(part):
        import fsspec

        fs, path = fsspec.core.url_to_fs(part, **dict(job.storage_options))
        fs.rm(path)
    else:
        os.remove(part)


# -- the client ------------------------------------------------------------------------


class Cluster:
    """A Dask client on a scheduler: `local` / `local:N` starts a cluster of N worker
    processes on this machine (on loopback) for the run; anything else is a scheduler's
    address (tcp://host:8786)."""

    def __init__(self, scheduler: str, timeout: float = CONNECT_TIMEOUT) -> None:
        self.scheduler = scheduler
        self.timeout = timeout
        self.client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> Any:
        from distributed import Client, LocalCluster

        workers = local_workers(self.scheduler)
        if workers is not None:
            self._cluster = LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",
                silence_logs=40,
            )
            self.client = Client(self._cluster)  # type: ignore[no-untyped-call]
            return self.client
        address = self.scheduler if "://" in self.scheduler else f"tcp://{self.scheduler}"
        try:
            self.client = Client(address, timeout=self.timeout)  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as exc:
            raise DistributedError(
                f"cannot reach the Dask scheduler at {address} "
                f"(no answer within {self.timeout:g} s: {type(exc).__name__})"
            ) from None
        return self.client

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def local_workers(scheduler: str) -> int | None:
    """The worker processes of "local" (one per idle CPU) or "local:N"; None for the
    address of a scheduler. Raises ValueError for "local:" and something not a count."""
    name, sep, count = scheduler.partition(":")
    if name != "local":
        return None
    if not sep:
        from smtpcode.pipeline import idle_cpus

        return idle_cpus()
    if not count.isdigit() or not 1 <= int(count) <= 1024:
        raise ValueError(f"local:N wants a number of worker processes, not {count!r}")
    return int(count)


@dataclass
class _Slot:
    task: Task
    future: Any
    # A block after one that was refused: its part is thrown away.
    discard: bool = False


def run(
    inputs: Sequence[str],
    options: ParseOptions,
    scheduler: str | Any,
    sink: Sink | None = None,
    *,
    output_dir: str | None = None,
    storage_options: dict[str, Any] | None = None,
    progress: Callable[[Progress], None] | None = None,
    block_size: int = BLOCK,
    connect_timeout: float = CONNECT_TIMEOUT,
) -> RunReport:
    """Parses the inputs (paths, globs, URLs) on a Dask cluster: `scheduler` is an
    address, "local[:N]", or a distributed.Client. Rows go to `sink` in input order
    (none with output_dir: each task writes its part file there); counts are merged
    into the report as pipeline.run merges its inputs'."""
    options = replace(options, jobs=1)  # a task never forks processes of its own
    if output_dir is not None:
        kind: str | None = "json"
        options = replace(options, summary=False)  # rows written, and counted
    elif options.summary or sink is None:
        kind = None
    else:
        kind = sink.row_kind or "tsv"
    job = Job(options, kind, output_dir, tuple(sorted((storage_options or {}).items())))
    if isinstance(scheduler, str):
        with Cluster(scheduler, connect_timeout) as client:
            return _run(client, inputs, job, sink, storage_options, progress, block_size)
    return _run(scheduler, inputs, job, sink, storage_options, progress, block_size)


def _run(
    client: Any,
    inputs: Sequence[str],
    job: Job,
    sink: Sink | None,
    storage_options: dict[str, Any] | None,
    progress: Callable[[Progress], None] | None,
    block_size: int,
) -> RunReport:
    from distributed import as_completed

    _check_workers(client)
    report = RunReport()
    tasks = deque(plan(expand(inputs, storage_options), job.options, block_size))
    state = Progress(total=len(tasks))
    threads = sum(client.nthreads().values()) or 1
    window = max(2, AHEAD * threads)
    slots: deque[_Slot] = deque()
    done: dict[int, Outcome] = {}
    # Per file (by its place): the future of the next block's first line number, and the
    # block from which the file is read by one task (after a refused block).
    next_line: dict[int, Any] = {}
    refused: dict[int, int] = {}
    pending = as_completed()  # type: ignore[no-untyped-call]

    def submit(task: Task) -> Any:
        first_line: Any = 1
        if job.kind is not None and task.block and not task.rest:
            before = replace(task, block=task.block - 1)
            count = client.submit(count_lines, before, pure=False)
            first_line = client.submit(operator.add, next_line.get(task.file, 1), count, pure=False)
            next_line[task.file] = first_line
        future = client.submit(run_task, task, job, first_line, pure=False)
        pending.add(future)  # type: ignore[no-untyped-call]
        return future

    def fill() -> None:
        while tasks and len(slots) < window:
            task = tasks.popleft()
            at = refused.get(task.file)
            if at is not None and task.block is not None and task.block > at:
                state.total -= 1
                continue
            slots.append(_Slot(task, submit(task)))

    try:
        fill()
        for future in pending:
            outcome = _result(future)
            done[id(future)] = outcome
            state.done += 1
            state.lines += outcome.lines
            if progress is not None:
                progress(state)
            while slots and id(slots[0].future) in done:
                slot = slots.popleft()
                got = done.pop(id(slot.future))
                if slot.discard:
                    if got.part is not None:
                        _remove_part(job, got.part)
                    continue
                if not got.ok:
                    _refuse(slot, slots, refused, state)
                    slot.future = submit(replace(slot.task, rest=True))
                    slots.appendleft(slot)
                    break
                if got.rows and sink is not None:
                    sink.write_rows([got.rows])
                report.merge(got.report)
            fill()
    except KeyboardInterrupt:
        report.interrupted = True
        for slot in slots:
            slot.future.cancel()
    if sink is not None:
        sink.flush()
    return report


def _check_workers(client: Any) -> None:
    """Raises DistributedError unless the cluster has workers and each can import
    smtpcode. (A worker that cannot unpickles no task: it would end, and the run wait
    for ever.) The check is a builtin, which every worker can unpickle."""
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
    except TimeoutError:
        raise DistributedError(
            f"the Dask scheduler has no workers (none came within {CONNECT_TIMEOUT} s)"
        ) from None
    try:
        client.run(exec, "import smtpcode.distributed")
    except ModuleNotFoundError as exc:
        raise DistributedError(
            f"a Dask worker cannot import {exc.name or 'smtpcode'}: install smtpcode on "
            "every worker (pip install 'smtpcode[dask]')"
        ) from None


def _refuse(slot: _Slot, slots: deque[_Slot], refused: dict[int, int], state: Progress) -> None:
    """Block k of a file is not what sequential reading gives: the file is read from
    there by one task, its later blocks are thrown away (their tasks still finish)."""
    file = slot.task.file
    assert slot.task.block is not None
    refused[file] = slot.task.block
    state.total += 1
    for other in slots:
        if other.task.file == file:
            other.discard = True


def _result(future: Any) -> Outcome:
    """A task's outcome; what failed for the cluster's sake becomes a DistributedError."""
    try:
        outcome: Outcome = future.result()
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] == "smtpcode":
            raise DistributedError(
                "a Dask worker cannot import smtpcode: install it on every worker "
                "(pip install 'smtpcode[dask]')"
            ) from None
        raise DistributedError(f"a Dask worker lacks a module: {exc}") from None
    except (KeyboardInterrupt, DistributedError):
        raise
    except Exception as exc:
        raise DistributedError(
            f"a task failed on the cluster: {type(exc).__name__}: {exc}"
        ) from None
    return outcome


class TerminalProgress:
    """A one-line progress bar on a terminal (standard error): tasks done of all, and
    lines read per second. Plain text, rewritten in place."""

    WIDTH = 24

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self._last = 0.0
        self._shown = False
        self._width = 0

    def __call__(self, state: Progress) -> None:
        now = time.monotonic()
        if state.done < state.total and now - self._last < 0.1:
            return
        self._last = now
        filled = self.WIDTH * state.done // max(1, state.total)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        rate = state.lines_per_second
        line = f"[{bar}] {state.done}/{state.total} tasks, {_human(rate)} lines/s"
        self._width = max(self._width, len(line))
        self.stream.write(f"\r{line:<{self._width}}")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        """Clears the bar (the output or the messages that follow start on a clean line)."""
        if self._shown:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()


def _human(n: float) -> str:
    for limit, suffix in ((1e6, "M"), (1e3, "k")):
        if n >= limit:
            return f"{n / limit:.1f}{suffix}"
    return f"{n:.0f}"


def parse_storage_options(pairs: Sequence[str]) -> dict[str, Any]:
    """KEY=VALUE pairs as fsspec storage options; a value that reads as JSON (true, 3,
    null) is taken as such, any other as a string."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"not KEY=VALUE: {pair!r}")
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


# -- the library: bags and frames -------------------------------------------------------

# The columns of findings_frame(): Finding.to_dict() flattened (the meaning entries by
# their titles, the lists joined by line ends), with pandas dtypes.
FRAME_COLUMNS: dict[str, str] = {
    "input": "string",
    "line": "Int64",
    "time": "string",
    "text": "string",
    "basic": "string",
    "enhanced": "string",
    "class": "string",
    "reason": "string",
    "provider": "string",
    "reporter": "string",
    "remote_host": "string",
    "remote_mta": "string",
    "direction": "string",
    "recipient": "string",
    "command": "string",
    "retry": "boolean",
    "hard_bounce": "boolean",
    "lang": "string",
    "basic_meaning": "string",
    "enhanced_meaning": "string",
    "summary": "string",
    "advice": "string",
    "warnings": "string",
    "truncated": "boolean",
    "undefined": "string",
}


def file_findings(source: Source, fmt: str = "auto") -> list[dict[str, Any]]:
    """The findings of one file, as Finding.to_dict() gives them (a bag's partition)."""
    from smtpcode.api import parse
    from smtpcode.inputs import open_input, open_stream

    opened = (
        open_stream(_open_binary(source), source.label, True)
        if source.remote
        else open_input(source.url, True)
    )
    try:
        return [f.to_dict() for f in parse(opened.stream, input_name=source.label, fmt=fmt)]
    finally:
        opened.close()


def flat(finding: dict[str, Any]) -> dict[str, Any]:
    """A finding's dict with FRAME_COLUMNS' columns."""
    row = {name: finding.get(name) for name in FRAME_COLUMNS}
    meaning = finding.get("meaning") or {}
    for part in ("basic", "enhanced"):
        entry = meaning.get(part)
        row[f"{part}_meaning"] = entry.get("title") if isinstance(entry, dict) else None
    row["warnings"] = "\n".join(finding.get("warnings") or ()) or None
    row["undefined"] = " ".join(finding.get("undefined") or ()) or None
    return row


def _frame(source: Source, fmt: str) -> Any:
    import pandas as pd

    rows = [flat(f) for f in file_findings(source, fmt)]
    frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
    return frame.astype(FRAME_COLUMNS)


def findings_bag(
    paths: str | Sequence[str], fmt: str = "auto", storage_options: dict[str, Any] | None = None
) -> Any:
    """The findings of files (paths, globs, URLs) as a dask.bag of dicts, one partition
    per file, each dict as Finding.to_dict() makes it (the JSON of `parse --json`)."""
    import dask.bag as db
    from dask import delayed  # type: ignore[attr-defined,unused-ignore]

    sources = expand([paths] if isinstance(paths, str) else paths, storage_options)
    return db.from_delayed([delayed(file_findings)(s, fmt) for s in sources])  # type: ignore[no-untyped-call]


def findings_frame(
    paths: str | Sequence[str], fmt: str = "auto", storage_options: dict[str, Any] | None = None
) -> Any:
    """The findings of files as a dask.dataframe with the fixed columns of FRAME_COLUMNS
    (one partition per file), ready for .to_parquet()."""
    import dask.dataframe as dd
    import pandas as pd

    sources = expand([paths] if isinstance(paths, str) else paths, storage_options)
    meta = pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in FRAME_COLUMNS.items()})
    return dd.from_map(_frame, sources, fmt=fmt, meta=meta, enforce_metadata=False)  # type: ignore[no-untyped-call]
