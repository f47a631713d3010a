"""How many of the replies in real pasted text `smtpcode parse` finds.

    python bench/wild_recall.py            # figures over tests/data/wild/
    python bench/wild_recall.py --misses   # and every block whose replies differ

The wild corpus (tests/data/wild/, see its README) is blocks of text people pasted into
public issue trackers and Q&A threads, each labelled with the replies it holds, in
order, as (basic, enhanced) pairs. Each block is parsed on its own, as a user would
paste it. Per block, a found reply matches a labelled one with the same pair (each used
once); recall is matched / labelled, precision matched / found, and a negative block is
clean when nothing is found in it.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
WILD = ROOT / "tests" / "data" / "wild"

Pair = tuple[str | None, str | None]


def load_blocks(folder: Path = WILD) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for path in sorted(folder.glob("blocks-*.yaml")):
        blocks.extend(yaml.safe_load(path.read_text(encoding="utf-8")) or [])
    return blocks


def labelled(block: dict[str, Any]) -> list[Pair]:
    return [(r.get("basic"), r.get("enhanced")) for r in block.get("replies") or []]


def found(text: str) -> list[Pair]:
    """The (basic, enhanced) pairs parse finds in one pasted text, in order."""
    from smtpcode.extract import Scanner

    stream = io.BytesIO(text.encode("utf-8", "surrogateescape"))
    return [(r.basic, r.enhanced) for r in Scanner("<paste>").scan_stream(stream)]


def main() -> int:
    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--misses", action="store_true", help="show blocks that differ")
    args = parser.parse_args()
    blocks = load_blocks()
    per_kind: dict[str, Counter[str]] = {}
    total: Counter[str] = Counter()
    differ = []
    for block in blocks:
        want = labelled(block)
        got = found(block["text"])
        matched = sum((Counter(want) & Counter(got)).values())
        tally = per_kind.setdefault(block["kind"], Counter())
        for t in (tally, total):
            t["blocks"] += 1
            t["labelled"] += len(want)
            t["found"] += len(got)
            t["matched"] += matched
            t["exact"] += want == got
            if block["kind"] == "negative":
                t["negatives"] += 1
                t["clean"] += not got
        if want != got:
            differ.append((block["id"], want, got))
    print(f"{'kind':<12}{'blocks':>7}{'exact':>7}{'recall':>9}{'precision':>11}")
    for kind, t in [*sorted(per_kind.items()), ("all", total)]:
        print(
            f"{kind:<12}{t['blocks']:>7}{t['exact']:>7}"
            f"{_share(t['matched'], t['labelled']):>9}{_share(t['matched'], t['found']):>11}"
        )
    print(
        f"replies labelled {total['labelled']}, found {total['found']}, matched "
        f"{total['matched']}; negatives clean {total['clean']}/{total['negatives']}"
    )
    if args.misses:
        for ident, want, got in differ:
            print(f"{ident}: want {want} got {got}")
    return 0


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "-"


if __name__ == "__main__":
    raise SystemExit(main())
