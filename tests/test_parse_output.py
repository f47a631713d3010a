"""What `parse` shows people: filters, groups, the summary (codes merged by form), times
on findings, and the Markdown report. Each on the shipped Postfix and Exim logs, whose
contents are known line by line."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from smtpcode import pipeline
from smtpcode.api import parse
from smtpcode.extract.timestamps import Clock, line_time, message_time, tai64n
from smtpcode.filters import Filter, make_filter, recipient_domain
from smtpcode.render.report_md import escape
from smtpcode.tally import Tally

DATA = Path(__file__).parent / "data"
POSTFIX = DATA / "mta" / "logs" / "postfix.log"
EXIM = DATA / "mta" / "logs" / "exim-mainlog"
BOUNCE = DATA / "bounces" / "rfc3464-35.eml"


def _json(run, *args: str, input: str | None = None) -> list[dict[str, object]]:
    _code, out, err = run("parse", "--json", *args, input=input)
    assert err == ""
    return [json.loads(line) for line in out.splitlines()]


# -- filters ---------------------------------------------------------------------------


def test_failures_keeps_transient_and_permanent_only(run) -> None:
    every = _json(run, str(POSTFIX))
    failed = _json(run, "--failures", str(POSTFIX))
    assert len(every) == 216 and len(failed) == 146
    assert {r["class"] for r in failed} == {"transient", "permanent"}
    assert failed == [r for r in every if r["class"] in ("transient", "permanent")]


def test_class_is_repeatable(run) -> None:
    rows = _json(run, "--class", "transient", str(POSTFIX))
    assert len(rows) == 36 and {r["class"] for r in rows} == {"transient"}
    both = _json(run, "--class", "transient", "--class", "success", str(POSTFIX))
    assert len(both) == 36 + 70


def test_reason_filter_and_a_wrong_reason(run) -> None:
    rows = _json(run, "--reason", "user-unknown", "--reason", "greylisted", str(POSTFIX))
    assert len(rows) == 16 + 18
    assert {r["reason"] for r in rows} == {"user-unknown", "greylisted"}
    code, _, err = run("parse", "--reason", "no-such-reason", str(POSTFIX))
    assert code == 2 and "'no-such-reason' is not a reason" in err


# Three deliveries, as a relay's log has them: the provider is told by the remote host.
PROVIDER_LOG = (
    "Dec  1 10:00:01 relay postfix/smtp[1]: 1A: to=<a@gmail.com>, "
    "relay=gmail-smtp-in.l.google.com[142.250.27.26]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, "
    "status=bounced (host gmail-smtp-in.l.google.com[142.250.27.26] said: 550-5.1.1 The email "
    "account that you tried to reach does not exist. (in reply to RCPT TO command))\n"
    "Dec  1 10:00:02 relay postfix/smtp[1]: 1B: to=<b@outlook.com>, "
    "relay=outlook-com.olc.protection.outlook.com[52.101.0.1]:25, delay=1, delays=0/0/0/1, "
    "dsn=5.5.0, status=bounced (host outlook-com.olc.protection.outlook.com[52.101.0.1] said: "
    "550 5.5.0 Requested action not taken: mailbox unavailable (in reply to RCPT TO command))\n"
    "Dec  1 10:00:03 relay postfix/smtp[1]: 1C: to=<c@gmail.com>, "
    "relay=gmail-smtp-in.l.google.com[142.250.27.26]:25, delay=1, delays=0/0/0/1, dsn=4.2.1, "
    "status=deferred (host gmail-smtp-in.l.google.com[142.250.27.26] said: 452-4.2.1 The "
    "recipient you are trying to reach is receiving mail too quickly. (in reply to RCPT TO "
    "command))\n"
)


def test_provider_filter(run, tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text(PROVIDER_LOG)
    rows = _json(run, "--provider", "google", str(log))
    assert [(r["line"], r["recipient"]) for r in rows] == [(1, "a@gmail.com"), (3, "c@gmail.com")]
    assert {r["provider"] for r in rows} == {"google"}
    rows = _json(run, "--provider", "microsoft", "--provider", "google", str(log))
    assert [r["line"] for r in rows] == [1, 2, 3]


def test_domain_filter_takes_subdomains_and_ignores_case(run) -> None:
    rows = _json(run, "--domain", "REMOTE.test", str(POSTFIX))
    assert len(rows) == 19
    assert all(str(r["recipient"]).lower().endswith("@remote.test") for r in rows)
    keep = make_filter(domains=["example.test"])
    assert keep == Filter(domains=("example.test",))
    # mx.example.test is a subdomain of example.test; "notexample.test" is not
    assert len(list(f for f in parse(POSTFIX) if keep(f))) == 152
    assert recipient_domain("<Bob@Sub.Example.COM.>") == "sub.example.com"
    assert recipient_domain("postmaster") is None


def test_filters_combine_and_apply_to_the_summary_and_rows_alike(run) -> None:
    args = ("--failures", "--domain", "remote.test", str(POSTFIX))
    rows = _json(run, *args)
    _code, out, _ = run("parse", "--summary", "--json", *args)
    summary = json.loads(out)
    assert summary["findings"] == len(rows) == 15
    by_reason = {item["reason"]: item["count"] for item in summary["by_reason"]}
    expected: dict[str, int] = {}
    for r in rows:
        expected[str(r["reason"])] = expected.get(str(r["reason"]), 0) + 1
    assert by_reason == expected
    _code, out, _ = run("parse", *args)
    assert len(out.splitlines()) == 15


def test_no_filter_means_no_keep() -> None:
    import pickle

    assert make_filter() is None
    # the options travel to worker processes (or a cluster) pickled
    keep = make_filter(True, ["permanent"], ["user-unknown"], ["google"], ["Example.COM"])
    assert pickle.loads(pickle.dumps(keep)) == keep
    assert keep == Filter(
        frozenset({"permanent"}),
        frozenset({"user-unknown"}),
        frozenset({"google"}),
        ("example.com",),
    )
    # --failures with a class that is no failure leaves nothing
    keep = make_filter(failures=True, classes=["success"])
    assert keep is not None and not any(keep(f) for f in parse(POSTFIX))


# -- groups ----------------------------------------------------------------------------


def test_group_by_domain(run) -> None:
    code, out, err = run("parse", "--failures", "--group-by", "domain", str(EXIM))
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == (
        "23 replies, 23 failures (100.0 %), 2026-11-29T00:38:09 to 2026-11-29T00:40:23"
    )
    assert lines[2].split("\t") == [
        "domain",
        "count",
        "share",
        "failures",
        "first",
        "last",
        "most common reply",
    ]
    assert lines[3].split("\t") == [
        "remote.test",
        "10",
        "43.5 %",
        "10",
        "2026-11-29T00:38:09",
        "2026-11-29T00:40:13",
        "451 4.7.1 The receiving server deferred the recipient: greylisting "
        "(a deliberate first-time deferral).",
    ]
    assert [line.split("\t")[:2] for line in lines[4:]] == [
        ["mx.example.test", "9"],
        ["(none)", "4"],
    ]


@pytest.mark.parametrize("by", ["recipient", "domain", "reason", "provider", "code"])
def test_every_grouping_adds_up_and_is_sorted(run, by: str) -> None:
    _code, out, _ = run("parse", "--json", "--group-by", by, str(POSTFIX))
    summary = json.loads(out)
    groups = summary["groups"]
    assert summary["group_by"] == by
    assert sum(g["count"] for g in groups) == 216
    counts = [g["count"] for g in groups]
    assert counts == sorted(counts, reverse=True)
    assert all(g["first"] <= g["last"] for g in groups)


def test_group_by_reason_counts_match_the_rows(run) -> None:
    rows = _json(run, str(POSTFIX))
    _code, out, _ = run("parse", "--json", "--group-by", "reason", str(POSTFIX))
    groups = {g["reason"]: g for g in json.loads(out)["groups"]}
    for reason, group in groups.items():
        mine = [r for r in rows if r["reason"] == reason]
        assert group["count"] == len(mine)
        assert group["first"] == min(str(r["time"]) for r in mine)
        assert group["last"] == max(str(r["time"]) for r in mine)
    assert groups["mailbox-full"]["count"] == 58
    assert groups["mailbox-full"]["reply"].startswith("5.2.2 ")


def test_group_by_code_merges_code_forms(run) -> None:
    _code, out, _ = run("parse", "--json", "--group-by", "code", str(POSTFIX))
    groups = {g["code"]: g["count"] for g in json.loads(out)["groups"]}
    assert groups["5.1.1"] == 13 and groups["2.0.0"] == 70
    assert not any(" " in key for key in groups)


def test_groups_merge_like_one_run() -> None:
    """Two halves of the findings tallied apart and merged give the whole's groups."""
    findings = list(parse(POSTFIX))
    whole = Tally(group_by="domain")
    first, second = Tally(group_by="domain"), Tally(group_by="domain")
    for i, finding in enumerate(findings):
        whole.add(finding)
        (first if i < 100 else second).add(finding)
    first.merge(second)
    assert first.to_dict() == whole.to_dict()


