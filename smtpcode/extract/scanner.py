"""Detect what an input is and stream its replies: the one entry point of extract/.

An input is read as lines. At its start (and at every mbox "From " separator) the
scanner decides whether a whole document follows: an email (a bounce, a delivery
status notification, a postmaster notice) or a JSON document. Everything else is read
line by line; each line goes to the first family whose cheap `claims` test accepts it,
trying first the family that claimed the previous line (a log is one family throughout).
While nothing is pending, that family may read a stretch of its lines at once (bulk,
see _numbered): in a big log it steps over the lines that quote nothing.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Iterator
from functools import cache, partial
from itertools import chain
from typing import TYPE_CHECKING, BinaryIO, cast

from smtpcode.extract import bounce, esp_json
from smtpcode.extract.finder import (
    MAX_PARAGRAPH,
    Finder,
    continues_reply,
    notice_open,
    said_block_open,
)
from smtpcode.extract.mime import is_mbox_from
from smtpcode.extract.reader import MAX_LINE, iter_blocks
from smtpcode.extract.session import Session
from smtpcode.formats import FAMILIES, FORMATS
from smtpcode.records import Problem

if TYPE_CHECKING:
    from smtpcode.extract.base import LineFamily
    from smtpcode.extract.session import Session
    from smtpcode.records import Reply


@cache
def _reader_classes() -> tuple[type[LineFamily], ...]:
    """The line reader of every family that reads lines, in smtpcode.formats' order."""
    classes: list[type[LineFamily]] = []
    for family in FAMILIES:
        if family.reader is not None:
            module, name = family.reader.split(":")
            classes.append(getattr(importlib.import_module(module), name))
    return tuple(classes)


# Families whose replies may repeat what another reader reported just before.
_ECHOING = frozenset(
    ("dsn", "embedded", "exception", "reply", "transcript", "exim", "sendmail", "opensmtpd")
)

# A header field name as an email's first line has it; most bounces start with one of
# these, a mailbox file with "From ".
_HEADER = re.compile(rb"[A-Za-z][A-Za-z0-9-]{0,76}:")
_EMAIL_HEADERS = frozenset(
    b"return-path received delivered-to x-original-to from to subject date message-id "
    b"mime-version content-type reply-to sender envelope-to auto-submitted "
    b"dkim-signature authentication-results errors-to precedence thread-topic "
    b"reporting-mta final-recipient original-recipient arrival-date".split()
)
# A message in a mailbox is cut off beyond this size or this many lines; the rest of
# it (a returned attachment) is read and dropped. Each line kept costs some 150 bytes
# besides its text once decoded: a message of a million short lines took 250 MB.
MAX_MESSAGE = 8 << 20
MAX_MESSAGE_LINES = 50_000
# A JSON document that spans lines is parsed whole up to this size and this many lines
# (each line held costs some 120 bytes besides its text); a larger one is read line by
# line instead.
MAX_JSON_DOCUMENT = 4 << 20
MAX_JSON_LINES = 100_000


def _starts_email(line: bytes) -> bool:
    if line.startswith(b"From ") and not line.startswith(b"From: "):
        return True
    m = _HEADER.match(line)
    if m is None:
        return False
    name = m.group()[:-1].lower()
    return name in _EMAIL_HEADERS or name.startswith((b"x-", b"arc-"))


