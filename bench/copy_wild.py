"""Copy the wild corpus's block files into tests/data/wild/, giving a block whose id an
earlier file already uses a suffix ("-2"), so that every id is unique.

    python bench/copy_wild.py /path/to/blocks-a.yaml /path/to/blocks-b.yaml
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

WILD = Path(__file__).resolve().parent.parent / "tests" / "data" / "wild"


def main(paths: list[str]) -> int:
    seen: set[str] = set()
    for name in paths:
        source = Path(name)
        text = source.read_text(encoding="utf-8")

        def unique(m: re.Match[str]) -> str:
            ident = m.group(1)
            if ident in seen:
                ident = next(f"{ident}-{k}" for k in range(2, 100) if f"{ident}-{k}" not in seen)
            seen.add(ident)
            return f"- id: {ident}"

        text = re.sub(r"(?m)^- id: (\S+)$", unique, text)
        yaml.safe_load(text)  # still the same blocks
        (WILD / source.name).write_text(text, encoding="utf-8")
    write_readme()
    print(f"{len(seen)} blocks")
    return 0


_INTRO = """\
# Wild corpus: replies as people paste them

Blocks of text that people pasted into public issue trackers, forums and Q&A threads
when a mail server said no: log lines of many MTAs, exception texts of mail libraries
in many languages, session transcripts, bounce text, webhook JSON, sentences quoting a
reply, and negatives (text with numbers that are not replies). Each block names the
public address it was taken from (`source`), the program or provider that produced it
(`program`) and a kind (`exception`, `log`, `transcript`, `ndr`, `json`, `quote`,
`prose`, `negative`).

The texts are kept as they were pasted; long pastes were cut to the part around the
replies and personal addresses replaced by example.com ones. The labels were written
by the smtpcode team.

## How the blocks are labelled

- `replies` lists every reply a mail server gave in the text, in the order they appear,
  each as its basic code (three digits, 2xx to 5xx) and its enhanced status
  (class.subject.detail); either may be null when the text has only the other.
- A reply counts once however often the text repeats it: an exception and its wrapper,
  a log line and the same reply in a JSON field, a status field beside the reply text,
  a code echoed on its own ("responseCode: 535"). A code the client expected ("expected
  250 but got 550") is not a reply.
- The lines of one multi-line reply ("550-5.1.1 ..." up to "550 5.1.1 ...") are one
  reply. When a relay quotes a remote server (a banner before the reply, a relay's own
  status around the remote reply), the remote server's reply is the one counted.
- A negative has no replies: ports, HTTP statuses, versions, times, queue ids, counts in
  prose and placeholders such as "5.X.X" are not replies.
- `reason` is the cause of the first failure in the block, in smtpcode's reason
  vocabulary (null for negatives).

The block files are copied here with `python bench/copy_wild.py FILE...`, which gives a
block whose id an earlier block already uses a suffix ("-2") and rewrites this README's
list of sources.

`known_misses.yaml` lists the blocks parse does not read right yet, with the reason and
what it gives today; tests/test_wild_corpus.py pins both. `python bench/wild_recall.py`
prints recall, precision and the negatives' figures.

## Sources

"""


def write_readme() -> None:
    rows = []
    for path in sorted(WILD.glob("blocks-*.yaml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            rows.append(
                f"| {block['id']} | {block['program']} | {block['kind']} | <{block['source']}> |"
            )
    table = "| block | program | kind | source |\n|---|---|---|---|\n" + "\n".join(rows) + "\n"
    (WILD / "README.md").write_text(_INTRO + table, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
