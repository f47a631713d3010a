"""What every input must pass: read to the end, each reply diagnosed and encoded as JSON,
nothing raised, no guard hit, and time bounded by the input's size."""

from __future__ import annotations

import io
import json
import os
import time
import traceback
from dataclasses import dataclass

from smtpcode.diagnose import diagnose
from smtpcode.extract import Scanner

# Seconds allowed per input: a floor, plus this much per MB.
TIME_FLOOR = 2.0
TIME_PER_MB = 2.0
_PACKAGE = os.sep + "smtpcode" + os.sep


@dataclass(frozen=True)
class Outcome:
    """What one input did: its replies, its time, and what went wrong (None: nothing)."""

    replies: int
    seconds: float
    signature: str | None
    detail: str | None = None


def time_limit(size: int) -> float:
    return TIME_FLOOR + TIME_PER_MB * size / (1 << 20)


def signature_of(error: BaseException) -> str:
    """The exception's type and the innermost frame inside smtpcode: one crash site."""
    where = "?"
    for frame in traceback.extract_tb(error.__traceback__):
        if _PACKAGE in frame.filename:
            path = frame.filename[frame.filename.rfind(_PACKAGE) + 1 :]
            where = f"{path}:{frame.name}"
    return f"{type(error).__name__} at {where}"


def run_one(data: bytes, name: str = "fuzz") -> Outcome:
    started = time.perf_counter()
    scanner = Scanner(name)
    count = 0
    try:
        for reply in scanner.scan_stream(io.BytesIO(data)):
            json.dumps(diagnose(reply).to_dict())
            count += 1
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
    if seconds > time_limit(len(data)):
        return Outcome(count, seconds, "slow", f"{seconds:.1f} s for {len(data)} bytes")
    return Outcome(count, seconds, None)
