"""The one owner of a `parse` run: inputs -> documents -> replies -> findings -> a sink,
and a report of what happened.

    inputs.open_input     standard input or a file; gzip, bzip2, xz; binary files skipped
    extract.Scanner       the documents of an input (lines, emails, JSON) -> Reply records;
                          what it cannot read of one document is recorded, it goes on
    DiagnosisCache        Reply -> Finding, diagnosed once per reply shape
    keep                  the user's filters (class, reason, provider, domain, ...)
    Tally                 the counts of --summary, mergeable across processes
    sink                  a renderer: findings one by one, or rows made by rows.py

Whatever goes wrong with one input (it cannot be opened or decompressed, an extractor
raised) is recorded in the report against that input and the run goes on with the next
one; the command line turns the report into messages and the exit status. A big plain
log file may be read by several processes (smtpcode.parallel), chosen here by what pays.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from smtpcode.i18n import N_, _
from smtpcode.records import Problem
from smtpcode.tally import Tally

if TYPE_CHECKING:
    from smtpcode.diagnosis_cache import DiagnosisCache
    from smtpcode.inputs import Opened
    from smtpcode.records import Finding, Reply
    from smtpcode.rows import RowEncoder

# Rows gathered before one write: a JSON row is a few KB, and a write per row would cost
# a system call each.
ROWS_BUFFER = 1 << 18
# The most processes a run starts, whatever is asked: beyond the CPUs they only compete.
MAX_JOBS = 64

FindingFilter = Callable[["Finding"], bool]


class Sink(Protocol):
    """Where a run's findings go: a renderer."""

    # "json" or "tsv": the sink takes ready rows (write_rows); None: findings (parse_row).
    row_kind: str | None

    def parse_row(self, finding: Finding) -> None: ...

    def write_rows(self, rows: list[bytes]) -> None: ...

    def flush(self) -> None: ...


@dataclass(frozen=True)
class ParseOptions:
    fmt: str = "auto"
    # Processes for a big log file: 0 chooses by what pays, 1 reads in this one.
    jobs: int = 0
    # Only findings this accepts are shown and counted (None: all).
    keep: FindingFilter | None = None
    # The full counts of --summary and the reports are kept (Tally.add); the rows are
    # still written when there is a sink.
    summary: bool = False
    # --group-by: one count per recipient, domain, reason, provider or code.
    group_by: str | None = None
    # Read binary files too instead of skipping them.
    read_binary: bool = False
    # The language of the findings' texts where the run happens elsewhere (a Dask
    # worker sets it before each task); None: the process's own (smtpcode.i18n).
    lang: str | None = None


@dataclass
class RunReport:
    """What a run did: its counts, and what it could not read."""

    tally: Tally = field(default_factory=Tally)
    problems: list[Problem] = field(default_factory=list)
    # Inputs not read on purpose (binary files), with why: a notice, not a failure.
    skipped: list[Problem] = field(default_factory=list)
    # Ctrl-C ended the run: what was read so far is counted.
    interrupted: bool = False

    @property
    def findings(self) -> int:
        return self.tally.findings

    @classmethod
    def for_options(cls, options: ParseOptions) -> RunReport:
        """An empty report whose tally counts what the options ask for."""
        return cls(tally=Tally(group_by=options.group_by))

    def merge(self, other: RunReport) -> None:
        self.tally.merge(other.tally)
        self.problems += other.problems
        self.skipped += other.skipped
        self.interrupted = self.interrupted or other.interrupted


def run(
    inputs: Sequence[str],
    options: ParseOptions,
    sink: Sink | None,
    opener: Callable[[str, bool], Opened] | None = None,
) -> RunReport:
    """Reads every input in turn into `sink` (None: only counted). Never raises for an
    input's sake; raises only what writing the output raises, and KeyboardInterrupt is
    turned into report.interrupted. `opener` opens an input (default: inputs.open_input;
    a distributed run opens remote files through fsspec)."""
    from smtpcode.inputs import InputError, SkippedInput, open_input

    open_one: Callable[[str, bool], Opened] = opener or open_input
    report = RunReport.for_options(options)
    try:
        for name in inputs:
            if report.interrupted:
                break
            report.tally.inputs += 1
            label = "<stdin>" if name == "-" else name
            try:
                opened = open_one(name, options.read_binary)
            except SkippedInput as exc:
                report.skipped.append(Problem(label, None, str(exc)))
                continue
            except InputError as exc:
                report.problems.append(Problem(label, None, str(exc)))
                continue
            except OSError as exc:
                report.problems.append(Problem(label, None, _why(exc)))
                continue
            try:
                _run_input(opened, options, sink, report)
            finally:
                opened.close()
    except KeyboardInterrupt:
        report.interrupted = True
    report.tally.partial = report.interrupted
    if sink is not None:
        sink.flush()
    return report


