"""Write docs/cli.md, the command-line reference, from the CLI itself.

    python -m smtpcode.docgen           # rewrite docs/cli.md
    python -m smtpcode.docgen --check   # exit 1 if docs/cli.md is stale

Every command's --help, as plain text at 80 columns, so the reference can never say
something the program does not; tests/test_docs.py fails when the file is stale.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

WIDTH = 80
DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"

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


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    # The reference is English whatever the locale of whoever regenerates it (the help
    # texts are fixed when smtpcode.cli is first imported, in the language chosen then).
    before = os.environ.get("SMTPCODE_LANG")
    os.environ["SMTPCODE_LANG"] = "en"
    try:
        text = render()
    finally:
        if before is None:
            del os.environ["SMTPCODE_LANG"]
        else:
            os.environ["SMTPCODE_LANG"] = before
    if "--check" in args:
        current = DOC.read_text(encoding="utf-8") if DOC.is_file() else ""
        if current != text:
            sys.stderr.write(f"{DOC} is stale: run python -m smtpcode.docgen\n")
            return 1
        return 0
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {DOC}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
