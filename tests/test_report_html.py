"""`parse --report html`: one self-contained file, every untrusted text escaped; and, in a
real headless browser (Debian's chromium), it renders, has its charts, and nothing is
wider than a 375 px phone screen.

The browser tests skip when chromium is not installed (it is no dependency of smtpcode);
CI installs it and sets SMTPCODE_BROWSER_TESTS=require, which turns the skip into a
failure.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
POSTFIX = DATA / "mta" / "logs" / "postfix.log"
BOUNCE = DATA / "bounces" / "rfc3464-35.eml"
REFERENCE = DATA / "report" / "report-375.png"
HOSTILE = (
    "550 5.7.1 <x@example.com> </td><script>alert(1)</script> "
    '<img src="http://example.com/x.png"> \x1b[31m&amp; "quoted"\n'
)


# A recipient far wider than a phone, with no place to break: it must wrap, not overflow.
LONG = (
    "Nov 29 00:41:05 mx postfix/smtp[7901]: 0A1B2C3D4E: to=<{}@example.com>, "
    "relay=mx.example.com[192.0.2.7]:25, delay=0.2, delays=0.1/0/0.05/0.05, dsn=5.1.1, "
    "status=bounced (host mx.example.com[192.0.2.7] said: 550 5.1.1 unknown user "
    "(in reply to RCPT TO command))\n"
).format("x" * 150)


@pytest.fixture
def report(run, tmp_path: Path) -> str:
    long = tmp_path / "long.log"
    long.write_text(LONG, encoding="utf-8")
    code, out, err = run("parse", "--report", "html", str(POSTFIX), str(BOUNCE), str(long))
    assert code == 0 and err == ""
    assert "x" * 150 + "@example.com" in out
    return out


def test_html_is_self_contained(report: str) -> None:
    assert report.startswith("<!DOCTYPE html>")
    assert '<meta name="viewport" content="width=device-width,initial-scale=1">' in report
    # nothing that would fetch or run anything
    assert not re.search(r"<(script|link|img|iframe)\b", report)
    assert not re.search(r"(src|href)=", report)
    assert "url(" not in report
    assert report.count('<svg class="chart"') == 2  # by reason, and over time
    assert '<h3>mailbox-full (58)</h3><p class="advice">' in report
    assert report.count("<tr><td>") > 200  # the findings, each a row


def test_html_escapes_untrusted_text(run, tmp_path: Path) -> None:
    hostile = tmp_path / '<i>x&y".log'
    hostile.write_text(HOSTILE, encoding="utf-8")
    code, out, _ = run("parse", "--report", "html", str(hostile))
    assert code == 0
    assert "<script>" not in out and "<img" not in out and "<i>" not in out
    assert "\x1b" not in out
    assert f"{tmp_path}/&lt;i&gt;x&amp;y&quot;.log:1" in out


# -- in a browser ----------------------------------------------------------------------


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("SMTPCODE_BROWSER_TESTS") == "require":
        pytest.fail("chromium is required (SMTPCODE_BROWSER_TESTS=require) but not installed")
    pytest.skip("chromium is not installed (apt-get install chromium)")


def _browse(tmp_path: Path, page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _measured(report: str) -> str:
    """A page holding the report, as it is, in a frame 375 px wide (a phone's screen;
    headless chromium keeps its own window at least 500 px wide), with a script that
    writes the frame's widths and the number of chart bars into the page once loaded."""
    from html import escape

    probe = (
        "var d=this.contentDocument.documentElement;"
        "document.body.setAttribute('data-widths',d.scrollWidth+' '+d.clientWidth+' '+"
        "d.querySelectorAll('svg.chart rect').length+' '+"
        "d.querySelectorAll('#chart-reasons,#chart-time').length+' '+"
        "Math.round(d.querySelector('#chart-reasons').getBoundingClientRect().width));"
    )
    return (
        '<!DOCTYPE html><html><body style="margin:0">'
        f'<iframe style="border:0" width="375" height="2000" onload="{probe}" '
        f'srcdoc="{escape(report)}"></iframe></body></html>'
    )


def test_html_renders_with_charts_and_fits_a_phone(report: str, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(_measured(report), encoding="utf-8")
    done = _browse(
        tmp_path, page, "--window-size=800,2000", "--virtual-time-budget=10000", "--dump-dom"
    )
    assert done.returncode == 0, done.stderr
    found = re.search(r'data-widths="(\d+) (\d+) (\d+) (\d+) (\d+)"', done.stdout)
    assert found, done.stdout[:500]
    scroll, client, bars, charts, chart_width = map(int, found.groups())
    assert client == 375
    assert scroll <= client  # nothing overflows sideways
    assert bars == 16 + 2  # 16 failure reasons, and the two days with failures
    assert charts == 2
    assert 300 <= chart_width <= 375  # drawn across the screen, not beyond it


def _png_size_and_colours(path: Path) -> tuple[int, int, int]:
    """Width, height and the number of distinct byte values of the image data (a blank
    page has a handful)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat = b""
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def test_screenshot_at_phone_width(report: str, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(report, encoding="utf-8")
    shot = tmp_path / "shot.png"
    done = _browse(tmp_path, page, "--window-size=375,2000", f"--screenshot={shot}")
    assert done.returncode == 0, done.stderr
    width, height, colours = _png_size_and_colours(shot)
    ref_width, ref_height, ref_colours = _png_size_and_colours(REFERENCE)
    assert (width, height) == (ref_width, ref_height) == (375, 2000)
    # Fonts differ between machines: only "not blank, like the reference" is asked.
    assert colours > 64 and ref_colours > 64
    assert shot.stat().st_size > REFERENCE.stat().st_size / 4