def _run_input(opened: Opened, options: ParseOptions, sink: Sink | None, report: RunReport) -> None:
    jobs = choose_jobs(opened, options, sink)
    if jobs > 1:
        from smtpcode import parallel

        assert opened.path is not None
        rows = sink.row_kind if sink is not None else None
        part = parallel.parse_file(opened.path, opened.name, options, rows, jobs, sink)
        report.merge(part)
        return
    from smtpcode.extract import Scanner

    # A compressed file has no path to cut in chunks, but its name gives its mtime.
    file = opened.path or (opened.name if opened.compression else None)
    scanner = Scanner(opened.name, options.fmt, _mtime(file))
    replies = _guarded(scanner.scan_stream(opened.stream), scanner, opened.name)
    try:
        feed(replies, options, sink, report, live=opened.live)
    finally:
        report.problems += scanner.problems


def _guarded(replies: Iterator[Reply], scanner: object, name: str) -> Iterator[Reply]:
    """The replies of an input; what escapes the scanner's own guards (a failure to read
    the input itself, say corrupt compressed data) ends this input, recorded."""
    last: int | None = None
    try:
        for reply in replies:
            last = reply.line
            yield reply
    except (KeyboardInterrupt, GeneratorExit):
        raise
    except Exception as exc:
        problems: list[Problem] = getattr(scanner, "problems", [])
        problems.append(Problem(name, last, _why(exc)))


def feed(
    replies: Iterable[Reply],
    options: ParseOptions,
    sink: Sink | None,
    report: RunReport,
    live: bool = False,
    cache: DiagnosisCache | None = None,
) -> None:
    """Replies -> findings -> the sink (or only the counts), in this process."""
    from smtpcode.diagnosis_cache import DiagnosisCache
    from smtpcode.rows import row_encoder

    cache = cache or DiagnosisCache()
    tally = report.tally
    keep = options.keep
    if sink is None:
        for finding in cache(replies):
            if keep is None or keep(finding):
                tally.add(finding)
        return
    kind = sink.row_kind
    if kind is None or options.summary:
        # Findings one by one: drawn by the sink, or rows counted in full as well.
        parse_row, flush = sink.parse_row, sink.flush
        line = None if kind is None else row_encoder(kind).line
        for finding in cache(replies):
            if keep is None or keep(finding):
                if options.summary:
                    tally.add(finding)
                else:
                    tally.findings += 1
                if line is None:
                    parse_row(finding)
                else:
                    sink.write_rows([line(finding)])
                if live:  # a pipe may pause (tail -f): show each row now
                    flush()
        return
    rows = encode(replies, kind, keep, cache)
    write = sink.write_rows
    held: list[bytes] = []
    size = 0
    for row in rows:
        held.append(row)
        tally.findings += 1
        size += len(row)
        if live or size >= ROWS_BUFFER:
            write(held)
            held, size = [], 0
            if live:
                sink.flush()
    if held:
        write(held)


def encode(
    replies: Iterable[Reply],
    kind: str,
    keep: FindingFilter | None,
    cache: DiagnosisCache,
    encoder: RowEncoder | None = None,
) -> Iterator[bytes]:
    """The rows of the replies' findings that `keep` accepts. Without a filter, rows of
    reply shapes seen before are filled from templates without making a Finding."""
    from smtpcode.rows import row_encoder

    encoder = encoder or row_encoder(kind)
    if keep is None:
        return cache.rows(replies, encoder)
    line = encoder.line
    return (line(f) for f in cache(replies) if keep(f))


def choose_jobs(opened: Opened, options: ParseOptions, sink: Sink | None) -> int:
    """How many processes read this input: several only for a big plain log file whose
    rows (or counts) other processes can make, and only as many as the machine has idle
    CPUs for: on a busy machine, more processes than free CPUs are slower than one."""
    if opened.path is None or options.jobs == 1:
        return 1
    if sink is not None and (sink.row_kind is None or options.summary):
        return 1  # drawn from findings (a terminal, a report), in this process
    from smtpcode import parallel

    if not parallel.suitable(opened.path, options.fmt):
        return 1
    if options.jobs > 1:
        return min(options.jobs, MAX_JOBS)
    return idle_cpus()


def idle_cpus() -> int:
    """CPUs this process may use less the load already on them (at least 1)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        load = 0.0
    return max(1, min(cpus, int(cpus - load + 0.5)))


# The system's own words for the usual failures to read, as the C library gives them
# (in English whatever the locale): marked so that they are shown translated.
OS_ERRORS = (
    N_("No such file or directory"),
    N_("Permission denied"),
    N_("Is a directory"),
    N_("Input/output error"),
    N_("No space left on device"),
)


def _mtime(path: str | None) -> float | None:
    """When a file was last modified (None for standard input: now)."""
    if path is None:
        return None
    try:
        return os.path.getmtime(path)
    except OSError:
        return None


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return _(exc.strerror)
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
