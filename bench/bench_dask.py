"""Throughput of `smtpcode parse --summary` on a Dask cluster of 1, 2 and 4 local worker
processes, side by side with one process, on a set of Postfix logs.

    python bench/bench_dask.py                       # 8 files of 250,000 lines, 3 runs
    python bench/bench_dask.py --files 8 --lines 100000 --runs 5
    python bench/bench_dask.py --keep                # leave the logs in bench/out/dask/

The logs are bench_parse.py's (a busy outbound relay's day, one seed per file). Timed:
- `smtpcode parse --summary --jobs 1 FILES` (one process) and with the default --jobs
  (one process per idle CPU for each big file);
- `smtpcode parse --summary --scheduler local:N 'GLOB'` for N = 1, 2, 4: the whole
  command, starting and stopping its cluster;
- the same run on a cluster started beforehand (smtpcode.distributed.run on a Client),
  which is what a run on a standing cluster costs.
Each figure is lines per second over the whole set: the best and the median of the runs.
The machine may be shared, and its CPUs bound what more workers can give.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "out" / "dask"
WORKERS = (1, 2, 4)


def _bench_parse():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_parse", ROOT / "bench" / "bench_parse.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def generate(files: int, lines: int) -> list[Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    bench = _bench_parse()
    paths = []
    for n in range(files):
        path = OUT / f"relay{n:02d}.log"
        marker = OUT / f".relay{n:02d}.{lines}"
        if not marker.exists():
            bench.generate(path, lines, seed=n)
            marker.touch()
        paths.append(path)
    return paths


def _time_command(args: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def _report(name: str, seconds: list[float], lines: int) -> None:
    best, median = min(seconds), statistics.median(seconds)
    print(
        f"{name:<44} {lines / best:>10,.0f} lines/s best  "
        f"{lines / median:>10,.0f} median  ({best:.2f} s best)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--lines", type=int, default=250_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    paths = generate(args.files, args.lines)
    total = args.files * args.lines
    size = sum(p.stat().st_size for p in paths)
    print(
        f"{args.files} files, {total:,} lines, {size / 1e6:.0f} MB; {os.cpu_count()} CPUs; "
        f"{args.runs} runs each"
    )
    smtpcode = [sys.executable, "-m", "smtpcode", "parse", "--summary"]
    files = [str(p) for p in paths]
    glob = str(OUT / "relay*.log")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "smtpcode")], check=True)

    _report(
        "one process (--jobs 1)",
        [_time_command([*smtpcode, "--jobs", "1", *files]) for _ in range(args.runs)],
        total,
    )
    _report(
        "one process, --jobs 0 (forks per big file)",
        [_time_command([*smtpcode, *files]) for _ in range(args.runs)],
        total,
    )
    for n in WORKERS:
        command = [*smtpcode, "--scheduler", f"local:{n}", glob]
        _report(
            f"--scheduler local:{n} (whole command)",
            [_time_command(command) for _ in range(args.runs)],
            total,
        )

    sys.path.insert(0, str(ROOT))
    from distributed import Client, LocalCluster

    from smtpcode import distributed, pipeline

    options = pipeline.ParseOptions(summary=True)
    for n in WORKERS:
        with (
            LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",
            ) as cluster,
            Client(cluster) as client,
        ):
            distributed.run(files[:1], options, client)  # the workers load the catalogue
            seconds = []
            for _ in range(args.runs):
                start = time.perf_counter()
                report = distributed.run([glob], options, client)
                seconds.append(time.perf_counter() - start)
                assert report.tally.inputs == args.files
            _report(f"{n} worker process(es), cluster started before", seconds, total)
    if not args.keep:
        shutil.rmtree(OUT)


if __name__ == "__main__":
    main()
