"""Throughput and memory of `smtpcode parse` on a realistic Postfix log.

    python bench/bench_parse.py                  # 1,000,000 lines, 3 runs each
    python bench/bench_parse.py --lines 200000 --runs 5
    python bench/bench_parse.py --keep           # leave the generated log in bench/out/

Generates a day's log of a busy outbound relay (a quarter of the lines carry a reply:
deliveries sent, deferred and bounced with the remote servers' words, NOQUEUE rejects;
the rest is smtpd connect/disconnect, cleanup, qmgr and TLS chatter), then times
`smtpcode parse --json`, `smtpcode parse` (plain text) and, for scale, `grep -c` on
the same file, with the default --jobs (one process per CPU) and with --jobs 1. Peak
memory is the largest resident set size among the processes of one run.

Diagnosis overhead: `smtpcode parse --json --jobs 1` run in one process, once as it is
and once with diagnosis replaced by reading the codes alone (each reply still gets its
class and the catalogue's meanings, as `parse` without diagnosis would show, but no
reason, provider, advice or summary, and rules.yaml is never loaded). The figure is the
extra time as a share of the codes-only run: the median, over several pairs of runs
made one after the other, of the pair's ratio. These runs are timed in CPU time (the
process's own), which a shared machine disturbs less than wall-clock time. As the
machine's busy spells still move that figure by several points, the same two ways of
making rows are also timed in one process, taking turns on the replies of the log's
first 250,000 lines: the extra time per reply, times the log's replies, plus loading
the rules, as a share of the codes-only run. For scale it
also prints the library's parse() against its extractors alone (no findings, no
rendering at all), where everything that makes a finding counts as overhead.

Before timing, the package's modules are compiled to bytecode, as `pip install` does:
with PYTHONDONTWRITEBYTECODE set, an editable install would otherwise compile every
module on each run.

Targets: >= 300,000 lines/s with --json, peak memory < 80 MB, diagnosis adding at most
20 %. The machine may be shared: several runs are made and the best and the median
reported.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
TARGET_LINES_PER_S = 300_000
TARGET_PEAK_MB = 80
TARGET_DIAGNOSIS_SHARE = 0.20

# In-process runs for the diagnosis overhead: argv[1] is the log; each prints seconds.
_START = """
import sys, time
t = time.process_time()
"""
_RUN_PARSE_JSON = """
from smtpcode import cli
sys.argv = ["smtpcode", "parse", "--json", "--jobs", "1", sys.argv[1]]
try:
    cli.main()
except SystemExit:
    pass
print(time.process_time() - t, file=sys.stderr)
"""
# Each finding made from the codes alone: what `parse` costs without diagnosis (the same
# class and meanings; no rules loaded, no text read), its JSON rows templated per pair
# of codes as the real run templates them per reply shape.
_CODES_ONLY = """
from functools import lru_cache
from smtpcode import diagnosis_cache
from smtpcode.catalogue import get_catalogue
from smtpcode.codes import CLASS_BY_DIGIT
from smtpcode.records import FINDING_REST, finding_with

# A finding's fields when nothing is diagnosed.
_BLANK = dict.fromkeys(FINDING_REST)
_BLANK.update(reason="unknown", warnings=(), undefined=(), evidence=(), lang="en")

@lru_cache(maxsize=1024)
def meanings(basic, enhanced):
    b, e, undefined = get_catalogue().meanings(basic, enhanced)
    return b, e, undefined, CLASS_BY_DIGIT.get((basic or enhanced or "?")[0])

def codes_only(self, reply):
    b, e, undefined, klass = meanings(reply.basic, reply.enhanced)
    values = dict(_BLANK, klass=klass, basic_entry=b, enhanced_entry=e, undefined=undefined)
    return finding_with(reply, tuple(values[name] for name in FINDING_REST))

# Rows as DiagnosisCache.rows() makes them, from a template per pair of codes.
def codes_only_rows(self, replies, encoder):
    templates = {}
    for reply in replies:
        key = (reply.basic, reply.enhanced, reply.command, reply.reporter)
        template = templates.get(key)
        if template is None:
            finding = codes_only(None, reply)
            template = encoder.template(finding) or encoder.template(finding)
            if template is None:
                yield encoder.line(finding)
                continue
            templates[key] = template
        yield encoder.fill(template, reply)
