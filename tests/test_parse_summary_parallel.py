"""The summary and the groups of a big log are the same whether one process or several
read it, with and without filters; and Ctrl-C prints the summary of what was read so
far, marked partial, with exit status 130."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import generate_log

from smtpcode import parallel, pipeline
from smtpcode.filters import make_filter

ROOT = Path(__file__).parent.parent
CHUNK = 16 << 10

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="workers are forked")


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("summary") / "postfix.log"
    generate_log(path, 3000)
    return path


CASES = [
    ("summary", None, {}),
    ("failures", None, {"failures": True}),
    ("domain", "domain", {}),
    ("recipient", "recipient", {"failures": True}),
    ("reason", "reason", {"domains": ["example.org"]}),
    ("provider", "provider", {}),
    ("code", "code", {"reasons": ["user-unknown", "mailbox-full"]}),
]


@pytest.mark.parametrize(("name", "by", "filters"), CASES, ids=[c[0] for c in CASES])
def test_workers_give_the_summary_and_groups_of_one_process(
    log: Path, name: str, by: str | None, filters: dict[str, object]
) -> None:
    options = pipeline.ParseOptions(
        jobs=1,
        summary=True,
        group_by=by,
        keep=make_filter(**filters),  # type: ignore[arg-type]
    )
    one = pipeline.run([str(log)], options, None).tally
    many = parallel.parse_file(str(log), str(log), options, None, 3, None, chunk=CHUNK).tally
    assert one.findings > 0
    mine, theirs = one.to_dict(), many.to_dict()
    assert mine.pop("inputs") == 1 and theirs.pop("inputs") == 0  # counted by the caller
    assert theirs == mine
    if by is not None:
        assert len(mine["groups"]) > 1  # type: ignore[arg-type]


def test_cli_jobs_give_the_same_summary(log: Path, run) -> None:
    for args in (["--summary"], ["--failures", "--group-by", "domain"]):
        _, one, _ = run("parse", "--json", "--jobs", "1", *args, str(log))
        _, many, _ = run("parse", "--json", "--jobs", "2", *args, str(log))
        assert json.loads(many) == json.loads(one)


# -- Ctrl-C ----------------------------------------------------------------------------


def _start(*args: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "smtpcode", "parse", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def test_ctrl_c_prints_the_partial_summary_of_what_was_read(log: Path) -> None:
    """Standard input that stays open: the counts are exactly those of the lines sent."""
    lines = log.read_bytes().splitlines(keepends=True)[:400]
    proc = _start("--summary", "--json")
    assert proc.stdin is not None
    proc.stdin.write(b"".join(lines))
    proc.stdin.flush()
    time.sleep(1.5)  # read and counted; now waiting for more
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    summary = json.loads(out)
    expected = pipeline.run([str(_write(log.parent / "head.log", lines))], _counting(), None)
    assert summary["partial"] is True
    assert summary["findings"] == expected.tally.findings > 50
    assert b"interrupted" in err and b"Traceback" not in err


def test_ctrl_c_in_plain_summary_says_partial(log: Path) -> None:
    lines = log.read_bytes().splitlines(keepends=True)[:200]
    proc = _start("--summary")
    assert proc.stdin is not None
    proc.stdin.write(b"".join(lines))
    proc.stdin.flush()
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130
    first = out.decode().splitlines()[0]
    assert first.endswith("(partial: interrupted, only what was read until then)")


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc")
def test_ctrl_c_with_workers_keeps_the_chunks_counted(tmp_path: Path) -> None:
    big = tmp_path / "big.log"
    generate_log(big, 400_000)
    proc = _start("--summary", "--json", "--jobs", "2", str(big))
    # Ctrl-C once the workers run: the parent is then reading their counts.
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        if children.exists() and children.read_text().split():
            break
        time.sleep(0.01)
    time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip("the machine read the whole log before the signal")
    assert proc.returncode == 130, err
    summary = json.loads(out)
    assert summary["partial"] is True and summary["findings"] > 0
    assert b"Traceback" not in err


def _write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(lines))
    return path


def _counting() -> pipeline.ParseOptions:
    return pipeline.ParseOptions(jobs=1, summary=True)
