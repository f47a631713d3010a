"""Data files the user names (SMTPCODE_CATALOGUE, SMTPCODE_RULES), read through a JSON
copy kept in the user's cache directory. The bundled files never come here: the wheel
ships their JSON copy (datafiles.py), so running smtpcode writes nothing for them.

Parsing the YAML costs tens of milliseconds per run, even with the C loader; the same
data as JSON loads in a few. The copy is used only while the YAML file keeps the size and
modification time it had when the copy was made; otherwise the YAML is read again and the
copy rewritten. A copy that cannot be read, parsed or written is ignored: the cache only
ever saves time. JSON, not marshal or pickle, so that a tampered cache file can give
wrong data at worst, never run code or crash the interpreter; and the caller's check (the
file's schema) decides whether a copy may be used at all, so a tampered one is read again
from the YAML.

SMTPCODE_CACHE_DIR names the directory; set to an empty value, no cache is used.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

ENV_CACHE_DIR = "SMTPCODE_CACHE_DIR"
# Bumped when what is stored changes shape.
FORMAT = 1


def cache_dir() -> Path | None:
    """Where the copies go: SMTPCODE_CACHE_DIR, else $XDG_CACHE_HOME/smtpcode, else
    ~/.cache/smtpcode; None when caching is turned off."""
    configured = os.environ.get(ENV_CACHE_DIR)
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "smtpcode"


def load_cached(path: Path, parse: Callable[[Path], Any], valid: Callable[[Any], bool]) -> Any:
    """parse(path), or the data it gave last time while the file has not changed and the
    copy is valid."""
    where = cache_dir()
    try:
        stat = os.stat(path)
    except OSError:
        return parse(path)  # which reports the error
    if where is None:
        return parse(path)
    stamp = [FORMAT, str(path), stat.st_size, stat.st_mtime_ns]
    # Named after the path (the stamp holds it whole: two paths that share a name only
    # rewrite each other's copy).
    name = zlib.crc32(str(path).encode("utf-8", "surrogateescape"))
    copy = where / f"{path.stem}-{name:08x}.json"
    try:
        with open(copy, "rb") as fh:
            stored = json.load(fh)
        if isinstance(stored, dict) and stored.get("stamp") == stamp and valid(stored["data"]):
            return stored["data"]
    except (OSError, ValueError, KeyError, RecursionError):
        pass
    data = parse(path)
    _store(copy, {"stamp": stamp, "data": data}, data)
    return data


def _store(copy: Path, record: dict[str, Any], data: Any) -> None:
    """Writes the copy, whole or not at all, when JSON gives back exactly this data
    (YAML has types JSON lacks: dates, non-string keys)."""
    try:
        text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        if json.loads(text)["data"] != data:
            return
        copy.parent.mkdir(parents=True, exist_ok=True)
        temporary = copy.with_name(f"{copy.name}.{os.getpid()}.tmp")
        try:
            temporary.write_text(text, encoding="utf-8")
            os.replace(temporary, copy)
        finally:
            temporary.unlink(missing_ok=True)
    except (OSError, TypeError, ValueError):
        pass