"""
_CODES_ONLY_PATCH = """
diagnosis_cache.DiagnosisCache.finding = codes_only
diagnosis_cache.DiagnosisCache.rows = codes_only_rows
"""
_PARSE_JSON = _START + _RUN_PARSE_JSON
_PARSE_JSON_CODES_ONLY = _START + _CODES_ONLY + _CODES_ONLY_PATCH + _RUN_PARSE_JSON
# The same two ways of making rows, in one process, taking turns on the replies of the
# log's first lines (read once): what diagnosis adds per reply, with the diagnosis caches
# started afresh each turn, and the rules' loading. Prints: replies, best seconds of the
# codes-only turns, of the diagnosis turns, and the rules' loading.
_SAME_PROCESS = (
    _START
    + _CODES_ONLY
    + """
import io, itertools
from smtpcode import diagnose
from smtpcode.extract import Scanner
from smtpcode.rows import FindingEncoder
with open(sys.argv[1], "rb") as f:
    head = b"".join(itertools.islice(f, 250_000))
replies = list(Scanner(sys.argv[1]).scan_stream(io.BytesIO(head)))
t = time.process_time()
diagnose.get_rules()
rules = time.process_time() - t

codes, diagnosed = [], []
for _ in range(7):
    t = time.process_time()
    for _ in codes_only_rows(None, replies, FindingEncoder()):
        pass
    codes.append(time.process_time() - t)
    diagnose._diagnoser.cache_clear()
    t = time.process_time()
    for _ in diagnosis_cache.DiagnosisCache().rows(replies, FindingEncoder()):
        pass
    diagnosed.append(time.process_time() - t)
print(len(replies), min(codes), min(diagnosed), rules, file=sys.stderr)
"""
)
_EXTRACT_ONLY = """
import sys, time
t = time.process_time()
from smtpcode.extract import Scanner
with open(sys.argv[1], "rb") as f:
    for _ in Scanner(sys.argv[1]).scan_stream(f):
        pass
print(time.process_time() - t, file=sys.stderr)
"""
_LIBRARY_PARSE = """
import sys, time
t = time.process_time()
from pathlib import Path
from smtpcode import parse
for _ in parse(Path(sys.argv[1])):
    pass
