"""`smtpcode explain`: every query form, every error path, plain, Rich and JSON output."""

from __future__ import annotations

import json

import pytest

from smtpcode import explain
from smtpcode.catalogue import get_catalogue

ALL_CODES = [e.code for e in get_catalogue().basic_entries()] + [
    f"{d}{e.code[1:]}" for e in get_catalogue().enhanced_entries() for d in ("4", "5")
]


def test_every_code_in_one_call(run) -> None:
    code, out, err = run("explain", "--json", *ALL_CODES)
    assert code == 0, err
    findings = [json.loads(line) for line in out.splitlines()]
    assert len(findings) == len(ALL_CODES)
    for query, f in zip(ALL_CODES, findings, strict=True):
        meaning = f["meaning"]["enhanced" if "." in query else "basic"]
        assert meaning["code"] == query
        for field in ("title", "description", "when"):
            assert meaning[field].strip(), (query, field)
        assert meaning["fix"], query


def test_basic_code_plain(run) -> None:
    code, out, err = run("explain", "550")
    assert code == 0 and err == ""
    first = out.splitlines()[0]
    assert first.startswith("550  ") and first.endswith("(standard)")
    assert "Meaning: " in out and "When you see it: " in out and "How to fix:" in out
    assert "RFC 5321 §4.2" in out
    assert "\x1b[" not in out


def test_enhanced_code(run) -> None:
    code, out, _ = run("explain", "--json", "5.7.26")
    assert code == 0
    f = json.loads(out)
    assert (f["basic"], f["enhanced"], f["class"]) == (None, "5.7.26", "permanent")
    assert f["meaning"]["basic"] is None
    assert f["meaning"]["enhanced"]["code"] == "5.7.26"
    assert "RFC 7372" in " ".join(f["meaning"]["enhanced"]["rfcs"])
    assert f["reason"] == "sender-auth"
    assert f["text"] is None


@pytest.mark.parametrize("query", ["550 5.1.1", "550-5.1.1"])
def test_pair(run, query: str) -> None:
    code, out, _ = run("explain", "--json", query)
    f = json.loads(out)
    assert code == 0
    assert (f["basic"], f["enhanced"], f["reason"], f["hard_bounce"]) == (
        "550",
        "5.1.1",
        "user-unknown",
        True,
    )
    assert f["meaning"]["basic"]["code"] == "550"
    assert f["meaning"]["enhanced"]["code"] == "5.1.1"
    assert f["warnings"] == []


def test_json_shape_matches_the_guide(run) -> None:
    _, out, _ = run("explain", "--json", "421 4.7.0")
    f = json.loads(out)
    for key in (
        "input", "line", "time", "text", "basic", "enhanced", "class", "reason", "provider",
    "reporter", "remote_host", "remote_mta", "direction", "retry", "lang", "truncated",
        "recipient", "command", "hard_bounce", "meaning", "advice", "warnings",
    ):  # fmt: skip
        assert key in f
    entry = f["meaning"]["basic"]
    for key in ("code", "title", "class", "description", "when", "fix", "status", "rfcs"):
        assert key in entry
    assert entry["class"] == "transient" and entry["status"] == "standard"
    assert f["hard_bounce"] is False


def test_whole_reply(run) -> None:
    reply = "550 5.1.1 <x@example.com>: Recipient address rejected: User unknown"
    code, out, _ = run("explain", "--json", reply)
    f = json.loads(out)
    assert code == 0
    assert f["text"] == reply
    assert (f["basic"], f["enhanced"], f["reason"]) == ("550", "5.1.1", "user-unknown")
    _, plain, _ = run("explain", reply)
    assert plain.startswith("Diagnosis: ")
    assert f"\nReply: {reply}\n" in plain


def test_disagreeing_pair_warns(run) -> None:
    code, out, _ = run("explain", "--json", "550 4.7.1")
    f = json.loads(out)
    assert code == 0
    assert f["class"] == "permanent"
    assert len(f["warnings"]) == 1
    assert "550 is permanent" in f["warnings"][0] and "4.7.1 is transient" in f["warnings"][0]
    _, plain, _ = run("explain", "550 4.7.1")
    assert "Warning: The basic code 550 is permanent" in plain


