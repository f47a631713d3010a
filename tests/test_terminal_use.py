"""The commands as people type them at a terminal: the default command, --color before
the command, unquoted and pasted replies, --brief, hyperlinks, search saying why, and
parse talking to a person when it waits or finds nothing."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from smtpcode.cli import group_queries, reorder

ROOT = Path(__file__).parent.parent
COMMANDS = {"explain", "compare", "list", "search", "parse"}
ANSI = re.compile(r"\x1b\[[0-9;]*m|\x1b\]8;[^\x1b]*\x1b\\")


def test_a_code_first_means_explain(run) -> None:
    assert run("550") == run("explain", "550")
    code, out, _ = run("5.7.26", "--json")
    assert code == 0 and '"enhanced": {"code": "5.7.26"' in out
    assert reorder(["list", "5xx"], COMMANDS) == ["list", "5xx"]
    assert reorder(["--help"], COMMANDS) == ["--help"]
    # a mistyped command is not taken for a code
    assert reorder(["lsit", "5xx"], COMMANDS) == ["lsit", "5xx"]
    code, _, err = run("serach", "mailbox")
    assert code == 2 and "no such command" in err.lower()


def test_color_before_the_command(run) -> None:
    assert reorder(["--color", "never", "explain", "550"], COMMANDS) == [
        "explain",
        "--color",
        "never",
        "550",
    ]
    assert reorder(["--color=always", "550"], COMMANDS) == ["explain", "--color=always", "550"]
    code, out, _ = run("--color", "always", "explain", "550")
    assert code == 0 and "\x1b[" in out and "╭" in out
    assert run("--color", "never", "list", "55x") == run("list", "--color", "never", "55x")


def test_unquoted_reply_is_one_query() -> None:
    assert group_queries(["550", "5.1.1", "User", "unknown"]) == ["550 5.1.1 User unknown"]
    assert group_queries(["5.1.1", "no", "such", "user"]) == ["5.1.1 no such user"]
    # codes alone stay separate queries, and so does a mix that is no one reply
    assert group_queries(["550", "5.1.1", "421 4.7.0"]) == ["550", "5.1.1", "421 4.7.0"]
    assert group_queries(["550", "299", "abc"]) == ["550", "299", "abc"]


def test_unquoted_reply_is_diagnosed(run) -> None:
    code, out, err = run("explain", "550", "5.1.1", "User", "unknown")
    assert code == 0 and err == ""
    assert out.splitlines()[0] == (
        "Diagnosis: The receiving server rejected the recipient: the address does not exist. "
        "Hard bounce: remove it from your list."
    )
    assert "Reply: 550 5.1.1 User unknown" in out.splitlines()


def test_pasted_log_line_and_exception(run) -> None:
    line = (
        "Nov 29 00:38:05 mx postfix/smtp[7840]: C6063160045: to=<bob@remote.test>, "
        "relay=mx.remote.test[127.0.0.1]:2525, delay=0.05, delays=0.03/0.01/0.01/0, "
        "dsn=5.1.1, status=bounced (host mx.remote.test[127.0.0.1] said: 550 5.1.1 no such "
        "user (in reply to RCPT TO command))"
    )
    code, out, err = run("explain", "--json", line)
    assert code == 0 and err == ""
    assert '"recipient": "bob@remote.test"' in out and '"reason": "user-unknown"' in out
    # unquoted, as a shell splits it: the same
    assert run("explain", "--json", *line.split()) == (code, out, err)
    exception = (
        'smtplib.SMTPRecipientsRefused: {"bob@example.com": (550, b"5.1.1 <bob@example.com>: '
        'Recipient address rejected: User unknown")}'
    )
    code, out, _ = run("explain", exception)
    assert code == 0
    assert "Reply: 550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown" in out
    code, _, err = run("explain", "no reply in here")
    assert code == 2 and "is not an SMTP code" in err


def test_brief(run) -> None:
    code, out, _ = run("explain", "--brief", "5.7.26", "421")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(
        "5.7.26  Multiple authentication checks failed (permanent). More than one message "
        "authentication check failed"
    )
    fix = " Fix: Sender's admin: find the sending source in the DMARC aggregate reports"
    assert fix in lines[0]
    assert lines[1] == ""
    assert lines[2].startswith("421  Service not available, closing transmission channel")
    assert len(lines) == 3


def test_rfc_references_and_help_pages_are_hyperlinks(run) -> None:
    code, out, _ = run("explain", "--color", "always", "5.7.26")
    assert code == 0
    links = re.findall(r"\x1b\]8;[^;]*;([^\x1b]+)\x1b\\([^\x1b]*)", out)
    assert ("https://www.rfc-editor.org/rfc/rfc7489#section-3.1", "RFC 7489 §3.1") in links
    yahoo = "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred"
    _, out, _ = run("explain", "--color", "always", yahoo)
    targets = dict(
        (url, shown) for url, shown in re.findall(r"\x1b\]8;[^;]*;([^\x1b]+)\x1b\\([^\x1b]*)", out)
    )
    assert targets.get("https://senders.yahooinc.com/") == "https://senders.yahooinc.com/"


def test_compare_at_80_and_140_columns(run) -> None:
    for columns, table in (("80", False), ("140", True)):
        code, out, _ = run(
            "compare", "--color", "always", "4.2.2", "5.2.2", env={"COLUMNS": columns}
        )
        plain = [ANSI.sub("", line) for line in out.splitlines()]
        assert code == 0 and max(map(len, plain)) <= int(columns)
        assert ("┃" in out) is table
        assert sum(line.strip() == "When you see it" for line in plain) == (0 if table else 1)
        assert not any("When you see which" in line for line in plain)
    # bullets hang: a wrapped line starts under the text, not under the bullet
    _, out, _ = run("compare", "--color", "always", "4.2.2", "5.2.2", env={"COLUMNS": "80"})
    plain = [ANSI.sub("", line) for line in out.splitlines()]
    at = next(i for i, line in enumerate(plain) if "• Client software:" in line)
    indent = plain[at].index("Client")
    assert plain[at + 1][:indent].strip() == "" and plain[at + 1][indent] != " "


def test_list_has_the_same_columns_in_table_and_plain(run) -> None:
    _, plain, _ = run("list", "45x")
    _, table, _ = run("list", "--color", "always", "45x")
    rows = [ANSI.sub("", line).split(None, 3) for line in table.splitlines()[1:]]
    assert [line.split(None, 3) for line in plain.splitlines()] == [
        [cell.strip() for cell in row] for row in rows
    ]


def test_search_says_why_it_matched(run) -> None:
    code, out, _ = run("search", "greylisting")
    assert code == 0
    # (A provider's "Greylisted" token also matches, and is listed too.)
    rows = [" ".join(line.split()) for line in out.splitlines()]
    assert "450 transient standard Mailbox unavailable (temporary) [when you see it, fix]" in rows
    _, out, _ = run("search", "--json", "mailbox", "full")
    assert (
        '"matched": ["title", "meaning", "when you see it", "fix", "reply phrasings"]'
        in (out.splitlines()[0])
    )


# -- parse at a terminal -----------------------------------------------------------------


def _in_terminal(*args: str, stdin: bytes | None = None) -> tuple[int, str]:
    """Runs smtpcode with stdout and stderr on a pseudo-terminal (and stdin too when
    `stdin` is None, closed at once with Ctrl-D)."""
    leader, follower = pty.openpty()
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="80", TERM="xterm")
    proc = subprocess.Popen(
        [sys.executable, "-m", "smtpcode", "parse", *args],
        stdin=follower if stdin is None else subprocess.PIPE,
        stdout=follower,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    if stdin is None:
        os.write(leader, b"\x04")
    else:
        assert proc.stdin is not None
        proc.stdin.write(stdin)
        proc.stdin.close()
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    code = proc.wait(timeout=30)
    os.close(leader)
    return code, ANSI.sub("", seen.decode("utf-8", "replace"))


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals")
def test_parse_at_a_terminal_says_it_waits_and_finds_nothing() -> None:
    code, seen = _in_terminal()
    assert code == 1
    assert "smtpcode: reading standard input: paste a log, transcript or bounce, then Ctrl-D" in (
        seen
    )
    assert "smtpcode: no SMTP reply found in -" in seen


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals")
def test_parse_at_a_terminal_with_filters_finding_nothing() -> None:
    log = str(ROOT / "tests" / "data" / "mta" / "logs" / "exim-mainlog")
    code, seen = _in_terminal("--provider", "nobody", log, stdin=b"")
    assert code == 1
    assert f"smtpcode: no SMTP reply that passes the filters found in {log}" in seen
    assert "reading standard input" not in seen
