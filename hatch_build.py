"""Wheel build hook: ships each data file with a JSON copy of it, so that smtpcode reads
the JSON (a few milliseconds) instead of parsing the YAML (tens) on every run, without
ever writing a cache in the user's home.

Each YAML file listed in DATA_FILES (globs relative to the repository's top) goes into the
wheel at smtpcode/<path>, and its checked JSON copy at smtpcode/_data/<path>.json; the
copy records the SHA-256 of the YAML, and smtpcode uses it only while they match
(smtpcode/datafiles.py). A file that fails its schema check (smtpcode/schemas.py, which
must know every file listed here) fails the build. A folder of files is one line, e.g.
"providers/*.yaml", with its schema in schemas.BY_FILE under the same pattern.

The program's messages (smtpcode/locale/<lang>/LC_MESSAGES/smtpcode.po, the source of
truth) are compiled to the .mo files the stdlib's gettext reads, by smtpcode.i18n's own
small writer (no build dependency); a checkout reads the .po itself.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

DATA_FILES = (
    "codes.yaml",
    "rules.yaml",
    "providers/*.yaml",
    # The texts in other languages (codes.de.yaml, rules.de.yaml, providers/de/*.yaml).
    "codes.*.yaml",
    "rules.*.yaml",
    "providers/*/*.yaml",
)
# The program's own messages: each .po is compiled to the .mo gettext reads beside it.
MESSAGE_CATALOGUES = "smtpcode/locale/*/LC_MESSAGES/*.po"


class DataCopies(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        self._scratch = Path(tempfile.mkdtemp(prefix="smtpcode-data-"))
        sys.path.insert(0, str(root))
        try:
            from smtpcode.datafiles import parse_yaml, prebuilt_record
            from smtpcode.i18n import read_po, write_mo
            from smtpcode.schemas import schema_for
        finally:
            sys.path.remove(str(root))
        include = build_data.setdefault("force_include", {})
        for pattern in DATA_FILES:
            sources = sorted(root.glob(pattern))
            if not sources:
                raise FileNotFoundError(f"no data file matches {pattern!r}")
            for source in sources:
                name = source.relative_to(root).as_posix()
                include[str(source)] = f"smtpcode/{name}"
                if version == "editable":
                    continue  # an editable install reads the YAML of the checkout
                raw = source.read_bytes()
                data = parse_yaml(raw, source, schema_for(name))
                copy = self._scratch / Path(name).with_suffix(".json")
                copy.parent.mkdir(parents=True, exist_ok=True)
                copy.write_text(prebuilt_record(raw, data), encoding="utf-8")
                include[str(copy)] = f"smtpcode/_data/{Path(name).with_suffix('.json').as_posix()}"
        if version == "editable":
            return  # a checkout reads the .po files themselves
        for po in sorted(root.glob(MESSAGE_CATALOGUES)):
            name = po.relative_to(root).with_suffix(".mo").as_posix()
            mo = self._scratch / name
            mo.parent.mkdir(parents=True, exist_ok=True)
            # A .po that does not parse fails the build, as a data file would.
            mo.write_bytes(write_mo(read_po(po.read_text(encoding="utf-8"))))
            include[str(mo)] = name

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        shutil.rmtree(self._scratch, ignore_errors=True)