# -- the summary -----------------------------------------------------------------------


def test_summary_merges_basic_and_enhanced_forms_of_one_code() -> None:
    tally = Tally()
    for f in parse(POSTFIX):
        tally.add(f)
    lines = {line.key: line for line in tally.code_lines()}
    # 66 "2.0.0" (dsn= only) and 4 "250 2.0.0": one row, shown with its basic code
    assert "2.0.0" not in lines and lines["250 2.0.0"].count == 70
    assert lines["250 2.0.0"].title == "Other or undefined status"
    assert lines["550 5.1.1"].count == 13
    # a code without an enhanced partner stays itself
    assert lines["4.4.1"].count == 7
    assert sum(line.count for line in lines.values()) == 216


def test_summary_json_has_every_table(run) -> None:
    _code, out, _ = run("parse", "--summary", "--json", str(POSTFIX))
    summary = json.loads(out)
    assert summary["failures"] == 146 and summary["partial"] is False
    assert summary["by_code"][0] == {
        "code": "250 2.0.0",
        "count": 70,
        "title": "Other or undefined status",
        "share": 0.3241,
    }
    # The test servers answer from 127.0.0.1 with providers' wording: no provider.
    assert summary["by_provider"] == [{"provider": "(none)", "count": 216, "share": 1.0}]
    assert summary["by_domain"][0] == {"domain": "mx.example.test", "count": 152, "share": 0.7037}
    assert summary["top_failing_recipients"][0] == {
        "recipient": "root@mx.example.test",
        "count": 56,
        "share": 0.3836,
    }
    assert len(summary["top_failing_recipients"]) == 10


