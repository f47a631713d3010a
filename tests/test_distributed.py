"""`parse --scheduler` and smtpcode.distributed on a real Dask cluster on loopback.

A scheduler and two worker processes are started here; the inputs are the test logs and
bounces of tests/data with generated Postfix logs (some compressed), read from disk and
from an S3-compatible server (moto, on 127.0.0.1). What the cluster gives is compared
with what one process gives: the same summary byte for byte, the same findings.
"""

from __future__ import annotations

import bz2
import functools
import gzip
import http.server
import io
import json
import lzma
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import generate_log

pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")

from distributed import Client, LocalCluster

from smtpcode import distributed as dist
from smtpcode import pipeline
from smtpcode.api import parse

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
# Blocks this small cut the test logs into many (the real size is 8 MB).
BLOCK = 64 << 10
# A worker of its own: one thread, on loopback, no dashboard.
WORKER_ARGS = ["--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"]
# The lines the workers of a block may not take: a run must notice and read on.
STRAYS = [
    b"Nov 29 00:00:01 relay1 dovecot: imap-login: Login: user=<a@example.org>",
    b"550 5.1.1 <x@example.com>: Recipient address rejected: User unknown",
]


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Many inputs of every kind: generated Postfix logs (plain, gzip, bzip2, xz), the
    logs and transcripts of tests/data/parse and some bounces."""
    out = tmp_path_factory.mktemp("logs")
    for n in range(8):
        generate_log(out / f"relay{n}.log", 1500, seed=n)
    for n, (suffix, compress) in enumerate(
        ((".gz", gzip.compress), (".bz2", bz2.compress), (".xz", lzma.compress))
    ):
        plain = out / f"relay{n}.log"
        (out / f"old{n}.log{suffix}").write_bytes(compress(plain.read_bytes()))
    for path in sorted((DATA / "parse").iterdir()):
        if path.suffix != ".md":
            shutil.copy(path, out / path.name)
    shutil.copy(DATA / "mta" / "logs" / "postfix.log", out / "mta-postfix.log")
    for path in sorted((DATA / "bounces").glob("*.eml"))[:12]:
        shutil.copy(path, out / path.name)
    return out


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A Postfix log cut into many blocks, and the same log with stray lines (not
    Postfix's) a third and two thirds of the way in."""
    out = tmp_path_factory.mktemp("big")
    log = out / "big.log"
    generate_log(log, 8000, seed=42)
    lines = log.read_bytes().split(b"\n")
    for fraction, stray in zip((2 / 3, 1 / 3), STRAYS, strict=True):
        lines.insert(int(len(lines) * fraction), stray)
    mixed = out / "mixed.log"
    mixed.write_bytes(b"\n".join(lines))
    return [log, mixed]


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    ) as local:
        yield local


@pytest.fixture(scope="module")
def client(cluster: LocalCluster) -> Iterator[Client]:
    with Client(cluster) as c:
        yield c


class Rows:
    """A sink keeping rows, as a renderer writes them."""

    def __init__(self, kind: str) -> None:
        self.row_kind: str | None = kind
        self.rows: list[bytes] = []

    def parse_row(self, finding: object) -> None:
        raise AssertionError("rows are expected")

    def write_rows(self, rows: list[bytes]) -> None:
        self.rows += rows

    def flush(self) -> None:
        pass

    @property
    def data(self) -> bytes:
        return b"".join(self.rows)


def _smtpcode(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "smtpcode", "parse", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        timeout=120,
    )


def _names(logs: Path) -> list[str]:
    return sorted(p.name for p in logs.iterdir())


def test_summary_and_json_of_many_files_equal_one_process(
    logs: Path, cluster: LocalCluster
) -> None:
    names = _names(logs)
    assert len(names) > 30
    address = cluster.scheduler_address
    one = _smtpcode("--summary", *names, cwd=logs)
    many = _smtpcode("--summary", "--scheduler", address, "*", cwd=logs)
    assert many.returncode == one.returncode == 0, many.stderr
    assert many.stdout == one.stdout
    assert f"in {len(names)} inputs".encode() in one.stdout.split(b"\n")[0]
    one = _smtpcode("--json", *names, cwd=logs)
    many = _smtpcode("--json", "--scheduler", address, "*", cwd=logs)
    assert many.returncode == one.returncode == 0, many.stderr
    found = one.stdout.splitlines()
    assert len(found) > 4000
    assert sorted(many.stdout.splitlines()) == sorted(found)
    # And in input order: the same bytes.
    assert many.stdout == one.stdout