class Scanner:
    """Streams the replies of one input."""

    def __init__(
        self, input_name: str | None = None, fmt: str = "auto", when: float | None = None
    ) -> None:
        """`when`: the modification time of the input, whose year syslog lines take."""
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
        self.input = input_name
        self.fmt = fmt
        allowed = FORMATS[fmt]
        self.families = [
            reader() for reader in _reader_classes() if not allowed or reader.name in allowed
        ]
        self.session = Session(input_name, when)
        # What could not be read (a line, an email, a JSON document), recorded by the
        # guards below so that the rest of the input is still read.
        self.problems: list[Problem] = []
        # For reading in chunks (smtpcode.parallel): lines no family took, and whether
        # the input ended with a line-local family reading and nothing pending.
        self.strays = 0
        self.resumable = False
        # Replies found anywhere in the lines no family took (extract/finder).
        self.finder = Finder(self.session) if fmt == "auto" else None
        # Whether the open paragraph holds a "said:" quote (see _joins).
        self._quotes_said = False

    # -- entry points -----------------------------------------------------------------

    def scan_stream(self, stream: BinaryIO) -> Iterator[Reply]:
        hint = _Bulk(self.session)
        return self._scan(_lines_of(_numbered(iter_blocks(stream, MAX_LINE), hint)), hint)

    def scan_lines(self, lines: Iterable[bytes]) -> Iterator[Reply]:
        return self._scan(enumerate(lines, 1), None)

    def scan_parts(self, parts: Iterable[tuple[BinaryIO, int, bool]]) -> Iterator[Reply]:
        """One input given as consecutive parts: (stream, number of its first line,
        whether its start decides the line ends, as an input's start does)."""
        hint = _Bulk(self.session)
        numbered = chain.from_iterable(
            _numbered(iter_blocks(stream, MAX_LINE, detect), hint, first)
            for stream, first, detect in parts
        )
        return self._scan(_lines_of(numbered), hint)

    def scan_log(self, stream: BinaryIO, first_line: int = 1) -> Iterator[Reply]:
        """The replies in a stretch of a log whose first line is `first_line`: read line
        by line from there, as what precedes it had set the line ends and the reading."""
        hint = _Bulk(self.session)
        numbered = _lines_of(
            _numbered(iter_blocks(stream, MAX_LINE, detect_cr=False), hint, first_line)
        )
        first = next(numbered, None)
        if first is not None:
            yield from self._lines(first[0], first[1], numbered, hint)

    def _scan(self, numbered: Iterator[tuple[int, bytes]], hint: _Bulk | None) -> Iterator[Reply]:
        first: tuple[int, bytes] | None = None
        for lineno, line in numbered:
            if line.strip():
                first = (lineno, line)
                break
        if first is None:
            return
        lineno, line = first
        fmt = self.fmt
        if fmt == "bounce" or (fmt == "auto" and _starts_email(line)):
            yield from self._mailbox(lineno, line, numbered)
        elif fmt == "json" or (fmt == "auto" and _starts_json_document(line)):
            yield from self._json_document(lineno, line, numbered, hint)
        else:
            yield from self._lines(lineno, line, numbered, hint)

    def scan_numbered(self, lines: Iterable[tuple[int, bytes]]) -> Iterator[Reply]:
        """Replies in lines that already carry their line numbers, read line by line."""
        numbered = iter(lines)
        first = next(numbered, None)
        if first is not None:
            yield from self._lines(first[0], first[1], numbered)

    # -- line by line ------------------------------------------------------------------

    def _lines(
        self,
        lineno: int,
        line: bytes,
        rest: Iterator[_Item],
        hint: _Bulk | None = None,
    ) -> Iterator[Reply]:
        families = self.families
        session = self.session
        sticky = families[0]
        take = sticky.take
        auto = self.fmt == "auto"
        # Lines no family took, read by the finder a paragraph at a time (extract/finder).
        finder = self.finder
        stray: list[tuple[int, bytes]] = []
        # Whether the sticky family may read stretches of lines at once (see _numbered).
        bulks = hint is not None and sticky.bulks
        for n, raw in chain([(lineno, line)], rest):
            # One line that an extractor cannot read (a bug meeting odd input) is
            # recorded and skipped: the rest of the input is still read.
            try:
                if isinstance(raw, list):
                    # Replies the sticky family read in bulk, the last on line n.
                    if stray:
                        yield from self._paragraph(stray)
                    session.note(raw, n)
                    if finder is not None:
                        finder.noted(raw, sticky.name)
                    yield from raw
                    continue
                if stray and self._joins(raw, n, sticky, stray):
                    # Only lines no family claims join the paragraph; the others end it.
                    stray.append((n, raw))
                    self._quotes_said = self._quotes_said or _quotes_said(raw)
                    if len(stray) >= MAX_PARAGRAPH:
                        yield from self._paragraph(stray)
                    continue
                if stray:
                    yield from self._paragraph(stray)
                out = take(raw, n, session)
                if out is None:
                    for family in families:
                        if family is not sticky:
                            out = family.take(raw, n, session)
                            if out is not None:
                                sticky, take = family, family.take
                                bulks = hint is not None and family.bulks
                                if hint is not None and not bulks:
                                    hint.family = None
                                break
                    else:
                        # Nobody's line. The finder reads it with the lines around it; in
                        # a forced format it ends a reply being assembled.
                        self.strays += 1
                        if finder is None and (
                            session.code is not None or session.held is not None
                        ):
                            flushed = session.flush()
                            session.note(flushed, n)
                            yield from flushed
                        if auto and raw.startswith(b"From ") and _mbox_from(raw):
                            if hint is not None:
                                hint.family = None
                            if stray:
                                yield from self._paragraph(stray)
                            yield from session.flush()
                            # Only lines come once no family reads in bulk.
                            yield from self._mailbox(
                                n, raw, cast("Iterator[tuple[int, bytes]]", rest)
                            )
                            return
                        quoted = _unquoted(raw)
                        if quoted is not None:
                            out = self._quoted(quoted, n)
                            if out is not None:
                                session.note(out, n)
                                yield from out
                                continue
                        if finder is not None:
                            stray.append((n, raw))
                            self._quotes_said = _quotes_said(raw)
                        if bulks:
                            hint.family = sticky  # type: ignore[union-attr]
                        continue
                if (session.code is not None or session.held is not None) and not sticky.assembles:
                    # A reply pending from an earlier line comes first.
                    out = session.flush() + out
                if finder is not None and not sticky.line_local:
                    # Only the families that re-read what a bounce or a log already said
                    # (a Diagnostic-Code after the "said:" text) may repeat another's reply.
                    if sticky.name in _ECHOING:
                        out = finder.unechoed(out, sticky.name)
                        held = session.held
                        if held is not None and finder.is_echo(held, sticky.name):
                            session.held = None
                    elif out:
                        finder.noted(out, sticky.name)
                elif finder is not None and out:
                    if finder.foreign_near(sticky.name, n):
                        # a log line after a paste's prose that quoted its reply
                        out = finder.unechoed(out, sticky.name)
                    else:
                        finder.noted(out, sticky.name)
                if out:
                    session.note(out, n)
                    yield from out
                if bulks:
                    # Only while nothing is pending may lines be read in bulk: what each
                    # gives is then what the sticky family's take() gives for it alone.
                    idle = session.code is None and session.held is None
                    hint.family = sticky if idle else None  # type: ignore[union-attr]
            except Exception as exc:
                self.problems.append(Problem(self.input, n, why(exc)))
                _drop_pending(session)
                stray.clear()
                if hint is not None:
                    hint.family = None
        try:
            if stray:
                yield from self._paragraph(stray)
            self.resumable = sticky.line_local and session.code is None and session.held is None
            tail = session.flush()
            if finder is not None:
                finder.noted(tail, "session")
                yield from finder.codeless_left()
            yield from tail
        except Exception as exc:
            self.problems.append(Problem(self.input, n, why(exc)))

    def _guarded(self, replies: Callable[[], Iterable[Reply]], line: int) -> Iterator[Reply]:
        """The replies of one document (an email, what is pending at the end); what its
        extractor raises is recorded against it, and the next document is read."""
        try:
            yield from replies()
        except Exception as exc:
            self.problems.append(Problem(self.input, line, why(exc)))

    def _joins(
        self, raw: bytes, n: int, sticky: LineFamily, stray: list[tuple[int, bytes]]
    ) -> bool:
        """Whether a line joins the open paragraph: no family claims it or, quoted,
        its inner line; and it starts no message of a mailbox. The lines of a bounce's
        quote folded over lines ("host X said:" up to "(in reply to ...)") always do."""
        if (self._quotes_said and said_block_open(stray)) or continues_reply(stray[-1][1], raw):
            return True
        if notice_open(stray, raw):
            # The address also tells an NDR reader whose diagnostic line comes next.
            for family in self.families:
                if family.name == "exchange" and family.claims(raw):
                    family.take(raw, n, self.session)
            return True
        if self._claimed(raw, sticky):
            return False
        if raw.startswith(b"From ") and _mbox_from(raw):
            return False
        quoted = _unquoted(raw)
        return quoted is None or not self._claimed(quoted, sticky)

    def _claimed(self, raw: bytes, sticky: LineFamily) -> bool:
        """Whether a family would take the line (asked while a paragraph is open)."""
        if sticky.claims(raw) and sticky.keeps(raw, self.session):
            return True
        return any(f.claims(raw) and f.keeps(raw, self.session) for f in self.families)

    def _paragraph(self, stray: list[tuple[int, bytes]]) -> Iterator[Reply]:
        """What the finder reads in a paragraph of lines no family took; empties it."""
        assert self.finder is not None
        found = self.finder.paragraph(stray)
        last = stray[-1][0]
        stray.clear()
        self._quotes_said = False
        self.session.note(found, last)
        return iter(found)

    def _quoted(self, inner: bytes, n: int) -> list[Reply] | None:
        """A line quoted in a mail ("> Status: 5.1.1", "> 550 ..."): read as its inner
        line by the family that takes that, if one does."""
        for family in self.families:
            out = family.take(inner, n, self.session)
            if out is not None:
                return out
        return None

    # -- documents ---------------------------------------------------------------------

    def _mailbox(
        self, lineno: int, line: bytes, rest: Iterator[tuple[int, bytes]]
    ) -> Iterator[Reply]:
        """One email or an mbox stream of them; each message is read whole, then parsed."""
        start = lineno
        message: list[bytes] = [] if line.startswith(b"From ") else [line]
        if line.startswith(b"From "):
            start += 1
        size = len(line)
        previous_blank = False
        for lineno, line in rest:
            if previous_blank and line.startswith(b"From ") and _mbox_from(line):
                read = partial(bounce.extract, message, start, self.input)
                yield from self._guarded(read, start)
                message, start, size = [], lineno + 1, 0
                previous_blank = False
                continue
            previous_blank = not line
            if size < MAX_MESSAGE and len(message) < MAX_MESSAGE_LINES:
                message.append(line)
                size += len(line) + 1
        yield from self._guarded(partial(bounce.extract, message, start, self.input), start)

    def _json_document(
        self,
        lineno: int,
        line: bytes,
        rest: Iterator[tuple[int, bytes]],
        hint: _Bulk | None,
    ) -> Iterator[Reply]:
        buffered = [(lineno, line)]
        size = len(line)
        for item in rest:
            buffered.append(item)
            size += len(item[1]) + 1
            if size > MAX_JSON_DOCUMENT or len(buffered) > MAX_JSON_LINES:
                break
        else:
            try:
                found = esp_json.extract_document(
                    b"\n".join(b for _, b in buffered), buffered[0][0], self.input
                )
            except Exception as exc:  # recorded: the document is not read, the run goes on
                self.problems.append(Problem(self.input, buffered[0][0], why(exc)))
                return
            # A document with no field we know is read line by line: the finder may
            # still see a reply in one of its values.
            if found:
                yield from found
                return
        # Too large or not JSON after all: read it line by line.
        replay = iter(buffered[1:])
        chained = chain(replay, rest)
        yield from self._lines(buffered[0][0], buffered[0][1], chained, hint)


