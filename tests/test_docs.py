"""docs/cli.md is generated from the CLI itself and must not go stale."""

from __future__ import annotations

import typer.main

from smtpcode import docgen
from smtpcode.cli import app


def test_cli_reference_is_current() -> None:
    assert docgen.DOC.read_text(encoding="utf-8") == docgen.render(), (
        "docs/cli.md is stale: run python -m smtpcode.docgen"
    )


def test_cli_reference_covers_every_command() -> None:
    text = docgen.render()
    group = typer.main.get_command(app)
    names = [name for name, cmd in group.commands.items() if not cmd.hidden]  # type: ignore[attr-defined]
    assert names
    for name in names:
        assert f"\n## smtpcode {name}\n" in text
        assert f"Usage: smtpcode {name} " in text
    assert "```text\nUsage: smtpcode [OPTIONS] COMMAND [ARGS]..." in text


def test_check_mode(tmp_path, monkeypatch) -> None:
    stale = tmp_path / "cli.md"
    stale.write_text("old\n", encoding="utf-8")
    monkeypatch.setattr(docgen, "DOC", stale)
    assert docgen.main(["--check"]) == 1
    assert docgen.main([]) == 0
    assert docgen.main(["--check"]) == 0
    assert stale.read_text(encoding="utf-8") == docgen.render()


def test_man_page_is_current() -> None:
    assert docgen.MAN.read_text(encoding="utf-8") == docgen.render_man(), (
        "docs/smtpcode.1 is stale: run python -m smtpcode.docgen"
    )


def test_man_page_is_roff_with_every_command() -> None:
    page = docgen.render_man()
    assert page.startswith('.TH SMTPCODE 1 "" "smtpcode ')
    assert ".SH NAME\nsmtpcode \\- explain SMTP reply codes" in page
    group = typer.main.get_command(app)
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        if not cmd.hidden:
            assert f"\n.SS smtpcode {name}\n.nf\nUsage: smtpcode {name} " in page
    # no help line may be read as a roff request, and backslashes are escaped
    body = [
        line
        for line in page.splitlines()
        if not line.startswith((".TH", ".S", ".n", ".f", ".B", ".br"))
    ]
    assert not any(line.startswith((".", "'")) for line in body)
    assert docgen._roff("a\\b\n.x\n'y") == "a\\eb\n\\&.x\n\\&'y"
