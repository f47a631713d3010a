"""Start-up cost of the CLI: how long `smtpcode explain 550` takes, and where the time goes.

    python bench/bench_startup.py [--runs 15]

Prints the median and best wall-clock time of whole runs (explain, and parse of nothing and
of a 1,000-line log), the time to load the catalogue and the rules (from the YAML files,
and from their JSON copies in the cache, as every run after the first does), and the
peak memory of one run. The package's modules are compiled to bytecode first, as
`pip install` does (bench_parse.py explains why).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed_runs(args: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(args, stdout=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):  # 1: nothing found, as for /dev/null
            raise SystemExit(f"{' '.join(args)} failed ({done.returncode})")
    return times


def _bench_parse():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "bench_parse", Path(__file__).with_name("bench_parse.py")
    )
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def _small_log(folder: str) -> str:
    """A 1,000-line Postfix log like bench_parse.py's."""
    log = Path(folder) / "postfix-1000.log"
    _bench_parse().generate(log, 1000)
    return str(log)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    opts = parser.parse_args()
    cmd = [sys.executable, "-m", "smtpcode"]
    print(f"python: {sys.version.split()[0]}  runs: {opts.runs}")
    _bench_parse()._compile_package()
    folder = tempfile.mkdtemp()
    small = _small_log(folder)
    for label, extra in (
        ("python -c pass", None),
        ("explain 550", ["explain", "550"]),
        ("explain --json 550 5.7.26", ["explain", "--json", "550", "5.7.26"]),
        ("--version", ["--version"]),
        ("parse --json /dev/null", ["parse", "--json", os.devnull]),
        ("parse --json (1,000 lines)", ["parse", "--json", small]),
    ):
        args = [sys.executable, "-c", "pass"] if extra is None else [*cmd, *extra]
        t = timed_runs(args, opts.runs)
        median, best = statistics.median(t) * 1000, min(t) * 1000
        print(f"{label:28} median {median:7.1f} ms   best {best:7.1f} ms")
    probe = (
        "import time; t=time.perf_counter();"
        "import smtpcode.catalogue, smtpcode.diagnose;"
        "t1=time.perf_counter(); smtpcode.catalogue.get_catalogue();"
        "t2=time.perf_counter(); smtpcode.diagnose.get_diagnoser();"
        "t3=time.perf_counter();"
        "print(f'{(t1-t)*1000:.1f} {(t2-t1)*1000:.1f} {(t3-t2)*1000:.1f}')"
    )
    # A checkout reads the YAML; a wheel reads the JSON copies its build made, which load
    # like the cached copies of user-named files measured here.
    from smtpcode.catalogue import data_path

    named = {
        "SMTPCODE_CATALOGUE": str(data_path("codes.yaml")),
        "SMTPCODE_RULES": str(data_path("rules.yaml")),
    }
    for label, cache in (("from YAML", ""), ("from JSON", os.path.join(folder, "cache"))):
        env = {**os.environ, **named, "SMTPCODE_CACHE_DIR": cache}
        for _ in range(2):  # the first run with a cache fills it
            out = subprocess.run(
                [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
            ).stdout.split()
        print(
            f"{label:15} imports {out[0]:>5} ms, catalogue {out[1]:>5} ms, "
            f"rules loaded and compiled {out[2]:>5} ms"
        )
    subprocess.run([*cmd, "explain", "550"], stdout=subprocess.DEVNULL, check=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory of one run: {peak:.1f} MB")
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