# A numbered line, or the replies a family read in bulk with the number of the last line
# that gave one (see _numbered).
_Item = tuple[int, "bytes | list[Reply]"]


class _Bulk:
    """Which family may read lines in bulk: set by the scanner after each line it reads."""

    __slots__ = ("family", "session")

    def __init__(self, session: Session) -> None:
        self.family: LineFamily | None = None  # the sticky family, while it may
        self.session = session


def why(exc: BaseException) -> str:
    """What went wrong, in one line: the exception and where in smtpcode it was raised."""
    import traceback

    where = ""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if "smtpcode" in frame.filename:
            where = f" (in {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})"
            break
    text = str(exc)[:200]
    return f"{type(exc).__name__}: {text}{where}" if text else f"{type(exc).__name__}{where}"


def _drop_pending(session: Session) -> None:
    """Forgets what a failed line left half-assembled."""
    session.code = None
    session.lines = []
    session.held = None


def _lines_of(items: Iterator[_Item]) -> Iterator[tuple[int, bytes]]:
    """The items as lines: until the scanner sets a family reading in bulk, all are."""
    return cast("Iterator[tuple[int, bytes]]", items)


def _numbered(blocks: Iterable[bytes], hint: _Bulk, first: int = 1) -> Iterator[_Item]:
    """Numbered lines from blocks of LF-ended lines (reader.iter_blocks).

    While the scanner allows it (hint.family), that family reads a stretch of lines at
    once, and what comes is (number of the last line with replies, the list of replies)
    instead of a line: most lines of a big log give nothing, and finding the others a
    block at a time with bytes.find costs a fraction of a loop over every line.
    """
    n = first
    session = hint.session
    for block in blocks:
        pos = 0
        end = len(block)
        while pos < end:
            family = hint.family
            if family is not None:
                try:
                    replies, pos, n, last = family.bulk(block, pos, n, session)
                except Exception:
                    # Read line by line from here: the line that failed is recorded there.
                    hint.family = None
                    replies = []
                if replies:
                    yield last, replies
                if pos >= end:
                    break
            nl = block.find(b"\n", pos)
            yield n, block[pos:nl]
            n += 1
            pos = nl + 1


