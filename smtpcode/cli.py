"""The command line: read arguments, call the core, hand the results to a renderer."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
import typer.core
from typer.core import TyperGroup

try:  # Typer >= 0.26 vendors Click
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover - older Typer with Click beside it
    from click import exceptions as click_exceptions  # type: ignore[no-redef]

from smtpcode import i18n
from smtpcode.__about__ import __version__
from smtpcode.formats import FORMATS, help_text
from smtpcode.i18n import N_, _

# The help texts below are evaluated as the app is built: decide the language first, from
# the command line (--lang) or the environment (SMTPCODE_LANG, the locale).
i18n.set_language(i18n.choose(sys.argv[1:]))

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


def _forgiving_output() -> None:
    """Text that cannot be encoded (a lone surrogate from an undecodable file name or
    input) is written as an escape instead of stopping the program, in any locale."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError, TypeError):
                reconfigure(errors="backslashreplace")


class _OneLineErrors(TyperGroup):
    """Usage errors as one line on stderr, `smtpcode: ...`, with status 2 (Click would
    print a four-line block)."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        _forgiving_output()
        kwargs["standalone_mode"] = False
        try:
            status = super().main(*args, **kwargs)
        except click_exceptions.UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":
                # No arguments at all: the help is what the user needs, not an error.
                sys.stderr.write(exc.format_message() + "\n")
            else:
                command = exc.ctx.command_path if exc.ctx is not None else "smtpcode"
                message = usage_error_text(exc.format_message()).rstrip(".")
                see = _("see: {command} --help").format(command=command)
                error(f"{message[:1].lower()}{message[1:]} ({see})")
            code = EXIT_USAGE
        except typer.Abort:
            code = EXIT_INTERRUPTED
        except click_exceptions.ClickException as exc:
            error(exc.format_message())
            code = exc.exit_code
        else:
            # A command's own status (typer.Exit) comes back as the return value.
            code = status if isinstance(status, int) else EXIT_OK
        if not standalone_mode:
            raise SystemExit(code)
        sys.exit(code)


class _Commands(_OneLineErrors):
    """The command group, with two conveniences read before Click sees the arguments:
    a code as the first argument means `explain` (`smtpcode 550`), and `--color` may
    come before the command (`smtpcode --color never explain 550`)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, reorder(list(args), set(self.commands)))


def reorder(args: list[str], commands: set[str]) -> list[str]:
    """The arguments with a leading --color moved after the command, and `explain`
    put in front of a first argument that is not a command."""
    color: list[str] = []
    rest = list(args)
    while rest and (rest[0] == "--color" or rest[0].startswith("--color=")):
        take = 1 if "=" in rest[0] else 2
        color, rest = color + rest[:take], rest[take:]
    if not rest:
        return args
    if rest[0] not in commands and not rest[0].startswith("-") and not _mistyped(rest[0], commands):
        rest = ["explain", *rest]
    if rest[0] in commands:
        return [rest[0], *color, *rest[1:]]
    return color + rest


def _mistyped(word: str, commands: set[str]) -> bool:
    """A word close to a command's name ("lsit"): Click's "No such command" helps more
    than reading it as a code."""
    import difflib

    return word.isalpha() and bool(difflib.get_close_matches(word.lower(), commands, 1, 0.75))


