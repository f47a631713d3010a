"""The shortcuts `parse` takes for speed give exactly what the slow way gives.

- stream.DiagnosisCache reuses the diagnosis of an earlier reply of the same shape: on every
  corpus the findings equal diagnosing each reply afresh.
- render.parse_rows.FindingEncoder splices cached JSON: its lines equal
  json.dumps(finding.to_dict()).
- DiagnosisCache.rows() fills a shape's JSON template without making the finding: its rows
  equal the encoder's line for each finding.
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import pytest

from smtpcode.diagnose import diagnose
from smtpcode.diagnosis_cache import DiagnosisCache, shape
from smtpcode.extract import scan
from smtpcode.records import Reply
from smtpcode.rows import FindingEncoder, dumps

DATA = Path(__file__).parent / "data"
BENCH = Path(__file__).parent.parent / "bench" / "bench_parse.py"


def corpus_replies() -> list[Reply]:
    out: list[Reply] = []
    for folder in ("mta", "bounces", "parse"):
        for path in sorted((DATA / folder).rglob("*")):
            if path.is_file() and path.suffix != ".md" and path.name != "LICENSE":
                with path.open("rb") as stream:
                    out += scan(stream, path.name)
    return out


def bench_log(tmp_path: Path, lines: int) -> Path:
    """A Postfix log as bench/bench_parse.py generates it."""
    spec = importlib.util.spec_from_file_location("bench_parse", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    log = tmp_path / "postfix.log"
    bench.generate(log, lines)
    return log


def bench_replies(tmp_path: Path) -> list[Reply]:
    log = bench_log(tmp_path, 5000)
    with log.open("rb") as stream:
        return list(scan(stream, "postfix.log"))


@pytest.fixture(scope="module")
def all_replies(tmp_path_factory: pytest.TempPathFactory) -> list[Reply]:
    return corpus_replies() + bench_replies(tmp_path_factory.mktemp("bench"))


def test_memoised_diagnosis_equals_diagnosing_each_reply(all_replies: list[Reply]) -> None:
    assert len(all_replies) > 2000
    fast = list(DiagnosisCache()(all_replies))
    slow = [diagnose(r) for r in all_replies]
    assert fast == slow


def test_encoder_equals_dumps_of_to_dict(all_replies: list[Reply]) -> None:
    encoder = FindingEncoder()
    for finding in DiagnosisCache()(all_replies):
        assert encoder.encode(finding) == dumps(finding.to_dict())


def test_rows_equal_the_encoded_findings(all_replies: list[Reply]) -> None:
    slow = [FindingEncoder().line(f) for f in DiagnosisCache()(all_replies)]
    # Twice over, so that the second pass takes every row from a template.
    findings = DiagnosisCache()
    encoder = FindingEncoder()
    assert list(findings.rows(all_replies, encoder)) == slow
    assert list(findings.rows(all_replies, encoder)) == slow


def test_rows_of_replies_too_long_to_cache(all_replies: list[Reply]) -> None:
    long = Reply("550", "5.1.1", "550 5.1.1 " + "no such user " * 400, "x", 7, "a@b.example")
    replies = [long, all_replies[0], long]
    slow = [FindingEncoder().line(f) for f in DiagnosisCache()(replies)]
    assert list(DiagnosisCache().rows(replies, FindingEncoder())) == slow
    assert "…".encode() in slow[0]  # cut before diagnosis


def test_shape_masks_only_per_message_tokens() -> None:
    a = shape("250 2.0.0 OK  1700000001 d9443c01a7336-1f9eb3b6e81si99625855ad.239 - gsmtp")
    b = shape("250 2.0.0 OK  1700000999 a1b2c3d4e5f60-0a0b0c0d0e0si12345678ad.001 - gsmtp")
    assert a == b
    assert shape("550 5.1.1 <alice@example.com>: User unknown") == shape(
        "550 5.1.1 <bob.smith@example.org>: User unknown"
    )
    assert shape("550 User unknown") != shape("550 Mailbox full")


def test_scan_accepts_binary_stream() -> None:
    assert [r.basic for r in scan(io.BytesIO(b"250 ok\n"), "x")] == ["250"]


def test_cli_json_rows_equal_each_finding_dumped(tmp_path: Path, run) -> None:
    log = bench_log(tmp_path, 3000)
    for path in (log, DATA / "parse" / "exchange-ndr.txt"):
        with path.open("rb") as stream:
            expected = [dumps(diagnose(r).to_dict()) for r in scan(stream, str(path))]
        code, out, _ = run("parse", "--json", "--jobs", "1", str(path))
        assert code == 0
        assert out.splitlines() == expected
        # Standard input: the same rows, named <stdin>.
        code, out, _ = run("parse", "--json", "-", input=path.read_bytes())
        assert out.splitlines() == [
            line.replace(dumps(str(path)), '"<stdin>"', 1) for line in expected
        ]
