"""The client of a distributed run: the cluster, the tasks handed to it a window at a
time, their outcomes merged and written in input order, and a progress bar."""

from __future__ import annotations

import operator
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TextIO

from smtpcode.distributed.sources import BLOCK, Task, expand, plan
from smtpcode.distributed.tasks import Job, Outcome, count_lines, remove_part, run_task
from smtpcode.i18n import _, language
from smtpcode.pipeline import ParseOptions, RunReport, Sink

# Tasks handed to the scheduler ahead of the next one to be written, per worker thread:
# keeps every worker busy while bounding what waits in the client's memory.
AHEAD = 2
# Seconds to wait for a scheduler before saying it cannot be reached.
CONNECT_TIMEOUT = 10


class DistributedError(Exception):
    """A run that cannot go on: no scheduler, a worker without smtpcode, a task that
    failed for the cluster's sake. The message says what to do."""


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
                _(
                    "cannot reach the Dask scheduler at {address} "
                    "(no answer within {seconds} s: {error})"
                ).format(address=address, seconds=f"{self.timeout:g}", error=type(exc).__name__)
            ) from None
        return self.client

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def require_dask() -> None:
    """Raises DistributedError, saying what to install, when the Dask extra is missing."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
        import fsspec  # noqa: F401
    except ImportError as exc:
        raise DistributedError(
            _("--scheduler needs the dask extra: pip install 'smtpcode[dask]' ({error})").format(
                error=exc
            )
        ) from None


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
        raise ValueError(
            _("local:N wants a number of worker processes, not {count}").format(count=repr(count))
        )
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
    # A task never forks processes of its own; it speaks the language of this process
    # unless the options name one.
    options = replace(options, jobs=1, lang=options.lang or language())
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
    done: dict[Any, Outcome] = {}
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
            done[future.key] = outcome
            state.done += 1
            state.lines += outcome.lines
            if progress is not None:
                progress(state)
            while slots and slots[0].future.key in done:
                slot = slots.popleft()
                got = done.pop(slot.future.key)
                if slot.discard:
                    if got.part is not None:
                        remove_part(job, got.part)
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
            _("the Dask scheduler has no workers (none came within {seconds} s)").format(
                seconds=CONNECT_TIMEOUT
            )
        ) from None
    try:
        client.run(exec, "import smtpcode.distributed")
    except ModuleNotFoundError as exc:
        raise DistributedError(
            _(
                "a Dask worker cannot import {module}: install smtpcode on every worker "
                "(pip install 'smtpcode[dask]')"
            ).format(module=exc.name or "smtpcode")
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
                _(
                    "a Dask worker cannot import smtpcode: install it on every worker "
                    "(pip install 'smtpcode[dask]')"
                )
            ) from None
        raise DistributedError(
            _("a Dask worker lacks a module: {error}").format(error=exc)
        ) from None
    except (KeyboardInterrupt, DistributedError):
        raise
    except Exception as exc:
        raise DistributedError(
            _("a task failed on the cluster: {error}").format(error=f"{type(exc).__name__}: {exc}")
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
        line = f"[{bar}] " + _("{done}/{total} tasks, {rate} lines/s").format(
            done=state.done, total=state.total, rate=_human(rate)
        )
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