app = typer.Typer(
    cls=_Commands,
    name="smtpcode",
    help=_("Explain SMTP reply codes, enhanced status codes, mail logs and bounces."),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Color(StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


JsonOpt = Annotated[bool, typer.Option("--json", help=_("One JSON object per line."))]
ColorOpt = Annotated[
    Color,
    typer.Option(
        "--color",
        help=_("Colour and tables: auto (on a terminal, off when NO_COLOR is set), always, never."),
        case_sensitive=False,
    ),
]


class Language(StrEnum):
    en = "en"
    de = "de"


def _command_lang(value: Language | None) -> None:
    """--lang after a command: it overrides what the environment or the locale chose."""
    if value is not None:
        i18n.set_language(value.value)


def _main_lang(value: Language | None) -> None:
    """--lang before the command, else SMTPCODE_LANG, else the locale: decided on every
    run (a test runner calls the app many times in one process)."""
    i18n.set_language(value.value if value is not None else i18n.from_environment())


LANG_HELP = _("Language of the output: en or de (default: SMTPCODE_LANG, else the locale).")
LangOpt = Annotated[
    Language | None,
    typer.Option(
        "--lang",
        help=LANG_HELP,
        callback=_command_lang,
        is_eager=True,
        case_sensitive=False,
        show_default=False,
    ),
]


# The usage errors of the Click that Typer bundles, which writes them in English only:
# each pattern with the message it is read as.
_USAGE_ERRORS = (
    (r"Missing argument (?P<name>.+)\.", N_("Missing argument {name}.")),
    (r"No such option: (?P<name>\S+)", N_("No such option: {name}")),
    (r"No such command (?P<name>.+)\.", N_("No such command {name}.")),
    (
        r"Invalid value for (?P<param>.+?): (?P<value>.+) is not one of (?P<choices>.+)\.",
        N_("Invalid value for {param}: {value} is not one of {choices}."),
    ),
    (
        r"Invalid value for (?P<param>.+?): (?P<value>.+) is not in the range (?P<range>.+)\.",
        N_("Invalid value for {param}: {value} is not in the range {range}."),
    ),
    (
        r"Invalid value for (?P<param>.+?): (?P<message>.+)",
        N_("Invalid value for {param}: {message}"),
    ),
    (
        r"Got unexpected extra arguments?(?:\(s\))? \((?P<args>.+)\)",
        N_("Got unexpected extra arguments ({args})"),
    ),
)


def usage_error_text(message: str) -> str:
    """A usage error of Click's in the current language (as it is when no pattern fits)."""
    import re

    for pattern, template in _USAGE_ERRORS:
        found = re.fullmatch(pattern, message, flags=re.DOTALL)
        if found:
            return _(template).format(**found.groupdict())
    return message


def _translate_click() -> None:
    """Typer's own section headings (Arguments, Options, Commands, required, default)
    go through gettext's global domain, which knows nothing of --lang: give it our lookup.
    The Click that Typer bundles writes "Usage:" in English only: its writer is replaced by
    one that says the same in the current language (left alone if a later Typer no longer
    has it); its usage errors are translated where _OneLineErrors writes them."""
    import typer.core

    typer.core._ = _  # type: ignore[attr-defined]
    try:
        from typer._click.formatting import HelpFormatter
    except ImportError:  # pragma: no cover - a Typer without a bundled Click
        return
    write_usage = HelpFormatter.write_usage

    def usage(self: HelpFormatter, prog: str, args: str = "", prefix: str | None = None) -> None:
        write_usage(self, prog, args, _("Usage: ") if prefix is None else prefix)

    # Typer's and Click's own option help (-h, --install-completion, ...) is English:
    # shown through the same lookup (our own help, already translated, is not found in
    # it and stays as it is).
    help_record = typer.core.TyperOption.get_help_record

    def translated_help(self: typer.core.TyperOption, ctx: Any) -> tuple[str, str] | None:
        record = help_record(self, ctx)
        return None if record is None else (record[0], _(record[1]))

    typer.core.TyperOption.get_help_record = translated_help  # type: ignore[method-assign]
    HelpFormatter.write_usage = usage  # type: ignore[method-assign]


_translate_click()


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
        _("\b\nExamples:\n")
        + "  smtpcode explain 550\n"
        + _("  smtpcode 550              (explain is the default command)\n")
        + '  smtpcode explain "550 5.1.1"\n'
        "  smtpcode --lang de explain 550\n"
        "  smtpcode compare 4.2.2 5.2.2\n"
        "  smtpcode list 5.7.x\n"
        "  smtpcode search mailbox full\n"
        "  smtpcode parse /var/log/mail.log\n"
        + _("\b\nEnvironment:\n")
        + _("  NO_COLOR            no colour (tables stay on a terminal)\n")
        + _("  FORCE_COLOR         Rich tables and colour even when piped\n")
        + _("  SMTPCODE_LANG       language of the output: en or de (else the locale)\n")
        + _("  SMTPCODE_CATALOGUE  read another codes.yaml\n")
        + _("  SMTPCODE_RULES      read another rules.yaml\n")
        + _("  SMTPCODE_CACHE_DIR  where JSON copies of the two go (empty: none)\n")
        + _(
            "\b\nExit status:\n"
            "  0 success, 1 nothing found (unknown code, no match), 2 usage error or\n"
            "  malformed argument, 3 unreadable input, unwritable output or broken\n"
            "  catalogue"
        )
    )
)
def main_options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help=_("Show the version.")),
    ] = False,
    lang: Annotated[
        Language | None,
        typer.Option(
            "--lang",
            help=LANG_HELP,
            callback=_main_lang,
            is_eager=True,
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Explain SMTP reply codes, enhanced status codes, mail logs and bounces."""


@app.command(
    help=_(
        "Explain what a reply code means, when you see it and how to fix it.\n\n"
        "Several codes are explained one by one; words after a code are read with it as one "
        "reply (smtpcode explain 550 5.1.1 User unknown). A pasted log line, bounce text or "
        "exception is searched for its replies, as parse does."
    ),
    epilog=(
        # \b keeps Click from re-flowing the lines: each example stays whole.
        _("\b\nExamples:\n") + "  smtpcode explain 550\n"
        "  smtpcode explain 5.7.26\n"
        '  smtpcode explain "550 5.1.1"  421 4.7.0\n'
        "  smtpcode explain '550 5.1.1 <x@example.com>: Recipient address rejected: "
        "User unknown'\n"
        "  smtpcode explain --json 554"
    ),
)
@_ends_quietly
def explain(
    queries: Annotated[
        list[str],
        typer.Argument(
            help=_(
                "Codes or whole replies: 550, 5.1.1, '550 5.1.1', '550-5.1.1', "
                "'550 5.1.1 <x@example.com>: User unknown'."
            ),
            metavar="QUERY...",
            autocompletion=complete_code,
            show_default=False,
        ),
    ],
    as_json: JsonOpt = False,
    color: ColorOpt = Color.auto,
    lang: LangOpt = None,
    brief: Annotated[
        bool,
        typer.Option(
            "--brief", help=_("One short paragraph per code: title, class, meaning, fix.")
        ),
    ] = False,
) -> None:
    """Explain what a reply code means, when you see it and how to fix it.

    Several codes are explained one by one; words after a code are read with it as one
    reply (smtpcode explain 550 5.1.1 User unknown). A pasted log line, bounce text or
    exception is searched for its replies, as parse does.
    """
    from smtpcode.api import explain_query, find_replies
    from smtpcode.codes import CodeSyntaxError

    status = EXIT_OK
    renderer = _renderer(as_json, color)
    for query in group_queries(queries):
        try:
            findings = [explain_query(query)]
        except CodeSyntaxError as exc:
            findings = find_replies(query)
            if not findings:
                not_a_code(query, exc.why)
                status = max(status, EXIT_USAGE)
                continue
        for finding in findings:
            renderer.explain(finding, brief=brief)
            if finding.undefined:
                report_undefined(finding.undefined)
                status = max(status, EXIT_NOTHING)
    renderer.close()
    raise typer.Exit(status)


def group_queries(args: list[str]) -> list[str]:
    """The queries in explain's arguments: each its own query, except an unquoted reply
    (a basic code, an enhanced code or both, then words: "550 5.1.1 User unknown") and
    an unquoted pasted line (words first: "Nov 29 ... said: 550 ..."), each one query."""
    from smtpcode.codes import CodeSyntaxError, looks_like_enhanced, parse_query

    def code_kind(arg: str) -> str | None:
        try:
            query = parse_query(arg)
        except CodeSyntaxError:
            return None
        if query.text is not None:
            return None
        return "enhanced" if looks_like_enhanced(arg) and query.basic is None else "code"

    def wordy(arg: str) -> bool:
        return code_kind(arg) is None and any(c.isalpha() for c in arg)

    if len(args) < 2:
        return list(args)
    if wordy(args[0]):
        return [" ".join(args)]
    head = 0
    if code_kind(args[0]) == "code" and not looks_like_enhanced(args[0]):
        head = 2 if code_kind(args[1]) == "enhanced" else 1
    elif code_kind(args[0]) == "enhanced":
        head = 1
    rest = args[head:]
    if head and rest and all(code_kind(a) is None for a in rest) and any(map(wordy, rest)):
        return [" ".join(args)]
    return list(args)


def nearest(text: str) -> str:
    """The hint after an unknown code, ' (did you mean 5.1.1, 5.1.10?)', or ''."""
    from smtpcode.catalogue import get_catalogue

    hint = get_catalogue().suggest(text)
    return _(" (did you mean {codes}?)").format(codes=", ".join(hint)) if hint else ""


def not_a_code(query: str, why: str) -> None:
    """A malformed code on stderr, with the defined codes nearest to its first word."""
    head = query.strip().split(None, 1)[0] if query.strip() else ""
    error(
        _("{query} is not an SMTP code: {why}").format(query=repr(query), why=why) + nearest(head)
    )


def report_undefined(codes: tuple[str, ...]) -> None:
    """Well-formed codes nobody defines: say so on stderr, with the nearest defined ones."""
    for code in codes:
        error(_("{code}: not defined by any RFC or the registry").format(code=code) + nearest(code))


@app.command(
    help=_(
        "Compare codes side by side, with the key differences.\n\n"
        "One column per code: class, title, meaning, when you see it, how to fix it, retry "
        "advice, who has to act and the RFCs; then what tells the codes apart, when you see "
        "which and when to use which."
    ),
    epilog=(
        _("\b\nExamples:\n") + "  smtpcode compare 214 550\n"
        "  smtpcode compare 4.2.2 5.2.2\n"
        '  smtpcode compare "550 5.1.1" 5.7.1\n'
        "  smtpcode compare 450 451 452\n"
        "  smtpcode compare --json 421 4.7.0"
    ),
)
@_ends_quietly
def compare(
    queries: Annotated[
        list[str],
        typer.Argument(
            help=_("Two or more codes, basic, enhanced or both: 550, 5.2.2, '550 5.1.1'."),
            metavar="CODE...",
            autocompletion=complete_code,
            show_default=False,
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help=_("One JSON object."))] = False,
    color: ColorOpt = Color.auto,
    lang: LangOpt = None,
) -> None:
    """Compare codes side by side, with the key differences.

    One column per code: class, title, meaning, when you see it, how to fix it, retry
    advice, who has to act and the RFCs; then what tells the codes apart, when you see
    which and when to use which.
    """
    from smtpcode.codes import CodeSyntaxError, parse_query
    from smtpcode.compare import compare as compare_codes

    if len(queries) < 2:
        die(
            _("compare needs at least two codes, for example: smtpcode compare 450 550"),
            EXIT_USAGE,
        )
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
    help=_("List every code in the catalogue, or those matching a mask."),
    epilog=(
        _(
            "\b\nMasks: x, X or * stands for any digit; a mask without dots is a basic code\n"
            "(5 = 5xx), one with dots an enhanced code (5.1 = 5.1.x). Without a class digit\n"
            "(x.7.x) enhanced codes are listed for any class, as X.7.1.\n"
        )
        + _("\b\nExamples:\n")
        + "  smtpcode list\n"
        "  smtpcode list 5xx\n"
        "  smtpcode list 55x\n"
        "  smtpcode list 4.7.x\n"
        "  smtpcode list x.7.x --status extension\n"
        "  smtpcode list --status vendor --status folklore\n"
        "  smtpcode list --provider microsoft\n"
        "  smtpcode list --provider google 5.7.x\n"
        "  smtpcode list --json 5.1.*"
    ),
)
@_ends_quietly
def list_codes(
    mask: Annotated[
        str | None,
        typer.Argument(
            help=_("Which codes: 5xx, 55x, 5, 4.7.x, x.7.x, 5.1.* (without one: every code)."),
            metavar="MASK",
            show_default=False,
        ),
    ] = None,
    status: Annotated[
        list[Status] | None,
        typer.Option(
            "--status",
            help=_(
                "Only codes of this status: standard, extension, registry, vendor or "
                "folklore (repeat for several)."
            ),
            metavar="STATUS",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    provider: Annotated[
        list[str] | None,
        typer.Option(
            "--provider",
            help=_(
                "Only this provider's own codes and tokens (microsoft, google, yahoo, ...; "
                "repeat for several)."
            ),
            metavar="PROVIDER",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
    color: ColorOpt = Color.auto,
    lang: LangOpt = None,
) -> None:
    """List every code in the catalogue, or those matching a mask."""
    from smtpcode.browse import MaskError, list_entries, parse_mask

    try:
        parsed = parse_mask(mask) if mask is not None else None
    except MaskError as exc:
        die(
            _("{mask} is not a code mask: {why}").format(mask=repr(mask), why=exc.why),
            EXIT_USAGE,
        )
    providers = [p.strip().lower() for p in provider or ()]
    if providers:
        from smtpcode.provider_codes import get_layer

        known = get_layer().providers
        unknown = [p for p in providers if p not in known]
        if unknown:
            die(
                _("no provider {name} in the catalogue (known: {known})").format(
                    name=repr(unknown[0]), known=", ".join(sorted(known))
                ),
                EXIT_USAGE,
            )
    entries = list_entries(parsed, [s.value for s in status or ()], providers=providers)
    if not entries:
        statuses = ", ".join(s.value for s in status or ())
        if providers:
            statuses = ", ".join(filter(None, (statuses, ", ".join(providers))))
        if mask is not None and (status or providers):
            message = _("no code {mask} with status {statuses} in the catalogue")
        elif mask is not None:
            message = _("no code {mask} in the catalogue")
        elif status or providers:
            message = _("no code with status {statuses} in the catalogue")
        else:
            message = _("no code in the catalogue")
        # A mask without wildcards is a code: offer the nearest defined ones.
        hint = nearest(mask) if mask and mask.replace(".", "").isdigit() and not status else ""
        die(message.format(mask=mask, statuses=statuses) + hint, EXIT_NOTHING)
    renderer = _renderer(as_json, color)
    renderer.entries(entries)
    renderer.close()


@app.command(
    help=_(
        "Search what the catalogue says about codes, best match first.\n\n"
        "Looks through every code's title, description, when you see it and how to fix it, "
        "and the reply phrasings the diagnosis rules know for it. Words may come in any "
        "order; case and accents do not matter."
    ),
    epilog=(
        _("\b\nExamples:\n") + '  smtpcode search "mailbox full"\n'
        "  smtpcode search relay denied\n"
        "  smtpcode search greylisting\n"
        "  smtpcode search --json dmarc"
    ),
)
@_ends_quietly
def search(
    words: Annotated[
        list[str],
        typer.Argument(
            help=_("Words to look for, in any order; case and accents do not matter."),
            metavar="TEXT...",
            show_default=False,
        ),
    ],
    as_json: JsonOpt = False,
    color: ColorOpt = Color.auto,
    lang: LangOpt = None,
) -> None:
    """Search what the catalogue says about codes, best match first.

    Looks through every code's title, description, when you see it and how to fix it,
    and the reply phrasings the diagnosis rules know for it. Words may come in any
    order; case and accents do not matter.
    """
    from smtpcode.browse import search as search_catalogue

    query = " ".join(words).strip()
    if not query:
        die(
            _("give some words to search for, for example: smtpcode search mailbox full"),
            EXIT_USAGE,
        )
    result = search_catalogue(query)
    if not result.hits:
        more = (
            _("; did you mean: {words}?").format(words=result.suggestion)
            if result.suggestion
            else ""
        )
        die(_("no code mentions {query}").format(query=repr(query)) + more, EXIT_NOTHING)
    renderer = _renderer(as_json, color)
    renderer.entries(result.entries, result.why)
    renderer.close()


# --format's choices: the families of smtpcode.formats, listed there once.
InputFormat = StrEnum("InputFormat", {name: name for name in FORMATS})  # type: ignore[misc]
AUTO_FORMAT = InputFormat("auto")


class Klass(StrEnum):
    success = "success"
    intermediate = "intermediate"
    transient = "transient"
    permanent = "permanent"
    preliminary = "preliminary"


class GroupBy(StrEnum):
    recipient = "recipient"
    domain = "domain"
    reason = "reason"
    provider = "provider"
    code = "code"


class ReportFormat(StrEnum):
    markdown = "markdown"
    html = "html"


def _repeat(name: str, help_text: str, metavar: str) -> object:
    return typer.Option(name, help=help_text, metavar=metavar, show_default=False)


@app.command(
    help=_(
        "Find and explain every SMTP reply in logs, transcripts, bounces and events.\n\n"
        "One row per reply as it is found: what happened and why, its codes, the recipient "
        "and where it is. With --json, one finding per line, with the input, line, time, "
        "reply text, recipient and command where the input shows them. The filters apply to "
        "the rows, the JSON, the summary, the groups and the reports alike."
    ),
    epilog=(
        _(
            "\b\nInputs (recognised line by line, or per document; --format forces one;\n"
            "plain, gzip, bzip2 or xz):\n"
        )
        + help_text()
        + "\n"
        + _(
            "\b\nPlain rows (when piped), tab-separated, in this order:\n"
            "  what happened, code, enhanced code, class, reason, provider, recipient,\n"
            "  where (input:line), time (ISO 8601); - where the input does not say\n"
        )
        + _("\b\nExamples:\n")
        + "  swaks --to x@example.com --server mx.example.com | smtpcode parse\n"
        "  smtpcode parse /var/log/mail.log bounce.eml\n"
        "  smtpcode parse --summary /var/log/mail.log\n"
        "  smtpcode parse --failures --group-by domain /var/log/mail.log\n"
        "  smtpcode parse --reason user-unknown --domain example.com mail.log\n"
        "  smtpcode parse --report html /var/log/mail.log > report.html\n"
        "  smtpcode parse --json --format postfix /var/log/mail.log | jq .reason\n"
        "  grep 'status=bounced' /var/log/mail.log | smtpcode parse -\n"
        + _(
            "\b\nExit status:\n"
            "  0 at least one reply found, 1 none found, 3 an input could not be read\n"
            "  (the others are still read), 130 interrupted (Ctrl-C; a summary is\n"
            "  still printed, marked partial)"
        )
    ),
)
@_ends_quietly
def parse(
    files: Annotated[
        list[str] | None,
        typer.Argument(
            help=_("Files to read; - or none: standard input."),
            metavar="FILE...",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
    color: ColorOpt = Color.auto,
    summary: Annotated[
        bool,
        typer.Option(
            "--summary",
            help=_(
                "Only counts: by code (with its title), class, reason, provider and "
                "recipient domain, and the top failing recipients."
            ),
        ),
    ] = False,
    failures: Annotated[
        bool,
        typer.Option("--failures", help=_("Only failures: transient and permanent replies.")),
    ] = False,
    klass: Annotated[
        list[Klass] | None,
        typer.Option(
            "--class",
            help=_("Only replies of this class (repeat for several)."),
            metavar="CLASS",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    reason: Annotated[
        list[str] | None,
        typer.Option(
            "--reason",
            help=_("Only replies with this reason, e.g. user-unknown (repeat for several)."),
            metavar="REASON",
            show_default=False,
        ),
    ] = None,
    provider: Annotated[
        list[str] | None,
        typer.Option(
            "--provider",
            help=_("Only replies from this provider, e.g. google (repeat for several)."),
            metavar="PROVIDER",
            show_default=False,
        ),
    ] = None,
    domain: Annotated[
        list[str] | None,
        typer.Option(
            "--domain",
            help=_(
                "Only replies about recipients in this domain or its subdomains "
                "(repeat for several)."
            ),
            metavar="DOMAIN",
            show_default=False,
        ),
    ] = None,
    group_by: Annotated[
        GroupBy | None,
        typer.Option(
            "--group-by",
            help=_(
                "One row per recipient, domain, reason, provider or code: counts, first "
                "and last seen, the most common reply; biggest first."
            ),
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    report_format: Annotated[
        ReportFormat | None,
        typer.Option(
            "--report",
            help=_(
                "Write a whole report on stdout: markdown (for a ticket) or html (one "
                "self-contained file)."
            ),
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        InputFormat,
        typer.Option(
            "--format",
            help=_("Read every input as this family instead of recognising it."),
            case_sensitive=False,
        ),
    ] = AUTO_FORMAT,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            help=_(
                "Processes for a big log file (0: as many as there are idle CPUs, 1: none "
                "besides this one). The output is the same either way."
            ),
            min=0,
            max=MAX_JOBS,
        ),
    ] = 0,
    binary: Annotated[
        bool,
        typer.Option("--binary", help=_("Read binary files too instead of skipping them.")),
    ] = False,
    lang: LangOpt = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help=_(
                "Parse on a Dask cluster: a scheduler's address (tcp://host:8786), or "
                "local[:N] for N worker processes on this machine. FILE... may then be globs "
                "and URLs (s3://, gs://, https://). Needs smtpcode[dask]."
            ),
            metavar="ADDRESS",
            show_default=False,
        ),
    ] = None,
    output_dir: Annotated[
        str | None,
        typer.Option(
            "--output-dir",
            help=_(
                "With --scheduler: each task writes its findings as JSON Lines to a part "
                "file in this directory (or URL); only counts come back."
            ),
            metavar="DIR",
            show_default=False,
        ),
    ] = None,
    storage_options: Annotated[
        list[str] | None,
        typer.Option(
            "--storage-option",
            help=_(
                "With --scheduler: KEY=VALUE for remote storage (fsspec), e.g. "
                "endpoint_url=http://127.0.0.1:9000 or anon=true. Repeatable."
            ),
            metavar="KEY=VALUE",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Find and explain every SMTP reply in logs, transcripts, bounces and events.

    One row per reply as it is found: what happened and why, its codes, the recipient
    and where it is. With --json, one finding per line, with the input, line, time,
    reply text, recipient and command where the input shows them. The filters apply to
    the rows, the JSON, the summary, the groups and the reports alike.
    """
    from smtpcode import pipeline
    from smtpcode.diagnose import REASON_NAMES
    from smtpcode.filters import make_filter

    for name in reason or ():
        if name.lower() not in REASON_NAMES:
            die(
                _("{name} is not a reason; one of: {reasons}").format(
                    name=repr(name), reasons=", ".join(REASON_NAMES)
                ),
                EXIT_USAGE,
            )
    if report_format is not None and (as_json or summary or group_by is not None):
        die(
            _("--report makes a whole report: leave out --json, --summary and --group-by"),
            EXIT_USAGE,
        )
    keep = make_filter(
        failures,
        [k.value for k in klass or ()],
        reason or (),
        provider or (),
        domain or (),
    )
    counting = summary or group_by is not None
    options = pipeline.ParseOptions(
        fmt=fmt.value,
        jobs=jobs,
        keep=keep,
        summary=counting or report_format is not None,
        group_by=group_by.value if group_by is not None else None,
        read_binary=binary,
        lang=i18n.language(),
    )
    inputs = files or ["-"]
    if "-" in inputs and _is_terminal(sys.stdin):
        # Someone typed `smtpcode parse` alone: say what it waits for.
        error(_("reading standard input: paste a log, transcript or bounce, then Ctrl-D"))
    renderer = _renderer(as_json, color)
    report_sink = _report_sink(report_format) if report_format is not None else None
    sink = report_sink if report_sink is not None else (None if counting else renderer)
    if scheduler is None and (output_dir is not None or storage_options):
        die(_("--output-dir and --storage-option need --scheduler"), EXIT_USAGE)
    try:
        if scheduler is not None:
            report = _parse_distributed(
                files, options, renderer, scheduler, output_dir, storage_options or []
            )
        else:
            report = pipeline.run(inputs, options, sink)
        if report_sink is not None:
            report_sink.parse_summary(report.tally)
            report_sink.close()
        elif counting:
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
        error(_("cannot read {where}: {why}").format(where=where, why=problem.why))
    if report.interrupted:
        if counting or report_format is not None:
            error(_("interrupted: the counts cover what was read until then"))
        else:
            error(_("interrupted"))
        raise typer.Exit(EXIT_INTERRUPTED)
    if report.problems:
        raise typer.Exit(EXIT_INPUT)
    if not report.findings:
        if _is_terminal(sys.stdout) and not as_json:
            nothing = (
                _("no SMTP reply that passes the filters found in {inputs}")
                if keep is not None
                else _("no SMTP reply found in {inputs}")
            )
            error(nothing.format(inputs=", ".join(inputs)))
        raise typer.Exit(EXIT_NOTHING)
    raise typer.Exit(EXIT_OK)


def _is_terminal(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False


def _report_sink(kind: ReportFormat):  # type: ignore[no-untyped-def]
    if kind is ReportFormat.html:
        from smtpcode.render.report_html import HtmlReport

        return HtmlReport(sys.stdout)
    from smtpcode.render.report_md import MarkdownReport

    return MarkdownReport(sys.stdout)


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
        die(_("--scheduler reads files, globs or URLs, not standard input"), EXIT_USAGE)
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
        error(_("broken catalogue: {error}").format(error=exc))
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
        error(_("cannot write the output: {error}").format(error=_(exc.strerror or str(exc))))
        _quiet_stdout()
        sys.exit(EXIT_INPUT)
