"""JSON lines: one object per line, nothing else on stdout."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from collections.abc import Sequence

    from smtpcode.catalogue import Entry
    from smtpcode.compare import Comparison
    from smtpcode.records import Finding


def dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))


class JsonRenderer:
    def __init__(self, stream: TextIO) -> None:
        self.out = stream

    def explain(self, finding: Finding) -> None:
        self.out.write(dumps(finding.to_dict()) + "\n")

    def compare(self, comparison: Comparison) -> None:
        self.out.write(dumps(comparison.to_dict()) + "\n")

    def entries(self, entries: Sequence[Entry]) -> None:
        for entry in entries:
            self.out.write(dumps(entry.to_dict()) + "\n")

    def close(self) -> None:
        self.out.flush()