def test_unreadable_inputs_are_reported_as_one_process_reports_them(
    logs: Path, cluster: LocalCluster, tmp_path: Path
) -> None:
    (tmp_path / "garbage.log.gz").write_bytes(b"\x1f\x8b\x08\x00 not gzip at all")
    names = [str(logs / "relay0.log"), "missing.log", str(tmp_path / "garbage.log.gz")]
    one = _smtpcode("--summary", *names, cwd=tmp_path)
    many = _smtpcode("--summary", "--scheduler", cluster.scheduler_address, *names, cwd=tmp_path)
    assert many.returncode == one.returncode == 3
    assert many.stdout == one.stdout
    assert many.stderr == one.stderr
    assert b"smtpcode: cannot read missing.log: No such file or directory\n" in many.stderr


def test_blocks_of_big_logs_give_what_one_process_gives(big: list[Path], client: Client) -> None:
    # The first log twice: each copy is a file of its own (its own line numbers).
    names = [str(p) for p in [*big, big[0]]]
    tasks = dist.plan(dist.expand(names), pipeline.ParseOptions(), BLOCK)
    assert len(tasks) == sum(-(-os.path.getsize(n) // BLOCK) for n in names) > 30
    one = Rows("json")
    pipeline.run(names, pipeline.ParseOptions(jobs=1), one)
    progress_out = io.StringIO()
    progress = dist.TerminalProgress(progress_out)
    many = Rows("json")
    report = dist.run(
        names, pipeline.ParseOptions(), client, many, block_size=BLOCK, progress=progress
    )
    assert many.data == one.data
    assert report.findings == one.data.count(b"\n") > 1500
    assert report.problems == []
    # The bar ends with every task done (the mixed log's refused block and the task that
    # read the rest of it counted).
    last = progress_out.getvalue().rsplit("\r", 1)[-1]
    done, total = last.split("] ", 1)[1].split(" tasks", 1)[0].split("/")
    assert done == total and int(total) > 10
    assert last.startswith("[" + "#" * dist.TerminalProgress.WIDTH + "]")
    progress.close()
    assert progress_out.getvalue().endswith("\r" + " " * len(last) + "\r")

    summary = pipeline.run(names, pipeline.ParseOptions(jobs=1, summary=True), None)
    counted = dist.run(names, pipeline.ParseOptions(summary=True), client, block_size=BLOCK)
    assert counted.tally == summary.tally
    assert counted.tally.inputs == 3


def test_the_rest_of_a_file_from_its_first_block_is_the_whole_file(big: list[Path]) -> None:
    # What a run does when a log's first block leaves the reading unresumable.
    name = str(big[1])
    source = dist.expand([name])[0]
    task = dist.Task(0, source, block=0, block_size=BLOCK, rest=True)
    one = Rows("json")
    pipeline.run([name], pipeline.ParseOptions(jobs=1), one)
    outcome = dist.run_task(task, dist.Job(pipeline.ParseOptions(), "json"))
    assert outcome.ok and outcome.rows == one.data
    assert outcome.report.tally.inputs == 1
    assert outcome.lines == big[1].read_bytes().count(b"\n")


def test_output_dir_parts_hold_the_findings_once(
    big: list[Path], client: Client, tmp_path: Path
) -> None:
    names = [str(p) for p in big]
    one = Rows("json")
    pipeline.run(names, pipeline.ParseOptions(jobs=1), one)
    summary = pipeline.run(names, pipeline.ParseOptions(jobs=1, summary=True), None)
    out = tmp_path / "parts"
    report = dist.run(
        names, pipeline.ParseOptions(summary=True), client, output_dir=str(out), block_size=BLOCK
    )
    parts = sorted(out.iterdir())
    assert all(p.name.startswith("part-") and p.suffix == ".jsonl" for p in parts)
    assert b"".join(p.read_bytes() for p in parts) == one.data
    # Only counts came back, and they are the summary's.
    assert report.tally == summary.tally


def test_remote_files_on_s3(
    logs: Path, big: list[Path], cluster: LocalCluster, client: Client
) -> None:
    pytest.importorskip("s3fs")
    boto3 = pytest.importorskip("boto3")
    server_module = pytest.importorskip("moto.server")
    credentials = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        s3.create_bucket(Bucket="logs")
        names = _names(logs)
        for name in names:
            s3.upload_file(str(logs / name), "logs", f"day1/{name}")
        one = _smtpcode("--summary", *names, cwd=logs)
        options = [f"endpoint_url={endpoint}", "key=testing", "secret=testing"]
        many = _smtpcode(
            "--summary",
            "--scheduler",
            cluster.scheduler_address,
            *(x for option in options for x in ("--storage-option", option)),
            "s3://logs/day1/*",
            cwd=logs,
            env=credentials,
        )
        assert many.returncode == 0, many.stderr
        assert many.stdout == one.stdout

        # The endpoint from the standard variable instead, on a local cluster of the
        # command's own (its workers inherit the environment); the JSON rows are the
        # local files' under their URLs.
        one = _smtpcode("--json", *names, cwd=logs)
        many = _smtpcode(
            "--json",
            "--scheduler",
            "local:1",
            "s3://logs/day1/*",
            cwd=logs,
            env={**credentials, "AWS_ENDPOINT_URL": endpoint},
        )
        assert many.returncode == 0, many.stderr
        renamed = [
            line.replace(b'{"input": "', b'{"input": "s3://logs/day1/', 1)
            for line in one.stdout.splitlines()
        ]
        assert many.stdout.splitlines() == renamed

        storage = dist.parse_storage_options(options)
        # A big remote log in blocks (one refused), its parts written to the bucket.
        s3.upload_file(str(big[1]), "logs", "big/mixed.log")
        one_process = Rows("json")
        pipeline.run([str(big[1])], pipeline.ParseOptions(jobs=1), one_process)
        report = dist.run(
            ["s3://logs/big/mixed.log"],
            pipeline.ParseOptions(),
            client,
            output_dir="s3://logs/out",
            storage_options=storage,
            block_size=BLOCK,
        )
        listed = s3.list_objects_v2(Bucket="logs", Prefix="out/")["Contents"]
        parts = sorted(item["Key"] for item in listed)
        assert 1 < len(parts) < -(-big[1].stat().st_size // BLOCK)
        written = b"".join(s3.get_object(Bucket="logs", Key=k)["Body"].read() for k in parts)
        label = b'{"input": "' + str(big[1]).encode()
        assert written == one_process.data.replace(label, b'{"input": "s3://logs/big/mixed.log')
        assert report.findings == written.count(b"\n")

        bag = dist.findings_bag("s3://logs/day1/relay*.log", storage_options=storage)
        got = client.compute(bag).result()
        expected = [
            f.to_dict()
            for n in range(8)
            for f in parse(logs / f"relay{n}.log", input_name=f"s3://logs/day1/relay{n}.log")
        ]
        assert got == expected
    finally:
        server.stop()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_remote_files_over_http(logs: Path, client: Client) -> None:
    pytest.importorskip("aiohttp")
    handler = functools.partial(_QuietHandler, directory=str(logs))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        names = ["relay3.log", "old1.log.bz2", "sendmail.log"]
        urls = [f"http://127.0.0.1:{port}/{name}" for name in names]
        one = pipeline.run([str(logs / n) for n in names], pipeline.ParseOptions(jobs=1), None)
        many = dist.run(urls, pipeline.ParseOptions(summary=True), client)
        assert many.tally == one.tally
        assert many.problems == []
    finally:
        server.shutdown()
        thread.join()


def test_findings_frame_has_fixed_columns_and_goes_to_parquet(
    logs: Path, client: Client, tmp_path: Path
) -> None:
    import pandas as pd

    paths = [str(logs / "old0.log.gz"), str(logs / "sendmail.log")]
    frame = dist.findings_frame(paths)
    assert list(frame.columns) == list(dist.FRAME_COLUMNS)
    expected = [f.to_dict() for p in paths for f in parse(Path(p), input_name=p)]
    frame.to_parquet(str(tmp_path / "pq"))
    back = pd.read_parquet(tmp_path / "pq")
    assert len(back) == len(expected) > 300
    assert {k: str(v) for k, v in back.dtypes.items()} == dist.FRAME_COLUMNS
    first = back.iloc[0]
    flat = dist.flat(expected[0])
    assert first["reason"] == flat["reason"] == expected[0]["reason"]
    assert first["line"] == expected[0]["line"]
    assert first["basic_meaning"] == expected[0]["meaning"]["basic"]["title"]
    assert sorted(back["input"].unique()) == sorted(paths)


def test_a_worker_killed_mid_run_counts_nothing_twice(tmp_path: Path) -> None:
    for n in range(12):
        generate_log(tmp_path / f"day{n:02d}.log", 5000, seed=100 + n)
    names = sorted(str(p) for p in tmp_path.iterdir())
    expected = pipeline.run(names, pipeline.ParseOptions(jobs=1, summary=True), None)
    killed: list[int] = []
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        ) as local,
        Client(local) as c,
    ):

        def kill_a_busy_worker(state: dist.Progress) -> None:
            if killed:
                return
            busy = [address for address, keys in c.processing().items() if keys]
            assert busy, "no worker is running a task"
            pid = c.run(os.getpid, workers=busy[:1])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

        report = dist.run(
            names, pipeline.ParseOptions(summary=True), c, progress=kill_a_busy_worker
        )
        assert killed
        c.wait_for_workers(2, timeout=30)
        assert killed[0] not in c.run(os.getpid).values()
    assert report.tally == expected.tally
    assert report.tally.inputs == 12


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_scheduler_is_one_clear_error(logs: Path) -> None:
    address = f"tcp://127.0.0.1:{_free_port()}"
    with pytest.raises(dist.DistributedError) as caught:
        dist.run([str(logs / "relay0.log")], pipeline.ParseOptions(), address, connect_timeout=1)
    assert str(caught.value) == (
        f"cannot reach the Dask scheduler at {address} (no answer within 1 s: OSError)"
    )


def test_a_worker_without_smtpcode_is_one_clear_error(logs: Path) -> None:
    # The worker's Python cannot import smtpcode (as on a machine where it is missing).
    hide = (
        "import sys; sys.modules['smtpcode'] = None; "
        "from distributed.cli.dask_worker import main; main()"
    )
    with LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address="127.0.0.1:0") as local:
        worker = subprocess.Popen(
            [sys.executable, "-c", hide, local.scheduler_address, "--no-nanny", *WORKER_ARGS],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            with Client(local) as c, pytest.raises(dist.DistributedError) as caught:
                dist.run([str(logs / "relay0.log")], pipeline.ParseOptions(), c)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    assert "a Dask worker cannot import smtpcode" in str(caught.value)
    assert "pip install 'smtpcode[dask]'" in str(caught.value)


def test_storage_options_read_json_values() -> None:
    got: dict[str, Any] = dist.parse_storage_options(
        ["anon=true", "endpoint_url=http://127.0.0.1:9000", "max_concurrency=4"]
    )
    assert got == {"anon": True, "endpoint_url": "http://127.0.0.1:9000", "max_concurrency": 4}
    with pytest.raises(ValueError, match="not KEY=VALUE"):
        dist.parse_storage_options(["anon"])


def test_a_local_cluster_needs_a_count_of_workers(logs: Path) -> None:
    assert dist.local_workers("local:3") == 3
    assert dist.local_workers("tcp://127.0.0.1:8786") is None
    done = _smtpcode("--scheduler", "local:x", "relay0.log", cwd=logs)
    assert done.returncode == 2
    assert done.stderr == (
        b"smtpcode: --scheduler: local:N wants a number of worker processes, not 'x'\n"
    )


def test_without_the_dask_extra_scheduler_says_what_to_install(logs: Path) -> None:
    # Python without the distributed package (as after a plain `pip install smtpcode`).
    code = (
        "import sys; sys.modules['distributed'] = None; "
        "sys.argv = ['smtpcode', 'parse', '--scheduler', 'local:1', 'relay0.log']; "
        "from smtpcode.cli import main; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=logs,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(
        b"smtpcode: --scheduler needs the dask extra: pip install 'smtpcode[dask]' ("
    )


def test_output_dir_without_scheduler_is_a_usage_error(logs: Path, tmp_path: Path) -> None:
    done = _smtpcode("--output-dir", str(tmp_path), "relay0.log", cwd=logs)
    assert done.returncode == 2
    assert done.stderr == b"smtpcode: --output-dir and --storage-option need --scheduler\n"


def test_a_german_run_is_german_on_the_workers(logs: Path) -> None:
    # The workers' own environment says nothing of German: the run's language travels
    # with the options.
    env = {"SMTPCODE_LANG": "en", "LANG": "C", "LC_ALL": "C"}
    one = _smtpcode("--lang", "de", "--json", "mta-postfix.log", cwd=logs, env=env)
    many = _smtpcode(
        "--lang", "de", "--json", "--scheduler", "local:1", "mta-postfix.log", cwd=logs, env=env
    )
    assert many.returncode == one.returncode == 0, many.stderr
    assert many.stdout == one.stdout
    findings = [json.loads(line) for line in many.stdout.splitlines()]
    assert len(findings) == 216
    assert {f["lang"] for f in findings} == {"de"}
    assert findings[0]["summary"].startswith(
        "Der empfangende Server hat den Empfänger abgelehnt: die Adresse existiert nicht."
    )


def test_one_worker_serves_runs_in_two_languages(big: list[Path], client: Client) -> None:
    # A big log in blocks, German then English then German: the block tasks share each
    # worker's diagnosis cache, and each run still gets its own language's texts.
    name = [str(big[0])]
    summaries: dict[str, list[list[str]]] = {}
    for lang in ("de", "en", "de"):
        rows = Rows("json")
        dist.run(name, pipeline.ParseOptions(lang=lang), client, rows, block_size=BLOCK)
        found = [json.loads(line) for line in rows.data.splitlines()]
        assert {f["lang"] for f in found} == {lang}
        summaries.setdefault(lang, []).append([f["summary"] for f in found])
    english = [f.summary for f in parse(big[0])]
    assert summaries["en"][0] == english
    assert summaries["de"][0] == summaries["de"][1]
    assert len(summaries["de"][0]) == len(english)
    assert all(de != en for de, en in zip(summaries["de"][0], english, strict=True) if en)


def test_a_findings_bag_speaks_the_language_asked_for(logs: Path, client: Client) -> None:
    path = str(logs / "mta-postfix.log")
    german = dist.findings_bag(path, lang="de").compute()
    english = dist.findings_bag(path, lang="en").compute()
    assert len(german) == len(english) == 216
    assert {f["lang"] for f in german} == {"de"}
    assert {f["lang"] for f in english} == {"en"}
    assert german[0]["summary"].startswith("Der empfangende Server hat den Empfänger abgelehnt")
    assert english[0]["summary"].startswith("The receiving server rejected the recipient")
    frame = dist.findings_frame(path, lang="de").compute()
    assert set(frame["lang"]) == {"de"}
    assert list(frame["summary"]) == [f["summary"] for f in german]


def test_the_progress_bar_in_german() -> None:
    from smtpcode import i18n

    i18n.set_language("de")
    out = io.StringIO()
    bar = dist.TerminalProgress(out)
    bar(dist.Progress(total=8, done=8, lines=0))
    shown = out.getvalue()
    assert shown == "\r[" + "#" * bar.WIDTH + "] 8/8 Aufgaben, 0 Zeilen/s"