print(time.process_time() - t, file=sys.stderr)
"""

# (relay host, ip, reply when deferred, reply when bounced) of common providers.
PROVIDERS = [
    (
        "gmail-smtp-in.l.google.com",
        "142.250.27.26",
        "421-4.7.28 Gmail has detected an unusual rate of unsolicited mail originating "
        "from your IP address. To protect our users from spam, mail sent from your IP "
        "address has been temporarily rate limited. 421 4.7.28 For more information, go "
        "to https://support.google.com/mail/?p=UnsolicitedRateLimitError - gsmtp",
        "550-5.1.1 The email account that you tried to reach does not exist. Please try "
        "550-5.1.1 double-checking the recipient's email address for typos or 550-5.1.1 "
        "unnecessary spaces. For more information, go to 550 5.1.1 "
        "https://support.google.com/mail/?p=NoSuchUser a1-20020a17090 - gsmtp",
    ),
    (
        "example-com.mail.protection.outlook.com",
        "52.101.68.10",
        "451 4.7.500 Server busy. Please try again later from [198.51.100.7]. "
        "(S77719) [AM4PEPF00027A6C.eurprd04.prod.outlook.com]",
        "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302) "
        "[DB3PEPF0000885B.eurprd02.prod.outlook.com]",
    ),
    (
        "mta7.am0.yahoodns.net",
        "67.195.204.72",
        "421 4.7.0 [TSS04] Messages from 198.51.100.7 temporarily deferred due to "
        "unexpected volume or user complaints - 4.16.55.1; see "
        "https://postmaster.yahooinc.com/error-codes",
        "554 5.7.9 Message not accepted for policy reasons.  See "
        "https://postmaster.yahooinc.com/error-codes",
    ),
    (
        "mx01.mail.icloud.com",
        "17.57.155.23",
        "450 4.2.1 <user@icloud.com>: Recipient address rejected: Mailbox busy",
        "550 5.1.1 <user@icloud.com>: user does not exist",
    ),
    (
        "mx.example.org",
        "203.0.113.25",
        "450 4.2.0 <user@example.org>: Recipient address rejected: Greylisted, see "
        "http://postgrey.schweikert.ch/help/example.org.html",
        "552 5.2.2 <user@example.org>: Recipient address rejected: Mailbox full",
    ),
]
REJECTS = [
    "554 5.7.1 Service unavailable; Client host [{ip}] blocked using zen.spamhaus.org; "
    "https://www.spamhaus.org/query/ip/{ip}",
    "450 4.7.25 Client host rejected: cannot find your hostname, [{ip}]",
    "550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in virtual mailbox table",
    "554 5.7.1 <{rcpt}>: Relay access denied",
    "450 4.1.8 <{sender}>: Sender address rejected: Domain not found",
]
WORDS = [
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "grace",
    "heidi",
    "ivan",
    "judy",
    "mallory",
    "oscar",
    "peggy",
    "trent",
]


def _qid(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789ABCDEF") for _ in range(11))


def _ip(rng: random.Random) -> str:
    return (
        f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    )


def generate(path: Path, lines: int, seed: int = 25) -> None:
    """Write a Postfix log of `lines` lines; about a quarter carry a reply."""
    rng = random.Random(seed)
    clock = 0
    pid_smtpd, pid_smtp, pid_cleanup, pid_qmgr = 4121, 5230, 4410, 1203
    written = 0
    with path.open("w", encoding="utf-8") as out:
        while written < lines:
            clock += rng.randint(0, 2)
            hour, minute, second = (clock // 3600) % 24, (clock // 60) % 60, clock % 60
            stamp = f"Nov 29 {hour:02d}:{minute:02d}:{second:02d} relay1"
            qid = _qid(rng)
            ip = _ip(rng)
            client = f"client{rng.randint(1, 9999)}.example.net[{ip}]"
            sender = f"{rng.choice(WORDS)}@shop.example.com"
            smtpd = f"{stamp} postfix/smtpd[{pid_smtpd + rng.randint(0, 40)}]:"
            smtp = f"{stamp} postfix/smtp[{pid_smtp + rng.randint(0, 40)}]:"
            block = [f"{smtpd} connect from {client}"]
            if rng.random() < 0.15:
                # A client refused by our own server: NOQUEUE reject, no queue file.
                rcpt = f"{rng.choice(WORDS)}{rng.randint(1, 99999)}@example.org"
                reply = rng.choice(REJECTS).format(ip=ip, rcpt=rcpt, sender=sender)
                block += [
                    f"{smtpd} NOQUEUE: reject: RCPT from {client}: {reply}; "
                    f"from=<{sender}> to=<{rcpt}> proto=ESMTP helo=<client.example.net>",
                    f"{smtpd} disconnect from {client} ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4",
                ]
            else:
                block += [
                    f"{smtpd} {qid}: client={client}, sasl_method=PLAIN, sasl_username=app",
                    f"{stamp} postfix/cleanup[{pid_cleanup}]: {qid}: "
                    f"message-id=<{rng.getrandbits(64):x}@shop.example.com>",
                    f"{stamp} postfix/qmgr[{pid_qmgr}]: {qid}: from=<{sender}>, "
                    f"size={rng.randint(900, 90000)}, nrcpt=3 (queue active)",
                    f"{smtpd} disconnect from {client} "
                    "ehlo=1 auth=1 mail=1 rcpt=3 data=1 quit=1 commands=8",
                ]
                for _ in range(rng.choice((1, 2, 2, 3, 3))):
                    block += _delivery(rng, smtp, qid, stamp)
                block.append(f"{stamp} postfix/qmgr[{pid_qmgr}]: {qid}: removed")
            if rng.random() < 0.2:
                block.append(
                    f"{stamp} postfix/anvil[{pid_qmgr + 9}]: statistics: max connection rate "
                    f"3/60s for (smtp:{ip}) at Nov 29 {hour:02d}:{minute:02d}:{second:02d}"
                )
            for line in block[: lines - written]:
                out.write(line + "\n")
            written += min(len(block), lines - written)


def _delivery(rng: random.Random, smtp: str, qid: str, stamp: str) -> list[str]:
    """One recipient's delivery attempt, with the chatter around it."""
    domain = rng.choice(("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "example.org"))
    rcpt = f"{rng.choice(WORDS)}{rng.randint(1, 99999)}@{domain}"
    host, hip, deferred, bounced = rng.choice(PROVIDERS)
    relay = f"relay={host}[{hip}]:25"
    delays = f"delay={rng.uniform(0.1, 9):.1f}, delays=0.02/0.01/0.3/{rng.uniform(0.1, 2):.2f}"
    roll = rng.random()
    lines = []
    if rng.random() < 0.3:
        lines.append(
            f"{smtp} Trusted TLS connection established to {host}[{hip}]:25: "
            "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"
        )
    if roll < 0.62:
        lines.append(
            f"{smtp} {qid}: to=<{rcpt}>, {relay}, {delays}, dsn=2.0.0, status=sent "
            f"(250 2.0.0 OK  {rng.randint(10**9, 10**10)} "
            f"{_qid(rng).lower()}{rng.randint(100, 999)}si.{rng.randint(1, 99)} - gsmtp)"
        )
    elif roll < 0.80:
        lines.append(
            f"{smtp} {qid}: to=<{rcpt}>, {relay}, {delays}, dsn=4.7.0, status=deferred "
            f"(host {host}[{hip}] said: {deferred} (in reply to RCPT TO command))"
        )
    elif roll < 0.85:
        lines.append(
            f"{smtp} {qid}: to=<{rcpt}>, relay=none, delay=30, delays=0/0/30/0, dsn=4.4.1, "
            f"status=deferred (connect to {host}[{hip}]:25: Connection timed out)"
        )
    else:
        lines.append(
            f"{smtp} {qid}: to=<{rcpt}>, {relay}, {delays}, dsn=5.1.1, status=bounced "
            f"(host {host}[{hip}] said: {bounced} (in reply to RCPT TO command))"
        )
        lines.append(
            f"{stamp} postfix/bounce[6120]: {qid}: sender non-delivery notification: {_qid(rng)}"
        )
    return lines


def _run(argv: list[str], stdout: int | None = subprocess.DEVNULL) -> tuple[float, str]:
    # grep must not write to /dev/null: GNU grep then stops at the first match.
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=stdout, stderr=subprocess.PIPE, check=False, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr}")
    return elapsed, done.stdout if stdout == subprocess.PIPE else ""


def _peak_mb(argv: list[str]) -> float:
    """The largest resident set among the processes of one run of argv (its workers
    are reaped by it, and wait4 reports the maximum over them), in MB (Linux: KiB)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.execvp(argv[0], argv)
    _, _, usage = os.wait4(pid, 0)
    return usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the generated log")
    args = ap.parse_args(argv)

    OUT.mkdir(exist_ok=True)
    log = OUT / f"postfix-{args.lines}.log"
    # A log that was there already (kept by an earlier run) is used and left alone.
    created = not log.exists()
    if created:
        generate(log, args.lines)
    _compile_package()
    smtpcode = shutil.which("smtpcode") or ""
    base = [smtpcode] if smtpcode else [sys.executable, "-m", "smtpcode"]
    _, found = _run(["grep", "-c", "-E", "status=|reject:", str(log)], subprocess.PIPE)
    size_mb = log.stat().st_size / 1e6
    print(f"{log.name}: {args.lines:,} lines, {size_mb:.0f} MB, {int(found):,} lines with a reply")

    cases = [
        ("smtpcode parse --json", [*base, "parse", "--json", str(log)]),
        ("  --json --jobs 1", [*base, "parse", "--json", "--jobs", "1", str(log)]),
        ("smtpcode parse (plain)", [*base, "parse", str(log)]),
        ("  plain --jobs 1", [*base, "parse", "--jobs", "1", str(log)]),
        ("grep -c", ["grep", "-c", "-E", "status=|reject:", str(log)]),
    ]
    ok = True
    best_by_label = {}
    for label, cmd in cases:
        out = subprocess.PIPE if cmd[0] == "grep" else subprocess.DEVNULL
        times = [_run(cmd, out)[0] for _ in range(args.runs)]
        best, median = min(times), statistics.median(times)
        best_by_label[label] = best
        peak = _peak_mb(cmd)
        rate = args.lines / best
        print(
            f"{label:<24} best {best:6.2f} s  median {median:6.2f} s  "
            f"{rate:>12,.0f} lines/s  peak {peak:5.1f} MB"
        )
        if label == "smtpcode parse --json":
            ok = rate >= TARGET_LINES_PER_S and peak < TARGET_PEAK_MB
    # Paired: the two runs of a pair follow each other (in turns, which goes first), so a
    # shared machine's slow and fast spells hit both alike; the figure is the median of
    # the pairs' ratios.
    rounds = max(args.runs, 9)
    codes_only, diagnosed, ratio = _paired(_PARSE_JSON_CODES_ONLY, _PARSE_JSON, log, rounds)
    share = ratio - 1
    print(
        f"diagnosis: parse --json --jobs 1 takes {codes_only:.2f} s of CPU reading the codes "
        f"alone, {diagnosed:.2f} s with diagnosis (medians): {share:+.0%} "
        f"(median of {rounds} pairs)"
    )
    n, codes_s, diagnosed_s, rules_s = _same_process(log)
    per_reply = (diagnosed_s - codes_s) / n
    added = per_reply * int(found) + rules_s
    print(
        f"  in one process, taking turns: {per_reply * 1e6:.2f} µs more per reply and "
        f"{rules_s * 1000:.0f} ms for the rules: {added:.2f} s on this log, "
        f"{added / codes_only:+.0%} of the codes-only run"
    )
    extracted, parsed, ratio = _paired(_EXTRACT_ONLY, _LIBRARY_PARSE, log, rounds)
    print(
        f"  for scale, the library: extractors alone {extracted:.2f} s, parse() with its "
        f"findings {parsed:.2f} s: {ratio - 1:+.0%}"
    )
    ok = ok and share <= TARGET_DIAGNOSIS_SHARE
    print(
        f"target: >= {TARGET_LINES_PER_S:,} lines/s with --json, < {TARGET_PEAK_MB} MB, "
        f"diagnosis <= +{TARGET_DIAGNOSIS_SHARE:.0%}: {'met' if ok else 'NOT met'}"
    )
    if created and not args.keep:
        log.unlink()
    return 0 if ok else 1


def _paired(first: str, second: str, log: Path, rounds: int) -> tuple[float, float, float]:
    """Medians of two in-process runs made in pairs, and the median of second / first."""
    pairs = []
    for i in range(rounds):
        if i % 2:
            b, a = _in_process(second, log), _in_process(first, log)
        else:
            a, b = _in_process(first, log), _in_process(second, log)
        pairs.append((a, b))
    return (
        statistics.median(a for a, _ in pairs),
        statistics.median(b for _, b in pairs),
        statistics.median(b / a for a, b in pairs),
    )


def _same_process(log: Path) -> tuple[int, float, float, float]:
    n, codes, diagnosed, rules = _stderr_of(_SAME_PROCESS, log).split()
    return int(n), float(codes), float(diagnosed), float(rules)


def _in_process(code: str, log: Path) -> float:
    return float(_stderr_of(code, log).strip().splitlines()[-1])


def _stderr_of(code: str, log: Path) -> str:
    """What a Python script run on the log writes to stderr (its stdout is dropped)."""
    with open(os.devnull, "wb") as devnull:
        done = subprocess.run(
            [sys.executable, "-c", code, str(log)],
            stdout=devnull,
            stderr=subprocess.PIPE,
            text=True,
            check=True,
        )
    return done.stderr


def _compile_package() -> None:
    """Bytecode for every module of the package, where pip install would have put it,
    and, in a checkout, the JSON copies of the data files the wheel's build makes."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("smtpcode")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            compileall.compile_dir(folder, quiet=1)
    root = Path(__file__).resolve().parent.parent
    if (root / "hatch_build.py").is_file() and (root / "smtpcode").is_dir():
        sys.path.insert(0, str(root))
        from hatch_build import DATA_FILES
        from smtpcode.datafiles import build_copies

        build_copies(root, DATA_FILES)


if __name__ == "__main__":
    raise SystemExit(main())