def test_summary_on_a_terminal_has_bars(run) -> None:
    code, out, _ = run("parse", "--summary", "--color", "always", str(EXIM), env={"COLUMNS": "80"})
    assert code == 0
    plain = [line.rstrip() for line in _strip(out).splitlines()]
    assert any(line.startswith("450 4.2.0") and line.endswith("█" * 7) for line in plain)
    assert all(len(line) <= 80 for line in plain)


def _strip(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)


# -- times -----------------------------------------------------------------------------


def test_line_times() -> None:
    clock = Clock(time.mktime((2026, 1, 3, 12, 0, 0, 0, 0, -1)))
    assert line_time("Jan  2 10:00:01 mx postfix/smtp[1]: x", clock) == "2026-01-02T10:00:01"
    # December in a file last modified in January: the year before
    assert line_time("Dec 31 23:59:59 mx postfix/smtp[1]: x", clock) == "2025-12-31T23:59:59"
    assert line_time("2026-11-29 00:38:09 1x-y ** a@b", clock) == "2026-11-29T00:38:09"
    assert (
        line_time("2026-11-29T00:38:09.123456+01:00 mx postfix/smtp[1]: x", clock)
        == "2026-11-29T00:38:09.123456+01:00"
    )
    assert line_time("@400000006528f0a20e1a2b3c delivery 1: failure: x", clock) == (
        "2023-10-13T07:23:41Z"
    )
    assert tai64n("zzzz") is None
    assert line_time("Foo  2 10:00:01 mx", clock) is None
    assert line_time("550 5.1.1 user unknown", clock) is None
    assert message_time("Sat, 29 Apr 1995 23:34:45 +0000") == "1995-04-29T23:34:45+00:00"
    assert message_time("not a date") is None


