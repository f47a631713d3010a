"""What users expect of any CLI: --version, --help with examples, --color and --json on
every command, NO_COLOR / FORCE_COLOR, terminal width, shell completion, "did you mean"."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import typer.core
import typer.main
from typer.testing import CliRunner

from smtpcode.__about__ import __version__
from smtpcode.cli import app, complete_code

DATA_DIR = Path(__file__).parent / "data"

# Colours, and the terminal hyperlinks (OSC 8) of RFC references and web addresses.
ANSI = re.compile(r"\x1b\[[0-9;]*m|\x1b\]8;[^\x1b]*\x1b\\")


def commands() -> dict[str, typer.core.TyperCommand]:
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    return {name: cmd for name, cmd in group.commands.items() if not cmd.hidden}  # type: ignore[misc]


COMMANDS = sorted(commands())


def test_version(run) -> None:
    code, out, _ = run("--version")
    assert (code, out) == (0, f"smtpcode {__version__}\n")


def test_no_arguments_shows_help(run) -> None:
    code, out, err = run()
    assert code == 2
    assert "Usage:" in out + err and "Commands:" in out + err


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_takes_color_and_json(name: str) -> None:
    options = {opt for p in commands()[name].params for opt in p.opts}
    assert {"--color", "--json"} <= options


@pytest.mark.parametrize("name", ["", *COMMANDS])
def test_every_help_has_examples(run, name: str) -> None:
    code, out, _ = run(*([name] if name else []), "--help")
    assert code == 0
    assert "Examples:" in out
    examples = examples_in(out)
    assert examples and all(e.startswith("smtpcode ") for e in examples)


def examples_in(help_text: str) -> list[str]:
    block = help_text.split("Examples:", 1)[1]
    return [line.strip() for line in block.splitlines() if line.strip().startswith("smtpcode ")]


# The examples of the catalogue commands run as shown and succeed (the others read files).
RUNNABLE = [
    e
    for name in ("", "explain", "compare", "list", "search")
    for e in examples_in(CliRunner().invoke(app, [*([name] if name else []), "--help"]).stdout)
    if e.split()[1] in ("explain", "compare", "list", "search") and "|" not in e
]


@pytest.mark.parametrize("example", RUNNABLE)
def test_examples_work(run, example: str) -> None:
    code, out, err = run(*shlex.split(example)[1:])
    assert code == 0, err
    assert out


@pytest.mark.parametrize(
    "args",
    [("explain", "550"), ("compare", "450", "550"), ("list", "45x"), ("search", "quota")],
)
def test_color_choices(run, args: tuple[str, ...]) -> None:
    _, never, _ = run(*args, "--color", "never")
    _, always, _ = run(*args, "--color", "always")
    assert "\x1b[" not in never
    assert "\x1b[" in always
    # NO_COLOR keeps the terminal layout but drops the colour; FORCE_COLOR forces Rich
    # output into a pipe; an explicit --color never wins over FORCE_COLOR.
    _, forced, _ = run(*args, env={"FORCE_COLOR": "1", "TERM": "xterm-256color"})
    assert "\x1b[" in forced
    _, no_color, _ = run(*args, env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\x1b[3" not in no_color and ANSI.sub("", no_color) != never
    _, explicit, _ = run(*args, "--color", "never", env={"FORCE_COLOR": "1"})
    assert explicit == never


def test_rich_output_follows_terminal_width(run) -> None:
    widths = {}
    for columns in ("60", "140"):
        _, out, _ = run("compare", "--color", "always", "214", "550", env={"COLUMNS": columns})
        widths[columns] = max(len(ANSI.sub("", line)) for line in out.splitlines())
    assert widths["60"] <= 60
    assert 60 < widths["140"] <= 140


def test_plain_output_is_not_hard_wrapped(run) -> None:
    from smtpcode.catalogue import get_catalogue

    entry = get_catalogue().basic("550")
    assert entry is not None and len(entry.description) > 100
    _, out, _ = run("compare", "214", "550", env={"COLUMNS": "60"})
    assert f"  550: {entry.description}" in out.splitlines()


def test_code_completion() -> None:
    assert complete_code("5.1.1") == ["5.1.1", "5.1.10"]
    assert "550" in complete_code("55") and "450" not in complete_code("55")


def complete(words: str) -> list[str]:
    runner = CliRunner()
    env = {
        "_SMTPCODE_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
    }
    result = runner.invoke(app, [], env=env, prog_name="smtpcode")
    assert result.exit_code == 0
    return result.stdout.split()


def test_shell_completes_commands_and_codes() -> None:
    assert complete("smtpcode comp") == ["compare"]
    assert set(COMMANDS) <= set(complete("smtpcode "))
    assert complete("smtpcode compare 5.1.1") == ["5.1.1", "5.1.10"]
    assert complete("smtpcode explain 4.7.2") == complete_code("4.7.2")
    assert "4.7.26" in complete_code("4.7.2")
    assert complete("smtpcode list --status f") == ["folklore"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "powershell"])
def test_show_completion(monkeypatch: pytest.MonkeyPatch, shell: str) -> None:
    # Typer detects the running shell; tests name it instead.
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    result = CliRunner().invoke(app, ["--show-completion", shell], prog_name="smtpcode")
    assert result.exit_code == 0
    assert "_SMTPCODE_COMPLETE" in result.stdout


@pytest.mark.parametrize(
    ("args", "code", "hint"),
    [
        (("explain", "5.1.11"), 1, "5.1.10, 5.1.1"),
        (("compare", "5.1.11", "550"), 1, "5.1.10, 5.1.1"),
        (("explain", "55"), 2, "550, 551, 552"),
        (("compare", "550", "4.2.22"), 1, "4.2.2"),
    ],
)
def test_did_you_mean(run, args: tuple[str, ...], code: int, hint: str) -> None:
    got, _, err = run(*args)
    assert got == code
    assert f"did you mean {hint}?" in err or f"nearest defined: {hint}" in err


@pytest.mark.parametrize(
    ("typed", "nearest"),
    [
        ("5.1.11", ["5.1.10", "5.1.1"]),  # within the typed subject, one keystroke away
        ("4.2.22", ["4.2.2"]),  # the class digit is kept
        ("#5.1.11", ["5.1.10", "5.1.1"]),
        ("559", ["556", "555", "554"]),  # same prefix, numerically closest first
        ("abc", []),  # too far from anything to guess
        ("", []),
    ],
)
def test_suggest(typed: str, nearest: list[str]) -> None:
    from smtpcode.catalogue import get_catalogue

    assert get_catalogue().suggest(typed) == nearest


# -- where the output goes ------------------------------------------------------------------

COMMANDS_WITH_OUTPUT = [
    ("list",),
    ("explain", "550", "5.7.26"),
    ("compare", "450", "550"),
    ("search", "mailbox"),
    ("parse", "--json", str(DATA_DIR / "parse" / "exchange-ndr.txt")),
]


def _smtpcode(*args: str, stdout: int | None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "smtpcode", *args], stdout=stdout, stderr=subprocess.PIPE
    )


@pytest.mark.parametrize("args", COMMANDS_WITH_OUTPUT, ids=lambda a: a[0])
def test_reader_going_away_ends_quietly(args: tuple[str, ...]) -> None:
    # The reading end is closed before the command writes: its first write fails (EPIPE).
    proc = _smtpcode(*args, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert err == b""


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", COMMANDS_WITH_OUTPUT, ids=lambda a: a[0])
def test_unwritable_output_is_one_line_and_exit_3(args: tuple[str, ...]) -> None:
    with open("/dev/full", "wb") as full:
        proc = _smtpcode(*args, stdout=full.fileno())
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 3
    assert err.decode().splitlines() == [
        "smtpcode: cannot write the output: No space left on device"
    ]
