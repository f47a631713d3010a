"""Peak memory stays bounded whatever one reply holds: a multi-line reply of 300 lines of
1 MB each (produced as it is read, never held by the test) is cut to what a reply keeps,
and the process's peak memory grows by less than 100 MB. Measured in a child process,
whose peak (getrusage) owes nothing to the test run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import io, json, resource, sys

from smtpcode.diagnose import diagnose
from smtpcode.extract import Scanner

LINE = 1 << 20


class Lines(io.RawIOBase):
    # count lines "550-xxx...x" of LINE bytes, then "550 end": made as they are read.
    def __init__(self, count):
        self.left = count
        self.buffer = b""

    def readable(self):
        return True

    def readinto(self, out):
        if not self.buffer:
            if self.left > 0:
                self.left -= 1
                self.buffer = b"550-" + b"x" * (LINE - 5) + b"\n"
            elif self.left == 0:
                self.left -= 1
                self.buffer = b"550 end\n"
            else:
                return 0
        n = min(len(out), len(self.buffer))
        out[:n] = self.buffer[:n]
        self.buffer = self.buffer[n:]
        return n


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Everything loaded first (catalogue, rules, one reply diagnosed): the baseline.
for reply in Scanner("warm").scan_stream(io.BytesIO(b"550-a\n550 b\n")):
    json.dumps(diagnose(reply).to_dict())
before = peak_mb()
found = []
for reply in Scanner("big").scan_stream(io.BufferedReader(Lines(300), 1 << 16)):
    finding = diagnose(reply)
    json.dumps(finding.to_dict())
    found.append((reply.basic, len(reply.text or ""), reply.text.count("\n"), reply.truncated))
print(json.dumps({"growth_mb": peak_mb() - before, "replies": found}))
"""


def test_a_reply_of_300_lines_of_1_mb_stays_under_100_mb() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHILD],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=True,
    )
    report = json.loads(result.stdout)
    # One reply, cut to the bounds a reply keeps (64 KB of text; the lines after that are
    # read and dropped), and said to be cut.
    assert report["replies"] == [["550", 64 * 1024, 0, True]]
    assert report["growth_mb"] < 100, report["growth_mb"]
