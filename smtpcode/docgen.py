"""Write docs/cli.md, the command-line reference, and docs/smtpcode.1, the man page
smtpcode(1), from the CLI itself.

    python -m smtpcode.docgen           # rewrite docs/cli.md and docs/smtpcode.1
    python -m smtpcode.docgen --check   # exit 1 if either is stale

Every command's --help, as plain text at 80 columns, so neither can say something the
program does not; tests/test_docs.py fails when one is stale. The wheel installs the man
page as share/man/man1/smtpcode.1 (pyproject.toml), where `man` finds it for a venv or
pipx install.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

WIDTH = 80
DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
MAN = DOC.parent / "smtpcode.1"

HEADER = """\
# smtpcode command-line reference

Generated from the program's own `--help` by `python -m smtpcode.docgen`; do not edit by
hand. `python -m smtpcode.docgen --check` (and the test suite) fails when it is stale.

The reference is in English. Every command takes `--lang de` (or `--lang en`), also before
the command (`smtpcode --lang de explain 550`); without it `SMTPCODE_LANG`, else the locale
(`LC_ALL`, `LC_MESSAGES`, `LANG`: `de_*` is German) chooses, and `smtpcode --lang de --help`
shows these texts in German.
"""


def _help_texts() -> list[tuple[str, str]]:
    """(command line, help text) for the program and each of its visible commands."""
    import typer.core
    import typer.main

    from smtpcode.cli import app

    group = typer.main.get_command(app)
    if not isinstance(group, typer.core.TyperGroup):  # pragma: no cover - app has commands
        raise TypeError("the smtpcode app is not a command group")
    out: list[tuple[str, str]] = []
    # resilient_parsing: build the contexts without demanding the required arguments.
    with group.make_context(
        "smtpcode", [], resilient_parsing=True, terminal_width=WIDTH, max_content_width=WIDTH
    ) as ctx:
        out.append(("smtpcode", group.get_help(ctx)))
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            with command.make_context(name, [], parent=ctx, resilient_parsing=True) as sub:
                out.append((f"smtpcode {name}", command.get_help(sub)))
    return out


def render() -> str:
    parts = [HEADER.rstrip()]
    texts = _help_texts()
    parts.append("\n".join(f"- [`{line}`](#{line.replace(' ', '-')})" for line, _ in texts))
    for line, text in texts:
        body = "\n".join(row.rstrip() for row in text.splitlines())
        parts.append(f"## {line}\n\n```text\n{body}\n```")
    return "\n\n".join(parts) + "\n"


def _roff(text: str) -> str:
    """Text shown as it is by roff: backslashes escaped, no line taken for a request."""
    out = []
    for line in text.replace("\\", "\\e").splitlines():
        out.append("\\&" + line if line.startswith((".", "'")) else line)
    return "\n".join(out)


def render_man() -> str:
    """The man page smtpcode(1): the same help texts as docs/cli.md, in roff."""
    from smtpcode.__about__ import __version__

    texts = _help_texts()
    program = texts[0][1]
    summary = next((line.strip() for line in program.splitlines()[1:] if line.strip()), "smtpcode")
    parts = [
        f'.TH SMTPCODE 1 "" "smtpcode {__version__}" "User Commands"',
        ".SH NAME",
        f"smtpcode \\- {_roff(summary[0].lower() + summary[1:].rstrip('.'))}",
        ".SH SYNOPSIS",
        ".B smtpcode",
        "[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]...",
        ".br",
        ".B smtpcode",
        "\\fICODE\\fR... (the same as \\fBsmtpcode explain\\fR \\fICODE\\fR...)",
        ".SH DESCRIPTION",
        ".nf",
        _roff(program.rstrip()),
        ".fi",
        ".SH COMMANDS",
    ]
    for line, text in texts[1:]:
        parts += [f".SS {line}", ".nf", _roff(text.rstrip()), ".fi"]
    parts += [
        ".SH SEE ALSO",
        "The README of smtpcode, and docs/cli.md, the same reference in Markdown.",
    ]
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    # The reference is English whatever the locale of whoever regenerates it (the help
    # texts are fixed when smtpcode.cli is first imported, in the language chosen then).
    before = os.environ.get("SMTPCODE_LANG")
    os.environ["SMTPCODE_LANG"] = "en"
    try:
        outputs = ((DOC, render()), (MAN, render_man()))
    finally:
        if before is None:
            del os.environ["SMTPCODE_LANG"]
        else:
            os.environ["SMTPCODE_LANG"] = before
    if "--check" in args:
        stale = False
        for path, text in outputs:
            current = path.read_text(encoding="utf-8") if path.is_file() else ""
            if current != text:
                sys.stderr.write(f"{path} is stale: run python -m smtpcode.docgen\n")
                stale = True
        return 1 if stale else 0
    for path, text in outputs:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
