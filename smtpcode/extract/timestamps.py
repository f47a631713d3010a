"""When a log line says it happened, as ISO 8601: read from the start of the line, cheaply
(it runs for every reply of a big log: slices and a dict, no regex, no datetime).

    Dec  4 10:00:00 host postfix/...           syslog: no year (see Clock)
    2026-12-04T10:00:00.123456+01:00 host ...  RFC 3339 (rsyslog's high-precision format)
    2026-12-04 10:00:00 1abc-... ...           Exim's main and reject logs
    @4000000069516f3c1d2e3f40 delivery ...     qmail's TAI64N labels (multilog)

A syslog line carries no year. It takes the year of its file (the year of the file's
last modification), or the current year for standard input; a month later than the
file's own month belongs to the year before (a log modified in January that starts in
December).
"""

from __future__ import annotations

import time as _time

MONTHS = {
    name: n
    for n, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_DIGITS = frozenset("0123456789")
# Distinct dates remembered per clock (a log spans a few days).
MAX_DATES = 366
MAX_STAMPS = 4096
# TAI64 labels count from 2**62; TAI is ahead of UTC by 37 s since 2017.
_TAI_BASE = 1 << 62
_TAI_UTC = 37


class Clock:
    """The year and month a syslog line without a year is read in, and the dates read."""

    __slots__ = ("dates", "month", "stamps", "year")

    def __init__(self, when: float | None = None) -> None:
        t = _time.localtime(when)
        self.year = t.tm_year
        self.month = t.tm_mon
        # "Dec  4" -> "2026-12-04T"
        self.dates: dict[str, str | None] = {}
        # "Dec  4 10:00:00" -> "2026-12-04T10:00:00": the lines of a busy log share
        # their second, and a lookup costs a third of reading the stamp.
        self.stamps: dict[str, str] = {}

    def syslog_date(self, head: str) -> str | None:
        date = self.dates.get(head)
        if date is None and head not in self.dates:
            if len(self.dates) >= MAX_DATES:
                self.dates.clear()
            date = self.dates[head] = self._date(head)
        return date

    def _date(self, head: str) -> str | None:
        month = MONTHS.get(head[:3])
        day = head[4:6].strip()
        if month is None or not day.isdigit() or not 1 <= int(day) <= 31:
            return None
        year = self.year - 1 if month > self.month else self.year
        return f"{year:04d}-{month:02d}-{int(day):02d}T"


def line_time(line: str, clock: Clock) -> str | None:
    """The time at the start of a log line, ISO 8601; None where it starts otherwise."""
    head = line[:15]
    stamp = clock.stamps.get(head)
    if stamp is not None:
        return stamp
    if len(line) < 15:
        return None
    c3 = line[3]
    if c3 == " " and line[6] == " " and line[9] == ":" and line[12] == ":":
        date = clock.syslog_date(line[:6])
        if date is None:
            return None
        if len(clock.stamps) >= MAX_STAMPS:
            clock.stamps.clear()
        stamp = clock.stamps[head] = date + line[7:15]
        return stamp
    if c3 in _DIGITS and line[4] == "-" and line[7] == "-" and line[13:14] == ":":
        sep = line[10]
        if sep == "T":
            end = line.find(" ", 19)
            return line[: end if end > 0 else len(line)]
        if sep == " " and line[16:17] == ":":
            return f"{line[:10]}T{line[11:19]}"
        return None
    if line[0] == "@" and len(line) >= 25:
        return tai64n(line[1:25])
    return None


def message_time(value: str | None) -> str | None:
    """An RFC 5322 date-time ("Thu, 4 Dec 2026 10:00:00 +0100", a Date or a DSN date
    field) as ISO 8601 with its offset; None when there is none or it cannot be read."""
    if not value:
        return None
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value.strip()).isoformat()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def tai64n(label: str) -> str | None:
    """A TAI64N label's 24 hex digits as UTC ISO 8601 (to the second)."""
    try:
        seconds = int(label[:16], 16) - _TAI_BASE - _TAI_UTC
    except ValueError:
        return None
    if not 0 <= seconds < 1 << 40:
        return None
    t = _time.gmtime(seconds)
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T"
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}Z"
    )
