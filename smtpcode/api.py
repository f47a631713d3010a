"""The public library API: the same answers as the command line."""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from smtpcode.codes import parse_query
from smtpcode.diagnose import diagnose
from smtpcode.records import Finding, Reply


def explain_query(query: str, lang: str | None = None) -> Finding:
    """Explain a code, a basic/enhanced pair or a whole reply, with its texts in `lang`
    ("en", "de"; by default the current language, see smtpcode.i18n.set_language).

    A provider's token ("TSS04", "RESOLVER.ADR.RecipientNotFound") is explained by the
    provider's meaning. Raises smtpcode.codes.CodeSyntaxError when the query is neither
    an SMTP code nor a known token, and smtpcode.i18n.LanguageError for a language
    smtpcode has no texts for.
    """
    from smtpcode.codes import CodeSyntaxError
    from smtpcode.i18n import LanguageError, language, normalise

    chosen = normalise(lang) if lang is not None else language()
    if chosen is None:
        raise LanguageError(lang)
    try:
        q = parse_query(query)
    except CodeSyntaxError:
        found = _token_finding(query, chosen)
        if found is None:
            raise
        return found
    reply = Reply(
        basic=q.basic.code if q.basic else None,
        enhanced=str(q.enhanced) if q.enhanced else None,
        text=q.text,
    )
    if lang is None:
        return diagnose(reply)
    from smtpcode.diagnose import get_diagnoser

    return get_diagnoser(chosen).diagnose(reply)


def _token_finding(query: str, lang: str) -> Finding | None:
    """The provider meaning of a token given on its own, or None when it is not one."""
    from smtpcode.provider_codes import get_layer

    vendor = get_layer(lang).token(query)
    if vendor is None:
        return None
    entry = vendor.entry
    return Finding(
        reply=Reply(basic=None, enhanced=None, text=None),
        klass=entry.klass,
        reason=vendor.reason,
        provider=vendor.provider,
        hard_bounce=None,
        retry={"transient": True, "permanent": False}.get(entry.klass or ""),
        basic_entry=None,
        enhanced_entry=None,
        advice=None,
        vendor_entry=entry,
        lang=lang,
    )


def find_replies(text: str) -> list[Finding]:
    """The replies in a pasted text (a log line, a bounce, an exception), found as
    `parse` finds them; the first few only."""
    from itertools import islice

    return list(islice(parse(text), MAX_PASTED))


# The most replies explain shows for one pasted text.
MAX_PASTED = 20

ParseSource = str | bytes | os.PathLike[str] | BinaryIO | Iterable[str] | Iterable[bytes]


def parse(
    source: ParseSource, *, input_name: str | None = None, fmt: str = "auto"
) -> Iterator[Finding]:
    """Find and explain every SMTP reply in a log, transcript, bounce or JSON event.

    `source` is a path (os.PathLike, e.g. pathlib.Path), the text itself (str or bytes),
    a binary stream, or an iterable of lines. Findings come as they are found, in input
    order; memory stays flat however long the input. `fmt` forces an input family (see
    smtpcode.extract.FORMATS); `input_name` is what findings give as their `input`.

    A path may be gzip, bzip2 or xz compressed. Raises OSError when a path cannot be
    opened.
    """
    from smtpcode.diagnosis_cache import DiagnosisCache
    from smtpcode.extract import Scanner

    if isinstance(source, os.PathLike):
        name = input_name if input_name is not None else os.fspath(source)
        return DiagnosisCache()(_path_replies(os.fspath(source), name, fmt))
    scanner = Scanner(input_name, fmt)
    if isinstance(source, str):
        replies = scanner.scan_stream(io.BytesIO(source.encode("utf-8", "surrogateescape")))
    elif isinstance(source, bytes | bytearray):
        replies = scanner.scan_stream(io.BytesIO(bytes(source)))
    elif hasattr(source, "read"):
        replies = scanner.scan_stream(source)  # type: ignore[arg-type]
    else:
        replies = scanner.scan_lines(_as_lines(source))  # type: ignore[arg-type]
    return DiagnosisCache()(replies)


def _path_replies(path: str, name: str | None, fmt: str) -> Iterator[Reply]:
    """The replies in a file (plain or compressed), opened when the first is asked for."""
    from smtpcode.extract import Scanner
    from smtpcode.inputs import open_input

    opened = open_input(path, read_binary=True)
    try:
        # Syslog lines take the year of the file (its last modification).
        yield from Scanner(name, fmt, os.path.getmtime(path)).scan_stream(opened.stream)
    finally:
        opened.close()


def _as_lines(lines: Iterable[str] | Iterable[bytes]) -> Iterator[bytes]:
    """Lines given one by one, with or without their line ends, as bytes."""
    for item in lines:
        raw = item.encode("utf-8", "surrogateescape") if isinstance(item, str) else item
        if b"\n" in raw or b"\r" in raw:
            yield from raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").rstrip(b"\n").split(b"\n")
        else:
            yield raw
