"""The README's examples are real: every `$ smtpcode ...` line in a console block is run and
the output lines it shows (not the elided ones) must appear in what the command prints."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _examples() -> list[tuple[str, list[str]]]:
    examples: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", README, flags=re.DOTALL):
        command: str | None = None
        shown: list[str] = []
        for line in block.splitlines():
            if line.startswith("$ "):
                if command is not None:
                    examples.append((command, shown))
                command, shown = line[2:], []
            elif line.strip() != "...":
                shown.append(line)
        if command is not None:
            examples.append((command, shown))
    return [(c, s) for c, s in examples if c.startswith("smtpcode ")]


EXAMPLES = _examples()


def test_the_readme_has_examples_of_every_command() -> None:
    used = {shlex.split(c)[1] for c, _ in EXAMPLES}
    assert {"explain", "compare", "list", "search", "parse"} <= used


@pytest.mark.parametrize(("command", "shown"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_example(run, monkeypatch: pytest.MonkeyPatch, command: str, shown: list[str]):
    monkeypatch.chdir(ROOT)
    head = None
    if "|" in command:
        command, _, pipe = command.partition("|")
        match = re.fullmatch(r"\s*head -(\d+)\s*", pipe)
        assert match, f"unsupported pipe in README example: {pipe}"
        head = int(match.group(1))
    _, out, err = run(*shlex.split(command)[1:])
    lines = (out + err).splitlines()
    if head is not None:
        lines = out.splitlines()[:head] + err.splitlines()
    for line in shown:
        assert line in lines, f"README shows a line the command does not print: {line!r}"
