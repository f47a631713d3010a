"""A long fuzz run of `smtpcode parse`: mutated real bounces, logs and transcripts, and
generated hostile shapes (tests/fuzzing). Prints inputs tried, the distinct crash
signatures (exception type and innermost smtpcode frame, guard hits, slow inputs) with
the first input of each, and the peak memory of the workers.

    python bench/fuzz.py --inputs 1000000 --seed 1 --jobs 2

Input i of seed s is always the same input: `--replay S:I` runs one and shows what it
does; `--save DIR` writes each signature's first input there.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fuzzing.mutate import load_corpus, make_input  # noqa: E402
from fuzzing.oracle import peak_mb, run_one  # noqa: E402

# A worker that reports nothing for this long is stuck on one input: it is ended and the
# input counted as a hang.
HANG_SECONDS = 120.0
# Inputs a worker takes at a time.
BATCH = 200


def _worker(seed: int, tasks: mp.Queue, results: mp.Queue) -> None:  # type: ignore[type-arg]
    corpus = load_corpus()
    run_one(corpus[0])  # the catalogue and rules loaded: what every input starts from
    baseline = peak_mb()
    while True:
        task = tasks.get()
        if task is None:
            return
        start, end = task
        found: list[tuple[str, int, str | None, int]] = []
        slowest = (0.0, start)
        for i in range(start, end):
            if i % 20 == 0:  # where it is, for the watchdog
                results.put(("at", os.getpid(), i))
            data = make_input(corpus, seed, i)
            outcome = run_one(data, baseline_mb=baseline)
            if outcome.seconds > slowest[0]:
                slowest = (outcome.seconds, i)
            if outcome.signature is not None:
                found.append((outcome.signature, i, outcome.detail, len(data)))
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        results.put(("done", os.getpid(), (start, end, found, peak_kb, slowest)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--first", type=int, default=0, help="number of the first input")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--save", type=Path, help="write each signature's first input here")
    parser.add_argument("--replay", help="SEED:INDEX: run that one input and show the outcome")
    args = parser.parse_args()
    if args.replay:
        seed, index = (int(x) for x in args.replay.split(":"))
        data = make_input(load_corpus(), seed, index)
        outcome = run_one(data)
        print(f"{len(data)} bytes, {outcome.replies} replies, {outcome.seconds:.3f} s")
        print(outcome.signature or "ok")
        if outcome.detail:
            print(outcome.detail)
        return 1 if outcome.signature else 0
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    ctx = mp.get_context("fork")
    tasks: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    results: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    first, last = args.first, args.first + args.inputs
    for start in range(first, last, BATCH):
        tasks.put((start, min(start + BATCH, last)))
    workers: dict[int, mp.process.BaseProcess] = {}
    current: dict[int, tuple[int, float]] = {}

    def spawn() -> None:
        proc = ctx.Process(target=_worker, args=(args.seed, tasks, results), daemon=True)
        proc.start()
        assert proc.pid is not None
        workers[proc.pid] = proc
        current[proc.pid] = (-1, time.monotonic())
        tasks.put(None)

    started = time.monotonic()
    for _ in range(args.jobs):
        spawn()
    signatures: dict[str, list[tuple[int, str | None, int]]] = {}
    done = 0
    peak_kb = 0
    slowest = (0.0, -1)
    last_report = started
    while done < args.inputs:
        try:
            kind, pid, payload = results.get(timeout=5)
        except Exception:
            kind = ""
        now = time.monotonic()
        if kind == "at":
            current[pid] = (payload, now)
        elif kind == "done":
            start, end, found, peak, slow = payload
            done += end - start
            peak_kb = max(peak_kb, peak)
            slowest = max(slowest, slow)
            for sig, i, detail, size in found:
                signatures.setdefault(sig, []).append((i, detail, size))
            current[pid] = (end, now)
        for pid, (at, since) in list(current.items()):
            if now - since > HANG_SECONDS and workers[pid].is_alive():
                # Stuck: record the batch's inputs from the last one reported as a hang.
                workers[pid].kill()
                signatures.setdefault("hang", []).append((at, None, 0))
                del current[pid]
                done += BATCH  # the batch is lost; counted so the run ends
                spawn()
        if now - last_report > 60:
            last_report = now
            rate = done / (now - started)
            print(
                f"[{now - started:7.0f} s] {done} inputs ({rate:.0f}/s), "
                f"{len(signatures)} signatures",
                file=sys.stderr,
                flush=True,
            )
    for proc in workers.values():
        proc.kill()
    elapsed = time.monotonic() - started
    print(
        f"seed {args.seed}, inputs {args.first}..{last - 1}: {args.inputs} tried in {elapsed:.0f} s"
    )
    print(f"distinct crash signatures: {len(signatures)}")
    print(f"peak memory of a worker (max RSS): {peak_kb / 1024:.0f} MB")
    print(f"slowest input: {slowest[0]:.2f} s (input {args.seed}:{slowest[1]})")
    corpus = load_corpus() if args.save else []
    for sig, hits in sorted(signatures.items(), key=lambda kv: -len(kv[1])):
        i, detail, size = hits[0]
        print(f"\n{len(hits):6d}  {sig}   first: --replay {args.seed}:{i} ({size} bytes)")
        if detail:
            print("        " + detail.strip().replace("\n", "\n        "))
        if args.save and i >= 0:
            args.save.mkdir(parents=True, exist_ok=True)
            (args.save / f"{args.seed}-{i}.bin").write_bytes(make_input(corpus, args.seed, i))
    return 1 if signatures else 0


if __name__ == "__main__":
    sys.exit(main())
