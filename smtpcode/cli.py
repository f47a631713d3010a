"""The command line: read arguments, call the core, hand the results to a renderer."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from smtpcode.__about__ import __version__
from smtpcode.formats import FORMATS, help_text

if TYPE_CHECKING:
    from smtpcode.pipeline import ParseOptions, RunReport
    from smtpcode.render.base import Renderer

# The most --jobs accepted (pipeline.MAX_JOBS; not imported: the core loads lazily).
MAX_JOBS = 64

EXIT_OK = 0
EXIT_NOTHING = 1
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_INTERRUPTED = 130

app = typer.Typer(
    name="smtpcode",
    help="Explain SMTP reply codes, enhanced status codes, mail logs and bounces.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Color(StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON object per line.")]
ColorOpt = Annotated[
    Color,
    typer.Option(
        "--color",
        help="Colour and tables: auto (on a terminal, off when NO_COLOR is set), always, never.",
        case_sensitive=False,
    ),
]


def error(message: str) -> None:
    from smtpcode.text import one_line

    sys.stderr.write(f"smtpcode: {one_line(message)}\n")


def die(message: str, code: int) -> NoReturn:
    error(message)
    raise typer.Exit(code)


def complete_code(incomplete: str) -> list[str]:
    from smtpcode.catalogue import get_catalogue

    cat = get_catalogue()
    codes = [e.code for e in cat.basic_entries()]
    for e in cat.enhanced_entries():
        codes += [f"{d}{e.code[1:]}" for d in "245"]
    return [c for c in codes if c.startswith(incomplete)]


def _renderer(as_json: bool, color: Color):  # type: ignore[no-untyped-def]
    from smtpcode.render import choose_mode, make_renderer

    return make_renderer(choose_mode(as_json, color.value), color.value)


def _ends_quietly(command: Callable[..., None]) -> Callable[..., None]:
    """A command whose reader may go away (| head): the output stops there, exit 0, no
    complaint (Click would exit 1, Python would complain about the flush at exit)."""

    @functools.wraps(command)
    def run(*args: object, **kwargs: object) -> None:
        try:
            try:
                command(*args, **kwargs)
            finally:
                sys.stdout.flush()
        except BrokenPipeError:
            _quiet_stdout()
            raise typer.Exit(EXIT_OK) from None

    return run


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"smtpcode {__version__}\n")
        raise typer.Exit(0)


@app.callback(
    epilog=(
        "\b\nExamples:\n"
        "  smtpcode explain 550\n"
        '  smtpcode explain "550 5.1.1"\n'
        "  smtpcode compare 4.2.2 5.2.2\n"
        "  smtpcode list 5.7.x\n"
        "  smtpcode search mailbox full\n"
        "  smtpcode parse /var/log/mail.log\n"
        "\b\nEnvironment:\n"
        "  NO_COLOR            no colour (tables stay on a terminal)\n"
        "  FORCE_COLOR         Rich tables and colour even when piped\n"
        "  SMTPCODE_CATALOGUE  read another codes.yaml\n"
        "  SMTPCODE_RULES      read another rules.yaml\n"
        "  SMTPCODE_CACHE_DIR  where JSON copies of the two go (empty: none)\n"
        "\b\nExit status:\n"
        "  0 success, 1 nothing found (unknown code, no match), 2 usage error or\n"
        "  malformed argument, 3 unreadable input, unwritable output or broken\n"
        "  catalogue"
    )
)
def main_options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Explain SMTP reply codes, enhanced status codes, mail logs and bounces."""


@app.command(
    epilog=(
        # \b keeps Click from re-flowing the lines: each example stays whole.
        "\b\nExamples:\n"
        "  smtpcode explain 550\n"
        "  smtpcode explain 5.7.26\n"
        '  smtpcode explain "550 5.1.1"  421 4.7.0\n'
        "  smtpcode explain '550 5.1.1 <x@example.com>: Recipient address rejected: "
        "User unknown'\n"
        "  smtpcode explain --json 554"
    )
)
@_ends_quietly
def explain(
    queries: Annotated[
        list[str],
        typer.Argument(
            help="Codes or whole replies: 550, 5.1.1, '550 5.1.1', '550-5.1.1', "
            "'550 5.1.1 <x@example.com>: User unknown'.",
            metavar="QUERY...",
            autocompletion=complete_code,
            show_default=False,
        ),
    ],
    as_json: JsonOpt = False,
    color: ColorOpt = Color.auto,
) -> None:
    """Explain what a reply code means, when you see it and how to fix it."""
    from smtpcode.api import explain_query
    from smtpcode.codes import CodeSyntaxError

    status = EXIT_OK
    renderer = _renderer(as_json, color)
    for query in queries:
        try:
            finding = explain_query(query)
        except CodeSyntaxError as exc:
            not_a_code(query, exc.why)
            status = max(status, EXIT_USAGE)
            continue
        renderer.explain(finding)
        if finding.undefined:
            report_undefined(finding.undefined)
            status = max(status, EXIT_NOTHING)
    renderer.close()
    raise typer.Exit(status)


