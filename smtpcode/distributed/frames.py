"""The findings of many files as a Dask bag or dataframe, for a Dask session of one's own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from smtpcode.distributed.sources import Source, expand, open_binary

# The columns of findings_frame(): Finding.to_dict() flattened (the meaning entries by
# their titles, the lists joined by line ends), with pandas dtypes.
FRAME_COLUMNS: dict[str, str] = {
    "input": "string",
    "line": "Int64",
    "time": "string",
    "text": "string",
    "basic": "string",
    "enhanced": "string",
    "class": "string",
    "reason": "string",
    "provider": "string",
    "reporter": "string",
    "remote_host": "string",
    "remote_mta": "string",
    "direction": "string",
    "recipient": "string",
    "command": "string",
    "retry": "boolean",
    "hard_bounce": "boolean",
    "lang": "string",
    "basic_meaning": "string",
    "enhanced_meaning": "string",
    "summary": "string",
    "advice": "string",
    "warnings": "string",
    "truncated": "boolean",
    "undefined": "string",
}


def file_findings(
    source: Source, fmt: str = "auto", lang: str | None = None
) -> list[dict[str, Any]]:
    """The findings of one file, as Finding.to_dict() gives them (a bag's partition), in
    the language `lang` (None: the worker's own)."""
    from smtpcode.api import parse
    from smtpcode.inputs import open_input, open_stream

    if lang is not None:
        from smtpcode.i18n import set_language

        set_language(lang)

    opened = (
        open_stream(open_binary(source), source.label, True)
        if source.remote
        else open_input(source.url, True)
    )
    try:
        return [f.to_dict() for f in parse(opened.stream, input_name=source.label, fmt=fmt)]
    finally:
        opened.close()


def flat(finding: dict[str, Any]) -> dict[str, Any]:
    """A finding's dict with FRAME_COLUMNS' columns."""
    row = {name: finding.get(name) for name in FRAME_COLUMNS}
    meaning = finding.get("meaning") or {}
    for part in ("basic", "enhanced"):
        entry = meaning.get(part)
        row[f"{part}_meaning"] = entry.get("title") if isinstance(entry, dict) else None
    row["warnings"] = "\n".join(finding.get("warnings") or ()) or None
    row["undefined"] = " ".join(finding.get("undefined") or ()) or None
    return row


def _frame(source: Source, fmt: str, lang: str | None) -> Any:
    import pandas as pd

    rows = [flat(f) for f in file_findings(source, fmt, lang)]
    frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
    return frame.astype(FRAME_COLUMNS)


def findings_bag(
    paths: str | Sequence[str],
    fmt: str = "auto",
    storage_options: dict[str, Any] | None = None,
    lang: str | None = None,
) -> Any:
    """The findings of files (paths, globs, URLs) as a dask.bag of dicts, one partition
    per file, each dict as Finding.to_dict() makes it (the JSON of `parse --json`), in
    the language `lang` (None: the current one, smtpcode.i18n)."""
    import dask.bag as db
    from dask import delayed  # type: ignore[attr-defined,unused-ignore]

    from smtpcode.i18n import language

    sources = expand([paths] if isinstance(paths, str) else paths, storage_options)
    lang = lang or language()
    return db.from_delayed([delayed(file_findings)(s, fmt, lang) for s in sources])  # type: ignore[no-untyped-call]


def findings_frame(
    paths: str | Sequence[str],
    fmt: str = "auto",
    storage_options: dict[str, Any] | None = None,
    lang: str | None = None,
) -> Any:
    """The findings of files as a dask.dataframe with the fixed columns of FRAME_COLUMNS
    (one partition per file), ready for .to_parquet(); texts in the language `lang`
    (None: the current one)."""
    import dask.dataframe as dd
    import pandas as pd

    from smtpcode.i18n import language

    sources = expand([paths] if isinstance(paths, str) else paths, storage_options)
    meta = pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in FRAME_COLUMNS.items()})
    return dd.from_map(  # type: ignore[no-untyped-call]
        _frame, sources, fmt=fmt, lang=lang or language(), meta=meta, enforce_metadata=False
    )
