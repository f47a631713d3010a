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
import queue
import resource
import signal
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


class _Run:
    """The run's figures so far: an interrupted run reports them."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.started = time.monotonic()
        self.done = 0
        self.peak_kb = 0
        self.slowest = (0.0, -1)
        self.signatures: dict[str, list[tuple[int, str | None, int]]] = {}


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _run(args: argparse.Namespace) -> int:
    ctx = mp.get_context("fork")
    tasks: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    results: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    last = args.first + args.inputs
    for start in range(args.first, last, BATCH):
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

    run = _Run(args)
    for _ in range(args.jobs):
        spawn()
    # SIGTERM (or Ctrl-C) ends the run early, with the figures of the batches finished.
    signal.signal(signal.SIGTERM, _interrupt)
    last_report = run.started
    try:
        while run.done < args.inputs:
            try:
                kind, pid, payload = results.get(timeout=5)
            except queue.Empty:
                kind = ""
            now = time.monotonic()
            if kind == "at":
                current[pid] = (payload, now)
            elif kind == "done":
                start, end, found, peak, slow = payload
                run.done += end - start
                run.peak_kb = max(run.peak_kb, peak)
                run.slowest = max(run.slowest, slow)
                for sig, i, detail, size in found:
                    run.signatures.setdefault(sig, []).append((i, detail, size))
                current[pid] = (end, now)
            for pid, (at, since) in list(current.items()):
                if now - since > HANG_SECONDS and workers[pid].is_alive():
                    # Stuck on one input: the last one it reported starting from.
                    workers[pid].kill()
                    run.signatures.setdefault("hang", []).append((at, None, 0))
                    del current[pid]
                    run.done += BATCH  # the batch is lost; counted so the run ends
                    spawn()
            if now - last_report > 60:
                last_report = now
                rate = run.done / (now - run.started)
                print(
                    f"[{now - run.started:7.0f} s] {run.done} inputs ({rate:.0f}/s), "
                    f"{len(run.signatures)} signatures",
                    file=sys.stderr,
                    flush=True,
                )
    except KeyboardInterrupt:
        print("interrupted: figures of the inputs finished", file=sys.stderr)
    for proc in workers.values():
        proc.kill()
    # The queues' feeder threads would wait at exit for readers that are gone.
    tasks.cancel_join_thread()
    results.cancel_join_thread()
    return _report(run)


def _report(run: _Run) -> int:
    args = run.args
    elapsed = time.monotonic() - run.started
    print(f"seed {args.seed}, from input {args.first}: {run.done} tried in {elapsed:.0f} s")
    print(f"distinct crash signatures: {len(run.signatures)}")
    print(f"peak memory of a worker (max RSS): {run.peak_kb / 1024:.0f} MB")
    print(f"slowest input: {run.slowest[0]:.2f} s (input {args.seed}:{run.slowest[1]})")
    corpus = load_corpus() if args.save else []
    for sig, hits in sorted(run.signatures.items(), key=lambda kv: -len(kv[1])):
        i, detail, size = hits[0]
        print(f"\n{len(hits):6d}  {sig}   first: --replay {args.seed}:{i} ({size} bytes)")
        if detail:
            print("        " + detail.strip().replace("\n", "\n        "))
        if args.save and i >= 0:
            args.save.mkdir(parents=True, exist_ok=True)
            (args.save / f"{args.seed}-{i}.bin").write_bytes(make_input(corpus, args.seed, i))
    return 1 if run.signatures else 0


if __name__ == "__main__":
    sys.exit(main())
