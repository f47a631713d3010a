"""The data files (codes.yaml, rules.yaml): found, read and checked against their schema.

A bundled file is read from the JSON copy that the wheel's build hook (hatch_build.py)
made of it, when that copy records the SHA-256 of the YAML file beside it: parsing the
YAML costs tens of milliseconds per run, the JSON one. Otherwise (a checkout, an editable
install, a copy that does not match) the YAML itself is read with the C loader. Nothing is
written anywhere. A file named by an environment variable (SMTPCODE_CATALOGUE,
SMTPCODE_RULES) may keep a JSON copy in the cache directory (datacache.py).

Whatever the source, the data is checked against its schema (schemas.py) before use: an
unknown key is refused with file, line and key, a tampered copy is refused or ignored, and
YAML aliases are refused outright (an alias is the only way a small YAML file can expand
into an exponentially large structure).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from smtpcode.catalogue import CatalogueError
from smtpcode.schemas import Problem, Spec, check, schema_for

PACKAGE = Path(__file__).resolve().parent
PREBUILT = "_data"
# Bumped when the shape of a prebuilt copy changes.
FORMAT = 1
# The data files nest a few levels; far below what the C loader survives.
MAX_DEPTH = 64
SAFE_NESTING = 5_000


def bundled_path(name: str) -> Path:
    """A bundled data file: inside the package in a wheel, at the repository's top in a
    checkout."""
    for candidate in (PACKAGE / name, PACKAGE.parent / name):
        if candidate.is_file():
            return candidate
    raise CatalogueError(f"{name} not found beside {PACKAGE}")


def prebuilt_path(name: str) -> Path:
    """Where the wheel keeps the JSON copy of a bundled file ("codes.yaml" ->
    smtpcode/_data/codes.json)."""
    return PACKAGE / PREBUILT / Path(name).with_suffix(".json")


def prebuilt_record(raw: bytes, data: Any) -> str:
    """The text of a prebuilt copy: the data and the digest of the YAML it came from."""
    record = {"format": FORMAT, "sha256": hashlib.sha256(raw).hexdigest(), "data": data}
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    if json.loads(text)["data"] != data:
        # YAML has types JSON lacks (dates, numeric keys): the copy would differ.
        raise CatalogueError("the data does not survive a JSON round trip")
    return text


def load(name: str, env: str | None = None) -> Mapping[str, Any]:
    """The checked data of a data file: the one env names, else the bundled one."""
    spec = schema_for(name)
    configured = os.environ.get(env) if env else None
    if configured:
        from smtpcode.datacache import load_cached

        path = Path(configured)
        data = load_cached(path, lambda p: read_yaml(p, spec), lambda d: check(d, spec) is None)
        return data  # type: ignore[no-any-return]
    path = bundled_path(name)
    raw = _read(path)
    data = _prebuilt(name, raw)
    if data is not None and check(data, spec) is None:
        return data  # type: ignore[no-any-return]
    return parse_yaml(raw, path, spec)


def _prebuilt(name: str, raw: bytes) -> Any:
    """The prebuilt copy's data when it was made from exactly these YAML bytes."""
    try:
        with open(prebuilt_path(name), "rb") as fh:
            record = json.load(fh)
    except (OSError, ValueError, RecursionError):
        return None
    if (
        isinstance(record, dict)
        and record.get("format") == FORMAT
        and record.get("sha256") == hashlib.sha256(raw).hexdigest()
    ):
        return record.get("data")
    return None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CatalogueError(f"cannot read {path}: {exc.strerror}") from None


def read_yaml(path: Path, spec: Spec) -> Mapping[str, Any]:
    return parse_yaml(_read(path), path, spec)


def parse_yaml(raw: bytes, path: Path, spec: Spec) -> Mapping[str, Any]:
    """YAML bytes -> checked data; CatalogueError naming file and line otherwise."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        # An alias needs an anchor ('&name'): without a '&' byte there is none to find.
        # Nesting is bounded by the brackets plus the longest line (indentation and
        # "- - -" each take a column): below the bound the C loader is safe, above it
        # the events are read first (the C loader recurses per level and crashes the
        # interpreter somewhere past 10,000 levels).
        if b"&" in raw or _nesting_bound(raw) > SAFE_NESTING:
            _refuse_aliases_and_depth(yaml.parse(raw, Loader=loader), path)
        data = yaml.load(raw, Loader=loader)
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{path} is not valid YAML: {exc}") from None
    problem = check(data, spec)
    if problem is not None:
        line = _line_of(raw, problem, loader)
        raise CatalogueError(f"{path}:{line}: {problem.message} (at {_where(data, problem)})")
    return data  # type: ignore[no-any-return]


def _nesting_bound(raw: bytes) -> int:
    longest = max(map(len, raw.split(b"\n")), default=0)
    return raw.count(b"[") + raw.count(b"{") + longest


def _refuse_aliases_and_depth(events: Any, path: Path) -> None:
    import yaml

    depth = 0
    for event in events:
        if isinstance(event, yaml.AliasEvent):
            raise CatalogueError(f"{path}:{_line(event)}: YAML aliases are not allowed")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise CatalogueError(
                    f"{path}:{_line(event)}: nested more than {MAX_DEPTH} levels deep"
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _line(event: Any) -> int | str:
    return int(event.start_mark.line) + 1 if event.start_mark else "?"


def _where(data: Any, problem: Problem) -> str:
    """The path of a problem, naming entries by their code or id: basic[12] (550).fix."""
    out = ""
    for step in problem.path:
        if isinstance(step, int):
            out += f"[{step}]"
            data = data[step] if isinstance(data, list) else None
            if isinstance(data, dict):
                label = data.get("code", data.get("id"))
                if isinstance(label, str | int):
                    out += f" ({label})"
        else:
            out += f".{step}" if out else step
            data = data.get(step) if isinstance(data, dict) else None
    return out or "the top level"


def _line_of(raw: bytes, problem: Problem, loader: Any) -> int | str:
    """The line of the YAML text a problem's path leads to (its key, for an unknown key).
    Only called when a check failed, so the node tree costs nothing on a normal start."""
    import yaml

    node = yaml.compose(raw, Loader=loader)
    for n, step in enumerate(problem.path):
        last = n == len(problem.path) - 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if str(key.value) == str(step):
                    if last and problem.unknown_key:
                        return int(key.start_mark.line) + 1
                    node = value
                    break
            else:
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            node = node.value[step]
        else:
            break
    return int(node.start_mark.line) + 1 if node is not None else "?"


def build_copies(root: Path, patterns: tuple[str, ...]) -> list[Path]:
    """Writes the prebuilt JSON copy of each data file matching `patterns` (globs below
    `root`, a checkout) where a wheel keeps them, smtpcode/_data/: what the wheel's build
    hook does, for a checkout that should start as fast as an installed wheel (the
    benchmarks). The copies are used only while they match their YAML."""
    written = []
    for pattern in patterns:
        for source in sorted(root.glob(pattern)):
            name = source.relative_to(root).as_posix()
            raw = source.read_bytes()
            data = parse_yaml(raw, source, schema_for(name))
            copy = PACKAGE / PREBUILT / Path(name).with_suffix(".json")
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text(prebuilt_record(raw, data), encoding="utf-8")
            written.append(copy)
    return written
