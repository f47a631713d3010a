"""Bounce messages per second: `smtpcode parse --json` over the bounce sample.

    python bench/bench_bounces.py              # tests/data/bounces, 5 rounds
    python bench/bench_bounces.py --rounds 10 --dir path/to/emails

Reads every .eml of the folder, once as separate files and once as one mbox made of
them, the way `smtpcode parse --json FILE...` does (the pipeline, JSON rows written to
/dev/null), in this process after a warm-up: the figure is net of start-up (loading
Python, the catalogue and the rules, which `bench/bench_startup.py` measures). The best
and the median of the rounds are printed, in emails per second, with CPU time per email.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from smtpcode import pipeline  # noqa: E402
from smtpcode.render.json_out import JsonRenderer  # noqa: E402


def _mbox(files: list[Path], out: Path) -> None:
    with out.open("wb") as f:
        for path in files:
            data = path.read_bytes().replace(b"\r\n", b"\n")
            f.write(b"From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n")
            # mboxrd quoting: a body line starting "From " would start a new message.
            for line in data.split(b"\n"):
                f.write(b">" + line + b"\n" if line.startswith(b"From ") else line + b"\n")
            f.write(b"\n")


def _round(inputs: list[str]) -> tuple[float, float, int]:
    with open(os.devnull, "w", encoding="utf-8") as sink_file:
        sink = JsonRenderer(sink_file)
        wall, cpu = time.perf_counter(), time.process_time()
        report = pipeline.run(inputs, pipeline.ParseOptions(jobs=1), sink)
        return time.perf_counter() - wall, time.process_time() - cpu, report.findings


def main() -> None:
    from bench_parse import _compile_package

    _compile_package()  # as an installed wheel has it: bytecode and the data's JSON copies
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, default=ROOT / "tests" / "data" / "bounces")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    files = sorted(args.dir.glob("*.eml"))
    if not files:
        sys.exit(f"no .eml files in {args.dir}")
    with tempfile.TemporaryDirectory() as tmp:
        mbox = Path(tmp) / "bounces.mbox"
        _mbox(files, mbox)
        _round([str(f) for f in files])  # warm-up: catalogue, rules, caches
        print(f"{len(files)} emails ({sum(f.stat().st_size for f in files) / 1e6:.1f} MB)")
        for label, inputs in (
            ("as files", [str(f) for f in files]),
            ("as one mbox", [str(mbox)]),
        ):
            walls, cpus = [], []
            found = 0
            for _ in range(args.rounds):
                wall, cpu, found = _round(inputs)
                walls.append(wall)
                cpus.append(cpu)
            best, median = min(walls), statistics.median(walls)
            print(
                f"{label:<12} best {len(files) / best:8,.0f} emails/s  "
                f"median {len(files) / median:8,.0f} emails/s  "
                f"cpu {min(cpus) / len(files) * 1e3:.2f} ms/email  ({found} findings)"
            )


if __name__ == "__main__":
    main()