def test_a_syslog_line_takes_the_year_of_its_file(tmp_path: Path, run) -> None:
    copy = tmp_path / "mail.log"
    shutil.copy(POSTFIX, copy)
    when = time.mktime((2024, 12, 1, 0, 0, 0, 0, 0, -1))
    os.utime(copy, (when, when))
    rows = _json(run, str(copy))
    assert rows[0]["time"] == "2024-11-29T00:38:05"
    when = time.mktime((2025, 1, 2, 0, 0, 0, 0, 0, -1))
    os.utime(copy, (when, when))
    assert _json(run, str(copy))[0]["time"] == "2024-11-29T00:38:05"  # Nov is ahead of Jan


def test_a_compressed_log_takes_the_year_of_its_file(tmp_path: Path, run) -> None:
    import gzip

    packed = tmp_path / "mail.log.1.gz"
    packed.write_bytes(gzip.compress(POSTFIX.read_bytes()))
    when = time.mktime((2023, 12, 1, 0, 0, 0, 0, 0, -1))
    os.utime(packed, (when, when))
    assert _json(run, str(packed))[0]["time"] == "2023-11-29T00:38:05"


def test_bounce_times(run) -> None:
    rows = _json(run, str(BOUNCE))
    assert [r["time"] for r in rows] == ["1995-04-29T23:34:45+00:00"] * 3


def test_last_attempt_date_is_per_recipient(run) -> None:
    report = (
        "From: MAILER-DAEMON@example.net\nTo: a@example.org\nSubject: Undelivered Mail\n"
        "Date: Mon, 1 Dec 2025 10:00:00 +0000\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\nDelivery failed.\n\n"
        "--B\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.net\nArrival-Date: Mon, 1 Dec 2025 09:00:00 +0000\n\n"
        "Final-Recipient: rfc822; one@example.com\nAction: failed\nStatus: 5.1.1\n"
        "Last-Attempt-Date: Mon, 1 Dec 2025 09:30:00 +0000\n\n"
        "Final-Recipient: rfc822; two@example.com\nAction: failed\nStatus: 5.2.2\n\n--B--\n"
    )
    rows = _json(run, input=report)
    assert [(r["recipient"], r["time"]) for r in rows] == [
        ("one@example.com", "2025-12-01T09:30:00+00:00"),
        ("two@example.com", "2025-12-01T10:00:00+00:00"),
    ]


# -- interrupted runs, in-process ----------------------------------------------------


