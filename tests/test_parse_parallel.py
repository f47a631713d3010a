"""`parse --jobs`: a big log parsed by several processes gives what one process gives.

The chunks are made small so that a few hundred kB of log are cut into many; the logs
mix in what must stop the workers (lines of other families, a mailbox, another column,
CRLF line ends) at various places.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import generate_log

from smtpcode import parallel
from smtpcode.api import parse
from smtpcode.pipeline import ParseOptions, RunReport
from smtpcode.records import Finding
from smtpcode.rows import FindingEncoder, plain_row
from smtpcode.tally import Tally

CHUNK = 16 << 10

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="workers are forked")

# Lines that are not the line-local Postfix lines the workers may read.
STRAYS = [
    b"Nov 29 00:00:01 relay1 dovecot: imap-login: Login: user=<a@example.org>",
    b"550 5.1.1 <x@example.com>: Recipient address rejected: User unknown",
    b"250-first line",
    b"250 last line",
    b"Remote host said: 550 5.1.1 no such user",
    b"Traceback: smtplib.SMTPRecipientsRefused: {'a@b.example': (550, b'5.1.1 unknown')}",
    b"   " + b"Nov 29 00:00:01 relay1 postfix/smtp[1]: 0ABC: to=<a@c.example>, relay=x[1.2.3.4]:25"
    b", delay=1, delays=1/1/1/1, dsn=5.1.1, status=bounced (550 5.1.1 user unknown)",
    b"",
]


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("parallel") / "postfix.log"
    generate_log(path, 3000)
    return path


def _with(log: Path, tmp_path: Path, where: list[float], extra: list[bytes], crlf: bool) -> Path:
    lines = log.read_bytes().split(b"\n")
    for fraction, line in zip(where, extra, strict=True):
        lines.insert(int(len(lines) * fraction), line)
    data = b"\n".join(lines)
    out = tmp_path / "mixed.log"
    out.write_bytes(data.replace(b"\n", b"\r\n") if crlf else data)
    return out


def _json_rows() -> Callable[[Finding], bytes]:
    return FindingEncoder().line


def _plain_rows() -> Callable[[Finding], bytes]:
    return lambda finding: (plain_row(finding) + "\n").encode("utf-8", "backslashreplace")


def _sequential(
    path: Path, rows: Callable[[], Callable[[Finding], bytes]], fmt: str = "auto"
) -> bytes:
    row = rows()
    return b"".join(row(f) for f in parse(path, input_name="in.log", fmt=fmt))


class _Collect:
    """A sink keeping the rows it is handed."""

    def __init__(self, kind: str) -> None:
        self.row_kind = kind
        self.rows: list[bytes] = []

    def parse_row(self, finding: Finding) -> None:
        raise AssertionError("rows are handed over ready")

    def write_rows(self, rows: list[bytes]) -> None:
        self.rows += rows

    def flush(self) -> None:
        pass


def _parallel(
    path: Path, kind: str | None, jobs: int = 2, fmt: str = "auto"
) -> tuple[bytes, RunReport]:
    sink = _Collect(kind) if kind is not None else None
    options = ParseOptions(fmt=fmt, summary=kind is None)
    report = parallel.parse_file(str(path), "in.log", options, kind, jobs, sink, chunk=CHUNK)
    return (b"".join(sink.rows) if sink is not None else b""), report


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_a_postfix_log_is_read_by_the_workers_alone(log: Path, tmp_path: Path, jobs: int) -> None:
    assert log.stat().st_size > 20 * CHUNK
    got, report = _parallel(log, "json", jobs)
    assert got == _sequential(log, _json_rows)
    assert report.findings == got.count(b"\n") > 0 and report.problems == []


def test_plain_rows_and_counts(log: Path, tmp_path: Path) -> None:
    got, _ = _parallel(log, "tsv")
    assert got == _sequential(log, _plain_rows)
    _, report = _parallel(log, None)
    expected = Tally()
    for finding in parse(log):
        expected.add(finding)
    assert (report.tally.findings, report.tally.by_reason) == (
        expected.findings,
        expected.by_reason,
    )


@pytest.mark.parametrize("seed", range(8))
def test_lines_of_other_families_stop_the_workers_there(
    log: Path, tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    extra = rng.sample(STRAYS, rng.randint(1, 3))
    where = sorted(rng.random() for _ in extra)
    mixed = _with(log, tmp_path, where, extra, crlf=seed % 2 == 1)
    got, _ = _parallel(mixed, "json")
    assert got == _sequential(mixed, _json_rows)
    # --format postfix: the other lines are nobody's, the workers read on.
    got, _ = _parallel(mixed, "json", fmt="postfix")
    assert got == _sequential(mixed, _json_rows, fmt="postfix")


@pytest.mark.parametrize("where", [0.0, 0.001, 0.5])
def test_a_mailbox_inside_a_log(log: Path, tmp_path: Path, where: float) -> None:
    bounce = (
        b"From MAILER-DAEMON Mon Nov 29 00:00:01 2026\n"
        b"From: MAILER-DAEMON@example.org\nSubject: failure notice\n\n"
        b"<a@example.com>:\nRemote host said: 550 5.1.1 unknown user\n"
    )
    mixed = _with(log, tmp_path, [where], [bounce], crlf=False)
    got, _ = _parallel(mixed, "json")
    assert got == _sequential(mixed, _json_rows)


def test_the_head_decides_who_reads(log: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(parallel, "MIN_SIZE", CHUNK)
    assert parallel.suitable(str(log), "auto")
    assert parallel.suitable(str(log), "postfix")
    assert not parallel.suitable(str(log), "exim")
    small = tmp_path / "small.log"
    small.write_bytes(log.read_bytes()[: CHUNK // 2])
    assert not parallel.suitable(str(small), "auto")
    email = tmp_path / "bounce.eml"
    email.write_bytes(b"From: MAILER-DAEMON@example.org\n" + log.read_bytes())
    assert not parallel.suitable(str(email), "auto")
    old_mac = tmp_path / "cr.log"
    old_mac.write_bytes(log.read_bytes().replace(b"\n", b"\r"))
    assert not parallel.suitable(str(old_mac), "auto")


def test_cli_jobs_give_the_same_output(log: Path, capfd, monkeypatch) -> None:
    from smtpcode.cli import main

    monkeypatch.setattr(parallel, "MIN_SIZE", CHUNK)
    monkeypatch.setattr(parallel, "CHUNK", CHUNK)
    outputs = []
    for jobs in ("1", "2"):
        for extra in (["--json"], [], ["--summary"], ["--json", "--summary"]):
            monkeypatch.setattr(sys, "argv", ["smtpcode", "parse", *extra, "-j", jobs, str(log)])
            with pytest.raises(SystemExit) as done:
                main()
            assert done.value.code == 0
            out, err = capfd.readouterr()
            assert err == ""
            outputs.append(out)
    assert outputs[:4] == outputs[4:]
    assert outputs[0].count("\n") > 500


def test_workers_write_in_the_chosen_language(log: Path) -> None:
    """The workers are forked after the language was chosen: their rows are German too."""
    from smtpcode import i18n

    i18n.set_language("de")
    got, _ = _parallel(log, "json", 2)
    assert got == _sequential(log, _json_rows)
    rows = [json.loads(line) for line in got.splitlines()]
    assert rows and all(row["lang"] == "de" for row in rows)
    titles = {row["meaning"]["enhanced"]["title"] for row in rows if row["meaning"]["enhanced"]}
    assert "Sonstiger oder nicht näher bestimmter Status" in titles
