"""`smtpcode parse`: rows as found, JSON lines, the summary, exit codes, and untrusted
text kept away from the terminal."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).parent / "data"
LOG = str(DATA / "mta" / "logs" / "postfix.log")
TRANSCRIPT = str(DATA / "mta" / "transcripts" / "aiosmtpd_dmarc_reject.txt")
FINDING_KEYS = {
    "input", "line", "time", "text", "basic", "enhanced", "class", "reason", "provider",
    "reporter", "remote_host", "remote_mta", "direction", "retry", "lang", "truncated",
    "recipient", "command", "hard_bounce", "meaning", "summary", "advice", "warnings",
    "undefined",
}  # fmt: skip


def test_plain_rows(run) -> None:
    code, out, err = run("parse", TRANSCRIPT)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == 7
    fields = lines[5].split("\t")
    # what, code, enhanced, class, reason, provider, recipient, where, time
    assert len(fields) == 9
    # Gmail's wording from a host that is not Google's (swaks shows 127.0.0.1): not Gmail.
    assert fields[0] == (
        "The receiving server rejected the message: SPF, DKIM or DMARC authentication failed."
    )
    assert fields[1:] == [
        "550",
        "5.7.26",
        "permanent",
        "sender-auth",
        "-",
        "dmarc@remote.test",
        f"{TRANSCRIPT}:27",
        "-",
    ]
    greeting = lines[0].split("\t")
    assert greeting[0] == "The receiving server accepted it."
    assert greeting[1:5] == ["220", "-", "success", "success"]


def test_json_lines(run) -> None:
    code, out, err = run("parse", "--json", TRANSCRIPT)
    assert code == 0 and err == ""
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 7
    assert all(set(row) == FINDING_KEYS for row in rows)
    reject = rows[5]
    assert (reject["input"], reject["line"], reject["basic"], reject["enhanced"]) == (
        TRANSCRIPT,
        27,
        "550",
        "5.7.26",
    )
    assert (reject["recipient"], reject["command"]) == ("dmarc@remote.test", "DATA")
    assert reject["text"].count("\n") == 2
    assert reject["meaning"]["enhanced"]["code"] == "5.7.26"


def test_stdin_and_dash(run) -> None:
    data = "NOQUEUE: x\n550 5.1.1 <a@example.com>: User unknown\n"
    for args in (("parse", "--json"), ("parse", "--json", "-")):
        code, out, _ = run(*args, input=data)
        rows = [json.loads(line) for line in out.splitlines()]
        assert code == 0
        assert [(r["input"], r["line"], r["basic"]) for r in rows] == [("<stdin>", 2, "550")]


def test_nothing_found_exits_1(run) -> None:
    code, out, err = run("parse", input="we sent 250 emails to 550 people\n")
    assert (code, out, err) == (1, "", "")


def test_unreadable_input_exits_3_and_the_others_are_read(run, tmp_path) -> None:
    missing = str(tmp_path / "missing.log")
    code, out, err = run("parse", "--json", missing, TRANSCRIPT)
    assert code == 3
    assert "cannot read" in err and "missing.log" in err
    assert len(out.splitlines()) == 7
    code, out, err = run("parse", str(tmp_path))  # a directory
    assert code == 3 and out == ""


def test_summary(run) -> None:
    code, out, err = run("parse", "--summary", LOG)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("216 replies, 146 failures (67.6 %), ")
    assert lines[2].split() == ["code", "count", "share", "title"]
    # 11 replies "550 5.1.1" and 2 bare "5.1.1" (a dsn= without the remote reply): one row
    assert "550 5.1.1      13   6.0 %  Bad destination mailbox address" in lines
    code, out, _ = run("parse", "--summary", "--json", LOG)
    summary = json.loads(out)
    assert summary["findings"] == 216 and summary["inputs"] == 1
    assert summary["by_class"][0] == {"class": "permanent", "count": 110, "share": 0.5093}
    assert sum(item["count"] for item in summary["by_reason"]) == 216


def test_format_option(run) -> None:
    code, _, _ = run("parse", "--format", "exim", LOG)
    assert code == 1
    code, out, _ = run("parse", "--format", "postfix", "--json", LOG)
    assert code == 0 and len(out.splitlines()) == 216
    code, _, err = run("parse", "--format", "nonsense", LOG)
    assert code == 2 and "nonsense" in err


def test_rich_rows_keep_brackets_and_escape_controls(run) -> None:
    data = "550 5.7.1 [x.xx.xx.xx 14] blocked, see [/path] \x1b[31mred\x1b[0m\n"
    code, out, err = run("parse", "--color", "always", input=data)
    assert code == 0 and err == ""
    header = re.sub(r"\x1b\[[0-9;]*m", "", out.splitlines()[0])
    assert header.split() == ["What", "happened", "Code", "Recipient", "Line"]
    assert "\x1b[31mred" not in out
    code, out, _ = run("parse", "--json", input=data)
    row = json.loads(out)
    assert row["text"] == data.strip()  # JSON carries the text exactly, escaped as JSON
    code, out, _ = run("parse", input=data)
    assert "\x1b" not in out


def test_rich_row_shows_the_reply_text_intact(run) -> None:
    code, out, _ = run("parse", "--color", "always", TRANSCRIPT)
    assert code == 0
    assert "dmarc@remote.test" in out
    assert "550" in out and "5.7.26" in out


def test_head_ends_quietly(tmp_path) -> None:
    log = tmp_path / "big.log"
    line = Path(LOG).read_text(encoding="utf-8")
    log.write_text(line * 50, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "smtpcode", "parse", "--json", str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    proc.wait()
    assert json.loads(first)["line"] == 6
    assert proc.returncode == 0
    assert err == b""


def test_rows_from_a_pipe_come_as_the_replies_do() -> None:
    # tail -f | smtpcode parse --json: a row is written before the input ends.
    import select

    proc = subprocess.Popen(
        [sys.executable, "-m", "smtpcode", "parse", "--json", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(b"550 5.1.1 <a@example.com>: Recipient address rejected: User unknown\n")
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "no row before the input ended"
        row = json.loads(proc.stdout.readline())
        assert (row["basic"], row["reason"]) == ("550", "user-unknown")
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