def starts_document(line: bytes) -> bool:
    """Whether an input whose first non-blank line this is holds a whole document (an
    email or mailbox, a JSON document) rather than lines read one by one."""
    return _starts_email(line) or _starts_json_document(line)


def _starts_json_document(line: bytes) -> bool:
    head = line.lstrip()
    return head[:1] in (b"{", b"[") and not _is_json(head)


def _is_json(line: bytes) -> bool:
    """Whether one line holds a whole JSON value (JSON lines rather than a document)."""
    return esp_json.load(line) is not esp_json.NOT_JSON


def _quotes_said(line: bytes) -> bool:
    return b"said:" in line or b"talk to me:" in line


def _unquoted(line: bytes) -> bytes | None:
    """A line of mail quoting ("> text", ">> text") without its quote marks."""
    if line[:1] != b">":
        return None
    inner = line.lstrip(b">")
    if inner[:1] == b" ":
        inner = inner[1:]
    return inner if inner.strip() else None


def _mbox_from(line: bytes) -> bool:
    return is_mbox_from(line[:400].decode("latin-1"))


def scan(stream: BinaryIO, input_name: str | None = None, fmt: str = "auto") -> Iterator[Reply]:
    """Every reply in a binary stream, in input order, as it is read."""
    return Scanner(input_name, fmt).scan_stream(stream)