def test_an_interrupted_run_reports_partial_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while reading: the run stops, keeps what it counted, and says so."""
    from smtpcode import diagnosis_cache

    seen = 0
    real = diagnosis_cache.DiagnosisCache.__call__

    def interrupted(self, replies):  # type: ignore[no-untyped-def]
        nonlocal seen
        for finding in real(self, replies):
            seen += 1
            if seen > 50:
                raise KeyboardInterrupt
            yield finding

    monkeypatch.setattr(diagnosis_cache.DiagnosisCache, "__call__", interrupted)
    options = pipeline.ParseOptions(jobs=1, summary=True)
    report = pipeline.run([str(POSTFIX), str(EXIM)], options, None)
    assert report.interrupted and report.tally.partial
    assert report.tally.findings == 50 and report.tally.inputs == 1


# -- the Markdown report ---------------------------------------------------------------


def test_markdown_report(run) -> None:
    code, out, err = run("parse", "--report", "markdown", str(BOUNCE))
    assert code == 0 and err == ""
    assert out.startswith("# SMTP replies report\n\n3 replies, 3 failures (100.0 %), ")
    assert "| `550 5.0.0` | Other or undefined status | 2 | 66.7 % |" in out
    assert "## Failures by reason\n\n### network (1)\n\nA network, routing" in out
    rows = [line for line in out.splitlines() if "rfc3464-35.eml:" in line]
    assert rows[0] == (
        "| The receiving server rejected the message: the reply does not say why. "
        "| `550 5.0.0` | unknown | kijitora@nyaan.example.com "
        f"| {BOUNCE}:25 | 1995-04-29T23:34:45+00:00 |"
    )
    # every table row has as many cells as its header
    for block in out.split("\n\n"):
        if block.startswith("|"):
            widths = {line.count(" | ") for line in block.splitlines() if line.startswith("| ")}
            assert len(widths) == 1


def test_markdown_escapes_untrusted_text(run) -> None:
    data = "550 5.7.1 <a|b@example.com> *spam* [click](http://x) <script> `code`\n"
    code, out, _ = run("parse", "--report", "markdown", input=data)
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("| ") and "stdin" in line)
    assert row.count(" | ") == 5  # the pipe in the address does not add a cell
    assert "<script>" not in out and "](http" not in out
    assert escape("a|b *c* [d](e) <f> `g` \\") == ("a\\|b \\*c\\* \\[d\\](e) \\<f\\> \\`g\\` \\\\")


def test_report_refuses_other_outputs(run) -> None:
    code, _, err = run("parse", "--report", "html", "--json", str(BOUNCE))
    assert code == 2 and "--report" in err


# -- the README's terminal rows ----------------------------------------------------------


def test_readme_terminal_rows_are_what_a_terminal_shows() -> None:
    """The ```text block of README's parse section is the Rich rows at 80 columns."""
    import io
    import re

    from smtpcode.render.rich_out import RichRenderer

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```text\n\$ smtpcode parse (\S+)\n(.*?)```", readme, re.DOTALL)
    assert block is not None
    out = io.StringIO()
    renderer = RichRenderer(out, "never")
    renderer.console.width = 80
    source = Path(__file__).parent.parent / block.group(1)
    for finding in parse(source, input_name=block.group(1)):
        renderer.parse_row(finding)
    shown = "\n".join(line.rstrip() for line in out.getvalue().splitlines()) + "\n"
    assert shown == block.group(2)
    assert max(len(line) for line in shown.splitlines()) <= 80


def test_a_tally_pickles() -> None:
    """Workers and a cluster hand tallies back pickled."""
    import pickle

    tally = Tally(group_by="recipient")
    for finding in parse(POSTFIX):
        tally.add(finding)
    assert pickle.loads(pickle.dumps(tally)).to_dict() == tally.to_dict()


def test_groups_on_a_terminal_fit_80_columns(run) -> None:
    code, out, _ = run(
        "parse", "--color", "always", "--failures", "--group-by", "domain", str(EXIM),
        env={"COLUMNS": "80"},
    )  # fmt: skip
    assert code == 0
    lines = [line.rstrip() for line in _strip(out).splitlines()]
    assert all(len(line) <= 80 for line in lines)
    assert lines[2] == "remote.test      10  (43.5 %)  10 failed  2026-11-29 00:38:09 – 00:40:13"
    assert lines[3] == ("    451 4.7.1 The receiving server deferred the recipient: greylisting (a")
    assert lines[4] == "    deliberate first-time deferral)."


def test_readme_markdown_report_is_what_parse_writes(run, monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    monkeypatch.chdir(Path(__file__).parent.parent)
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```markdown\n(.*?)\.\.\.\n```", readme, re.DOTALL)
    assert block is not None
    code, out, _ = run("parse", "--report", "markdown", "tests/data/bounces/rfc3464-35.eml")
    assert code == 0
    assert out.startswith(block.group(1))