def nearest(text: str) -> str:
    """The hint after an unknown code, ' (did you mean 5.1.1, 5.1.10?)', or ''."""
    from smtpcode.catalogue import get_catalogue

    hint = get_catalogue().suggest(text)
    return f" (did you mean {', '.join(hint)}?)" if hint else ""


def not_a_code(query: str, why: str) -> None:
    """A malformed code on stderr, with the defined codes nearest to its first word."""
    head = query.strip().split(None, 1)[0] if query.strip() else ""
    error(f"{query!r} is not an SMTP code: {why}{nearest(head)}")


def report_undefined(codes: tuple[str, ...]) -> None:
    """Well-formed codes nobody defines: say so on stderr, with the nearest defined ones."""
    for code in codes:
        error(f"{code}: not defined by any RFC or the registry{nearest(code)}")


@app.command(
    epilog=(
        "\b\nExamples:\n"
        "  smtpcode compare 214 550\n"
        "  smtpcode compare 4.2.2 5.2.2\n"
        '  smtpcode compare "550 5.1.1" 5.7.1\n'
        "  smtpcode compare 450 451 452\n"
        "  smtpcode compare --json 421 4.7.0"
    )
)
@_ends_quietly
def compare(
    queries: Annotated[
        list[str],
        typer.Argument(
            help="Two or more codes, basic, enhanced or both: 550, 5.2.2, '550 5.1.1'.",
            metavar="CODE...",
            autocompletion=complete_code,
            show_default=False,
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
    color: ColorOpt = Color.auto,
) -> None:
    """Compare codes side by side, with the key differences.

    One column per code: class, title, meaning, when you see it, how to fix it, retry
    advice, who has to act and the RFCs; then what tells the codes apart and when you see
    which.
    """
    from smtpcode.codes import CodeSyntaxError, parse_query
    from smtpcode.compare import compare as compare_codes

    if len(queries) < 2:
        die("compare needs at least two codes, for example: smtpcode compare 450 550", EXIT_USAGE)
    bad = False
    for query in queries:
        try:
            parse_query(query)
        except CodeSyntaxError as exc:
            not_a_code(query, exc.why)
            bad = True
    if bad:
        raise typer.Exit(EXIT_USAGE)
    comparison = compare_codes(queries)
    renderer = _renderer(as_json, color)
    renderer.compare(comparison)
    renderer.close()
    report_undefined(comparison.undefined)
    raise typer.Exit(EXIT_NOTHING if comparison.undefined else EXIT_OK)


class Status(StrEnum):
    standard = "standard"
    extension = "extension"
    registry = "registry"
    vendor = "vendor"
    folklore = "folklore"


@app.command(
    "list",
    epilog=(
        "\b\nMasks: x, X or * stands for any digit; a mask without dots is a basic code\n"
        "(5 = 5xx), one with dots an enhanced code (5.1 = 5.1.x). Without a class digit\n"
        "(x.7.x) enhanced codes are listed for any class, as X.7.1.\n"
        "\b\nExamples:\n"
        "  smtpcode list\n"
        "  smtpcode list 5xx\n"
        "  smtpcode list 55x\n"
        "  smtpcode list 4.7.x\n"
        "  smtpcode list x.7.x --status extension\n"
        "  smtpcode list --status vendor --status folklore\n"
        "  smtpcode list --json 5.1.*"
    ),
)
@_ends_quietly
def list_codes(
    mask: Annotated[
        str | None,
        typer.Argument(
            help="Which codes: 5xx, 55x, 5, 4.7.x, x.7.x, 5.1.* (without one: every code).",
            metavar="MASK",
            show_default=False,
        ),
    ] = None,
    status: Annotated[
        list[Status] | None,
        typer.Option(
            "--status",
            help="Only codes of this status: standard, extension, registry, vendor or "
            "folklore (repeat for several).",
            metavar="STATUS",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
    color: ColorOpt = Color.auto,
) -> None:
    """List every code in the catalogue, or those matching a mask."""
    from smtpcode.browse import MaskError, list_entries, parse_mask

    try:
        parsed = parse_mask(mask) if mask is not None else None
    except MaskError as exc:
        die(f"{mask!r} is not a code mask: {exc.why}", EXIT_USAGE)
    entries = list_entries(parsed, [s.value for s in status or ()])
    if not entries:
        which = f" {mask}" if mask is not None else ""
        only = f" with status {', '.join(s.value for s in status)}" if status else ""
        # A mask without wildcards is a code: offer the nearest defined ones.
        hint = nearest(mask) if mask and mask.replace(".", "").isdigit() and not status else ""
        die(f"no code{which}{only} in the catalogue{hint}", EXIT_NOTHING)
    renderer = _renderer(as_json, color)
    renderer.entries(entries)
    renderer.close()


@app.command(
    epilog=(
        "\b\nExamples:\n"
        '  smtpcode search "mailbox full"\n'
        "  smtpcode search relay denied\n"
        "  smtpcode search greylisting\n"
        "  smtpcode search --json dmarc"
    )
)
@_ends_quietly
def search(
    words: Annotated[
        list[str],
        typer.Argument(
            help="Words to look for, in any order; case and accents do not matter.",
            metavar="TEXT...",
            show_default=False,
        ),
    ],
    as_json: JsonOpt = False,
    color: ColorOpt = Color.auto,
) -> None:
    """Search what the catalogue says about codes, best match first.

    Looks through every code's title, description, when you see it and how to fix it,
    and the reply phrasings the diagnosis rules know for it. Words may come in any
    order; case and accents do not matter.
    """
    from smtpcode.browse import search as search_catalogue

    query = " ".join(words).strip()
    if not query:
        die("give some words to search for, for example: smtpcode search mailbox full", EXIT_USAGE)
    result = search_catalogue(query)
    if not result.hits:
        more = f"; did you mean: {result.suggestion}?" if result.suggestion else ""
        die(f"no code mentions {query!r}{more}", EXIT_NOTHING)
    renderer = _renderer(as_json, color)
    renderer.entries(result.entries)
    renderer.close()


# --format's choices: the families of smtpcode.formats, listed there once.
InputFormat = StrEnum("InputFormat", {name: name for name in FORMATS})  # type: ignore[misc]
AUTO_FORMAT = InputFormat("auto")


@app.command(
    epilog=(
        "\b\nInputs (recognised line by line, or per document; --format forces one;\n"
        "plain, gzip, bzip2 or xz):\n" + help_text() + "\n"
        "\b\nExamples:\n"
        "  swaks --to x@example.com --server mx.example.com | smtpcode parse\n"
        "  smtpcode parse /var/log/mail.log bounce.eml\n"
        "  smtpcode parse --summary /var/log/mail.log\n"
        "  smtpcode parse --json --format postfix /var/log/mail.log | jq .reason\n"
        "  grep 'status=bounced' /var/log/mail.log | smtpcode parse -\n"
        "\b\nExit status:\n"
        "  0 at least one reply found, 1 none found, 3 an input could not be read\n"
        "  (the others are still read)"
    )
)
@_ends_quietly
def parse(
    files: Annotated[
        list[str] | None,
        typer.Argument(
            help="Files to read; - or none: standard input.",
            metavar="FILE...",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
    color: ColorOpt = Color.auto,
    summary: Annotated[
        bool,
        typer.Option("--summary", help="Only counts by code, class and reason."),
    ] = False,
    fmt: Annotated[
        InputFormat,
        typer.Option(
            "--format",
            help="Read every input as this family instead of recognising it.",
            case_sensitive=False,
        ),
    ] = AUTO_FORMAT,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            help="Processes for a big log file (0: as many as there are idle CPUs, 1: none "
            "besides this one). The output is the same either way.",
            min=0,
            max=MAX_JOBS,
        ),
    ] = 0,
    binary: Annotated[
        bool,
        typer.Option("--binary", help="Read binary files too instead of skipping them."),
    ] = False,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Parse on a Dask cluster: a scheduler's address (tcp://host:8786), or "
            "local[:N] for N worker processes on this machine. FILE... may then be globs "
            "and URLs (s3://, gs://, https://). Needs smtpcode[dask].",
            metavar="ADDRESS",
            show_default=False,
        ),
    ] = None,
    output_dir: Annotated[
        str | None,
        typer.Option(
            "--output-dir",
            help="With --scheduler: each task writes its findings as JSON Lines to a part "
            "file in this directory (or URL); only counts come back.",
            metavar="DIR",
            show_default=False,
        ),
    ] = None,
    storage_options: Annotated[
        list[str] | None,
        typer.Option(
            "--storage-option",
            help="With --scheduler: KEY=VALUE for remote storage (fsspec), e.g. "
            "endpoint_url=http://127.0.0.1:9000 or anon=true. Repeatable.",
            metavar="KEY=VALUE",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Find and explain every SMTP reply in logs, transcripts, bounces and events.

    One row per reply as it is found: where it starts, its codes, class, reason and
    meaning. With --json, one finding per line, with the input, line, reply text,
    recipient and command where the input shows them.
    """
    from smtpcode import pipeline

    renderer = _renderer(as_json, color)
    options = pipeline.ParseOptions(fmt=fmt.value, jobs=jobs, summary=summary, read_binary=binary)
    if scheduler is None and (output_dir is not None or storage_options):
        die("--output-dir and --storage-option need --scheduler", EXIT_USAGE)
    try:
        if scheduler is not None:
            report = _parse_distributed(
                files, options, renderer, scheduler, output_dir, storage_options or []
            )
        else:
            report = pipeline.run(files or ["-"], options, None if summary else renderer)
        if summary:
            renderer.parse_summary(report.tally)
        renderer.close()
    except BrokenPipeError:
        # The reader went away (| head): what it wanted was written; stop quietly.
        _quiet_stdout()
        raise typer.Exit(EXIT_OK) from None
    for skipped in report.skipped:
        error(f"{skipped.input}: {skipped.why}")
    for problem in report.problems:
        where = f"{problem.input}:{problem.line}" if problem.line else problem.input
        error(f"cannot read {where}: {problem.why}")
    if report.interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)
    if report.problems:
        raise typer.Exit(EXIT_INPUT)
    raise typer.Exit(EXIT_OK if report.findings else EXIT_NOTHING)


def _parse_distributed(
    files: list[str] | None,
    options: ParseOptions,
    renderer: Renderer,
    scheduler: str,
    output_dir: str | None,
    storage_options: list[str],
) -> RunReport:
    """`parse --scheduler`: the run on a Dask cluster (smtpcode.distributed)."""
    if not files or "-" in files:
        die("--scheduler reads files, globs or URLs, not standard input", EXIT_USAGE)
    from smtpcode import distributed

    try:
        distributed.require_dask()
    except distributed.DistributedError as exc:
        die(str(exc), EXIT_USAGE)
    try:
        distributed.local_workers(scheduler)
    except ValueError as exc:
        die(f"--scheduler: {exc}", EXIT_USAGE)
    try:
        storage = distributed.parse_storage_options(storage_options)
    except ValueError as exc:
        die(f"--storage-option: {exc}", EXIT_USAGE)
    sink = None if options.summary or output_dir is not None else renderer
    if sink is not None and sink.row_kind is None:
        from smtpcode.render import make_renderer

        sink = make_renderer("plain", "never")  # rows are made on the workers: plain text
    # The bar on a terminal, unless rows are written to that terminal as they come.
    bar = sys.stderr.isatty() and (sink is None or not sys.stdout.isatty())
    progress = distributed.TerminalProgress() if bar else None
    try:
        return distributed.run(
            files,
            options,
            scheduler,
            sink,
            output_dir=output_dir,
            storage_options=storage,
            progress=progress,
        )
    except distributed.DistributedError as exc:
        die(str(exc), EXIT_INPUT)
    finally:
        if progress is not None:
            progress.close()


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so that the flush at exit cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (a test runner's stream)
        pass
    finally:
        os.close(devnull)


def main() -> None:
    """Entry point: run the app, turning the expected failures into exit codes."""
    from smtpcode.catalogue import CatalogueError

    try:
        app()
    except CatalogueError as exc:
        error(f"broken catalogue: {exc}")
        sys.exit(EXIT_INPUT)
    except BrokenPipeError:
        # The reader went away (| head): stop quietly, and keep Python from complaining
        # about the flush at exit.
        _quiet_stdout()
        sys.exit(EXIT_OK)
    except KeyboardInterrupt:
        sys.exit(130)
    except OSError as exc:
        # Not the inputs (parse reports those and goes on): the output (a full disk).
        error(f"cannot write the output: {exc.strerror or exc}")
        _quiet_stdout()
        sys.exit(EXIT_INPUT)
