"""The parse run as a whole: one bad document never stops it, compressed and binary
inputs, the report and the exit status, output that never fails on odd text."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import os
import subprocess
import sys
from pathlib import Path

import pytest

from smtpcode import pipeline
from smtpcode.extract import bounce, esp_json
from smtpcode.extract.postfix import Postfix

DATA = Path(__file__).parent / "data"
LOG = DATA / "mta" / "logs" / "postfix.log"
BOUNCE = DATA / "bounces" / "rfc3464-35.eml"
GOOD = "550 5.1.1 <x@example.com>: Recipient address rejected: User unknown\n"


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.txt"
    path.write_text(GOOD)
    return path


def _rows(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def _explode(*args: object, **kwargs: object) -> object:
    raise IndexError("list index out of range")


@pytest.mark.parametrize("as_json", [True, False])
def test_an_extractor_that_raises_on_an_email_stops_only_that_email(
    run, good: Path, monkeypatch: pytest.MonkeyPatch, as_json: bool
) -> None:
    monkeypatch.setattr(bounce, "extract", _explode)
    flags = ["--json"] if as_json else []
    code, out, err = run("parse", *flags, str(good), str(BOUNCE), str(good))
    assert code == 3
    assert err.count("\n") == 1
    assert err.startswith(f"smtpcode: cannot read {BOUNCE}:") and "IndexError" in err
    if as_json:
        assert [(r["input"], r["basic"], r["enhanced"]) for r in _rows(out)] == [
            (str(good), "550", "5.1.1"),
            (str(good), "550", "5.1.1"),
        ]
    else:
        assert [line.split("\t")[7] for line in out.splitlines()] == [f"{good}:1", f"{good}:1"]


def test_a_line_an_extractor_cannot_read_is_skipped(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Postfix._attempt

    def attempt(self: Postfix, text: str, lineno: int, session: object) -> object:
        if "BOOM" in text:
            raise ValueError("odd line")
        return real(self, text, lineno, session)  # type: ignore[arg-type]

    # The bulk reader and the line reader of the Postfix family both come here.
    monkeypatch.setattr(Postfix, "_attempt", attempt)
    lines = LOG.read_bytes().split(b"\n")
    bad = lines[65].replace(b"said: 550", b"said: BOOM 550")
    log = tmp_path / "mail.log"
    log.write_bytes(b"\n".join([*lines[:65], bad, *lines[65:]]))
    code, out, err = run("parse", "--json", "--jobs", "1", str(log))
    assert code == 3
    assert err.startswith(f"smtpcode: cannot read {log}:66: ValueError: odd line (in postfix.py:")
    assert err.count("\n") == 1
    # Every reply of the log is still found: the one of the bad line is the only loss.
    assert len(_rows(out)) == len(_rows(run("parse", "--json", str(LOG))[1]))


def test_a_json_document_that_cannot_be_read_is_recorded(
    run, tmp_path: Path, good: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(esp_json, "extract_document", _explode)
    doc = tmp_path / "event.json"
    doc.write_text('{\n "bounce": {"diagnosticCode": "smtp; 550 5.1.1 no such user"}\n}\n')
    code, out, err = run("parse", "--json", str(doc), str(good))
    assert code == 3 and err.startswith(f"smtpcode: cannot read {doc}:1: IndexError")
    assert [r["input"] for r in _rows(out)] == [str(good)]


def test_unreadable_inputs_are_one_line_each_and_the_rest_is_read(
    run, tmp_path: Path, good: Path
) -> None:
    missing = tmp_path / "missing.log"
    code, out, err = run("parse", str(missing), str(tmp_path), str(good))
    assert code == 3
    assert err.splitlines() == [
        f"smtpcode: cannot read {missing}: No such file or directory",
        f"smtpcode: cannot read {tmp_path}: Is a directory",
    ]
    assert out.count("\n") == 1


@pytest.mark.parametrize(
    ("suffix", "compress"),
    [(".gz", gzip.compress), (".bz2", bz2.compress), (".xz", lzma.compress)],
)
def test_compressed_logs_read_as_the_plain_one(run, tmp_path: Path, suffix, compress) -> None:
    plain = run("parse", "--json", str(LOG))[1].replace(str(LOG), "X")
    packed = tmp_path / f"mail.log.2{suffix}"
    packed.write_bytes(compress(LOG.read_bytes()))
    code, out, _ = run("parse", "--json", str(packed))
    assert code == 0 and out.replace(str(packed), "X") == plain
    # The same from standard input, recognised by the first bytes, not a name.
    code, out, _ = run("parse", "--json", input=packed.read_bytes())
    assert code == 0 and out.replace("<stdin>", "X") == plain


def test_a_cut_off_compressed_log_keeps_what_was_read(run, tmp_path: Path) -> None:
    packed = gzip.compress(LOG.read_bytes())
    cut = tmp_path / "mail.log.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    code, out, err = run("parse", "--json", str(cut))
    assert code == 3 and "EOFError" in err and err.count("\n") == 1
    assert 0 < out.count("\n") < 216


def test_binary_files_are_skipped_unless_asked(run, tmp_path: Path, good: Path) -> None:
    elf = tmp_path / "libfoo.so"
    elf.write_bytes(b"\x7fELF\x02\x01\x01" + b"\x00" * 64 + b"\n550 5.1.1 not a reply" * 3)
    code, out, err = run("parse", str(elf), str(good))
    assert code == 0 and out.count("\n") == 1
    assert err == f"smtpcode: {elf}: skipped: binary data (use --binary to read it anyway)\n"
    code, out, err = run("parse", "--binary", str(elf))
    assert code == 0 and out.count("\n") == 3 and err == ""


def test_utf16_text_is_read(run, tmp_path: Path) -> None:
    path = tmp_path / "ndr.txt"
    path.write_bytes(GOOD.encode("utf-16"))
    code, out, _ = run("parse", "--json", str(path))
    assert code == 0 and [r["enhanced"] for r in _rows(out)] == ["5.1.1"]


def test_usage_errors_are_one_line(run) -> None:
    code, out, err = run("parse", "--bogus")
    assert (code, out) == (2, "")
    assert err == (
        "smtpcode: no such option: --bogus (Possible options: --jobs) "
        "(see: smtpcode parse --help)\n"
    )
    code, _, err = run("parse", "--jobs", "100000", "-")
    assert code == 2 and err.count("\n") == 1 and "0<=x<=64" in err


def test_control_characters_are_escaped_in_json(run) -> None:
    code, out, _ = run("parse", "--json", input=b"550 5.1.1 bad \xc2\x9b31m \x1b[2J\x7f x\n")
    assert code == 0
    assert "\\u009b31m \\u001b[2J\\u007f x" in out
    assert "\x9b" not in out and "\x1b" not in out and "\x7f" not in out


def test_odd_names_and_text_in_a_strict_utf8_locale(tmp_path: Path) -> None:
    name = os.fsdecode(bytes(tmp_path) + b"/\xff\xfe.log")
    Path(name).write_bytes(b"550 5.1.1 caf\xe9 \xed\xa0\x80 user unknown\n")
    env = {**os.environ, "LANG": "en_US.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": ""}
    for args in (["--json"], [], ["--summary"]):
        done = subprocess.run(
            [sys.executable, "-m", "smtpcode", "parse", *args, name, name + "x"],
            capture_output=True,
            env=env,
        )
        assert done.returncode == 3, done.stderr
        assert b"Traceback" not in done.stderr and done.stderr.count(b"\n") == 1
        assert done.stdout


def test_the_report_counts_and_merges(good: Path, tmp_path: Path) -> None:
    report = pipeline.run(
        [str(good), str(tmp_path / "nope"), str(LOG)], pipeline.ParseOptions(summary=True), None
    )
    assert report.tally.inputs == 3 and report.findings == 217
    assert [p.input for p in report.problems] == [str(tmp_path / "nope")]
    other = pipeline.RunReport()
    other.merge(report)
    assert other.tally.by_reason == report.tally.by_reason and other.findings == 217