@pytest.mark.parametrize(
    ("query", "klass", "reading"),
    [
        ("299", "success", "2yz"),
        ("5.1.99", "permanent", "X.1.X"),
        ("4.9.0", "transient", "Subject 9 is not defined"),
    ],
)
def test_undefined_but_well_formed(run, query: str, klass: str, reading: str) -> None:
    code, out, err = run("explain", "--json", query)
    assert code == 1
    f = json.loads(out)
    assert f["class"] == klass
    meaning = f["meaning"]["enhanced" if "." in query else "basic"]
    assert meaning["status"] == "undefined"
    assert reading in meaning["description"]
    assert f["undefined"] == [query]
    assert err.count("\n") == 1 and "not defined" in err


def test_undefined_suggests_nearest(run) -> None:
    code, _, err = run("explain", "5.1.11")
    assert code == 1
    assert "5.1.1" in err and "5.1.10" in err


@pytest.mark.parametrize("query", ["abc", "5.1", "1234", "600", "", "3.1.1", "5.1.1234"])
def test_not_a_code(run, query: str) -> None:
    code, out, err = run("explain", query)
    assert code == 2
    assert out == ""
    assert err.startswith("smtpcode: ") and err.count("\n") == 1
    assert "Traceback" not in err


def test_did_you_mean_for_malformed(run) -> None:
    code, _, err = run("explain", "5500")
    assert code == 2
    assert "did you mean" in err and "550" in err


def test_mixed_queries_exit_with_the_worst(run) -> None:
    code, out, err = run("explain", "--json", "550", "299", "abc")
    assert code == 2
    assert len(out.splitlines()) == 2
    assert err.count("\n") == 2


MARKUP = [
    "550 5.7.1 Service unavailable; client [x.xx.xx.xx 14] blocked",
    "550 5.7.1 see [/path] and [bold]not bold[/bold]",
    "550 5.1.1 back\\slash [link=http://x]y[/link]",
]


@pytest.mark.parametrize("reply", MARKUP)
@pytest.mark.parametrize("color", ["never", "always"])
def test_markup_looking_input_is_shown_verbatim(run, reply: str, color: str) -> None:
    code, out, err = run("explain", "--color", color, reply)
    assert code == 0, err
    flat = " ".join(out.replace("│", " ").split())
    flat = flat.replace("\x1b[0m", "")
    for piece in ("[x.xx.xx.xx 14]", "[/path]", "[bold]not bold[/bold]", "back\\slash"):
        if piece in reply:
            assert piece in out or piece in flat


@pytest.mark.parametrize("color", ["never", "always"])
def test_control_characters_never_reach_the_terminal(run, color: str) -> None:
    reply = "550 5.7.1 evil \x1b[2J\x1b]0;title\x07 text\rover"
    code, out, _ = run("explain", "--color", color, reply)
    assert code == 0
    assert "\x1b[2J" not in out and "\x1b]0" not in out and "\x07" not in out
    assert "\r" not in out
    assert "\\x1b[2J" in out


def test_control_characters_survive_in_json(run) -> None:
    reply = "550 5.7.1 evil \x1b[2J"
    _, out, _ = run("explain", "--json", reply)
    assert json.loads(out)["text"] == reply
    assert "\x1b" not in out  # JSON escapes it


def test_rich_output_on_a_terminal(run) -> None:
    code, out, _ = run("explain", "--color", "always", "550")
    assert code == 0
    assert "\x1b[" in out
    assert "╭" in out or "┌" in out
    assert "Mailbox" in out or "mailbox" in out


def test_no_color_env_keeps_tables_without_colour(run) -> None:
    code, out, _ = run("explain", "550", env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert code == 0
    assert "╭" in out
    assert "\x1b[3" not in out


def test_library_api_matches_cli(run) -> None:
    f = explain("550 5.1.1")
    _, out, _ = run("explain", "--json", "550 5.1.1")
    assert f.to_dict() == json.loads(out)


def test_version(run) -> None:
    from smtpcode import __version__

    code, out, _ = run("--version")
    assert code == 0 and out == f"smtpcode {__version__}\n"


def test_python_dash_m() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "smtpcode", "explain", "421"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout.startswith("421  ")


def test_broken_catalogue_exits_3(tmp_path) -> None:
    import os
    import subprocess
    import sys

    bad = tmp_path / "codes.yaml"
    bad.write_text("meta: [unclosed\n")
    done = subprocess.run(
        [sys.executable, "-m", "smtpcode", "explain", "550"],
        capture_output=True,
        text=True,
        env={**os.environ, "SMTPCODE_CATALOGUE": str(bad)},
        check=False,
    )
    assert done.returncode == 3
    assert done.stderr.startswith("smtpcode: broken catalogue:")
    assert "Traceback" not in done.stderr
