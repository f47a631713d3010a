"""What every input must pass: read to the end, each reply diagnosed and encoded as JSON,
nothing raised, no guard hit, every code a valid code, every text writable as UTF-8,
and time and memory bounded by the input's size."""

from __future__ import annotations

import io
import json
import os
import resource
import time
import traceback
from dataclasses import dataclass

from smtpcode.codes import valid_basic, valid_enhanced
from smtpcode.diagnose import diagnose
from smtpcode.extract import Scanner

# Seconds allowed per input: a floor, plus this much per MB and per line (an input of
# short lines costs per line: each is offered to the families in turn). Work that grows
# faster than the input exceeds these at once; machine noise does not.
TIME_FLOOR = 2.0
TIME_PER_MB = 2.0
TIME_PER_LINE = 60e-6
# Growth of the process's peak memory that one input may cause.
MAX_GROWTH_MB = 100
_PACKAGE = os.sep + "smtpcode" + os.sep


@dataclass(frozen=True)
class Outcome:
    """What one input did: its replies, its time, and what went wrong (None: nothing)."""

    replies: int
    seconds: float
    signature: str | None
    detail: str | None = None


def time_limit(data: bytes) -> float:
    lines = data.count(b"\n") + data.count(b"\r")
    return TIME_FLOOR + TIME_PER_MB * len(data) / (1 << 20) + TIME_PER_LINE * lines


def peak_mb() -> float:
    """The process's peak resident memory so far (Linux reports it in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def signature_of(error: BaseException) -> str:
    """The exception's type and the innermost frame inside smtpcode: one crash site."""
    where = "?"
    for frame in traceback.extract_tb(error.__traceback__):
        if _PACKAGE in frame.filename:
            path = frame.filename[frame.filename.rfind(_PACKAGE) + 1 :]
            where = f"{path}:{frame.name}"
    return f"{type(error).__name__} at {where}"


def _wrong_values(found: dict[str, object]) -> str | None:
    """What is wrong in a finding's values: a code that is not one, a text that cannot
    be written (a lone surrogate)."""
    for key, valid in (("basic", valid_basic), ("enhanced", valid_enhanced)):
        value = found[key]
        if value is not None and valid(value) is None:  # type: ignore[arg-type]
            return f"not a code in {key}"
    try:
        json.dumps(found, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return "lone surrogate in a finding"
    return None


def run_one(data: bytes, name: str = "fuzz", baseline_mb: float | None = None) -> Outcome:
    """Runs one input through the oracle. With `baseline_mb` (the peak memory before the
    run began), an input that pushes the peak more than MAX_GROWTH_MB above it fails."""
    started = time.perf_counter()
    peak_before = peak_mb()
    scanner = Scanner(name)
    count = 0
    try:
        for reply in scanner.scan_stream(io.BytesIO(data)):
            found = diagnose(reply).to_dict()
            json.dumps(found)
            count += 1
            wrong = _wrong_values(found)
            if wrong is not None:
                return Outcome(count, time.perf_counter() - started, wrong, repr(reply)[:600])
    except Exception as error:  # the oracle's job: every exception is a finding
        return Outcome(
            count,
            time.perf_counter() - started,
            signature_of(error),
            "".join(traceback.format_exception(error)[-6:]),
        )
    seconds = time.perf_counter() - started
    problems = getattr(scanner, "problems", [])
    if problems:
        first = problems[0]
        return Outcome(count, seconds, f"guard hit: {first.why[:120]}", repr(problems[:3]))
    if seconds > time_limit(data):
        return Outcome(count, seconds, "slow", f"{seconds:.1f} s for {len(data)} bytes")
    peak = peak_mb()
    if baseline_mb is not None and peak > peak_before and peak - baseline_mb > MAX_GROWTH_MB:
        return Outcome(count, seconds, "memory", f"peak {peak_mb():.0f} MB for {len(data)} bytes")
    return Outcome(count, seconds, None)
