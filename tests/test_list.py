"""`smtpcode list`: masks, status filters, and the three outputs."""

from __future__ import annotations

import json
import re

import pytest

from smtpcode.browse import Mask, MaskError, list_entries, parse_mask
from smtpcode.catalogue import STATUSES, get_catalogue

CAT = get_catalogue()
BASIC = [e.code for e in CAT.basic_entries()]
DETAILS = [e.code for e in CAT.enhanced_entries()]  # "X.1.1"


def codes(mask: str | None, *statuses: str) -> list[str]:
    return [e.code for e in list_entries(parse_mask(mask) if mask else None, statuses)]


@pytest.mark.parametrize(
    ("text", "enhanced", "parts"),
    [
        ("5xx", False, ("5", None, None)),
        ("55x", False, ("5", "5", None)),
        ("5", False, ("5", None, None)),
        ("55", False, ("5", "5", None)),
        ("550", False, ("5", "5", "0")),
        ("x5x", False, (None, "5", None)),
        ("4.7.x", True, ("4", "7", None)),
        ("x.7.x", True, (None, "7", None)),
        ("X.7.X", True, (None, "7", None)),
        ("5.1.*", True, ("5", "1", None)),
        ("5.1", True, ("5", "1", None)),
        ("5.1.1", True, ("5", "1", "1")),
    ],
)
def test_parse_mask(text: str, enhanced: bool, parts: tuple[str | None, ...]) -> None:
    assert parse_mask(text) == Mask(text, enhanced, parts)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("6xx", "a basic reply code starts with 1 to 5"),
        ("5555", "a basic mask is up to three digits or x"),
        ("5y", "a basic mask is up to three digits or x"),
        ("3.1.x", "class is 2, 4 or 5"),
        ("5.a.x", "'a' is neither a number nor x"),
        ("5..1", "an enhanced mask is class.subject.detail"),
        ("5.1.1.1", "an enhanced mask is class.subject.detail"),
        ("", "empty mask"),
    ],
)
def test_bad_masks(text: str, why: str) -> None:
    with pytest.raises(MaskError) as exc:
        parse_mask(text)
    assert why in exc.value.why


def test_no_mask_lists_every_code_once() -> None:
    assert codes(None) == BASIC + DETAILS


def test_basic_masks() -> None:
    assert codes("5xx") == [c for c in BASIC if c[0] == "5"]
    assert codes("5") == codes("5xx") == codes("5XX") == codes("5**")
    assert codes("55x") == [c for c in BASIC if c.startswith("55")]
    assert "550" in codes("55x") and "450" not in codes("55x")
    assert codes("x5x") == [c for c in BASIC if c[1] == "5"]
    assert codes("550") == ["550"]


def test_enhanced_mask_with_class_resolves_codes() -> None:
    found = list_entries(parse_mask("4.7.x"))
    assert [e.code for e in found] == ["4" + c[1:] for c in DETAILS if c.startswith("X.7.")]
    assert {e.klass for e in found} == {"transient"}
    # Resolved through the catalogue, with the class's own texts where it has them.
    assert found[1] == CAT.enhanced("4.7.1")


def test_enhanced_mask_without_class() -> None:
    assert codes("x.7.x") == [c for c in DETAILS if c.startswith("X.7.")]
    assert (
        codes("5.1.*")
        == codes("5.1.x")
        == codes("5.1")
        == ["5" + c[1:] for c in DETAILS if c.startswith("X.1.")]
    )
    assert codes("x.x.1") == [c for c in DETAILS if c.endswith(".1")]


@pytest.mark.parametrize("status", STATUSES)
def test_status_filter(status: str) -> None:
    found = list_entries(None, [status])
    assert found and {e.status for e in found} == {status}
    assert len(found) == sum(1 for e in list_entries() if e.status == status)


def test_status_filter_combines_with_mask() -> None:
    assert codes("5xx", "folklore", "vendor") == [
        e.code
        for e in CAT.basic_entries()
        if e.code[0] == "5" and e.status in ("folklore", "vendor")
    ]


# -- the command ---------------------------------------------------------------------

ROW = re.compile(r"^(\S+)( +)(\S+)( +)(\S+)( +)(\S.*)$")


def test_cli_plain_columns(run) -> None:
    code, out, err = run("list", "55x")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == codes("55x")
    rows = [ROW.match(line) for line in lines]
    assert all(rows)
    # Aligned: every column starts at the same offset on every line.
    starts = {(m.start(3), m.start(5), m.start(7)) for m in rows if m}
    assert len(starts) == 1
    first = rows[0]
    assert first is not None
    e = CAT.basic("550")
    assert e is not None
    assert (first[1], first[3], first[5], first[7]) == ("550", "permanent", e.status, e.title)


def test_cli_plain_any_class(run) -> None:
    _, out, _ = run("list", "x.1.x")
    assert out.splitlines()[0].split()[:2] == ["X.1.0", "any"]


def test_cli_json(run) -> None:
    code, out, err = run("list", "--json", "4.7.x", "--status", "extension")
    assert code == 0 and err == ""
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["code"] for r in rows] == codes("4.7.x", "extension")
    assert {r["status"] for r in rows} == {"extension"}
    assert set(rows[0]) >= {
        "code",
        "title",
        "class",
        "description",
        "when",
        "fix",
        "status",
        "rfcs",
        "related",
    }


def test_cli_rich_table(run) -> None:
    code, out, _ = run("list", "--color", "always", "45x")
    assert code == 0
    header = re.sub(r"\x1b\[[0-9;]*m", "", out.splitlines()[0])
    # the same order as the plain rows: code, class, status, title
    assert header.split() == ["Code", "Class", "Status", "Title"]
    assert "\x1b[" in out


def test_cli_bad_mask(run) -> None:
    code, out, err = run("list", "6xx")
    assert (code, out) == (2, "")
    assert err == "smtpcode: '6xx' is not a code mask: a basic reply code starts with 1 to 5\n"


def test_cli_nothing_matches(run) -> None:
    code, out, err = run("list", "59x")
    assert (code, out) == (1, "")
    assert err == "smtpcode: no code 59x in the catalogue\n"


def test_cli_bad_status(run) -> None:
    code, out, _ = run("list", "--status", "rumour")
    assert (code, out) == (2, "")


def test_cli_exact_code_suggests(run) -> None:
    code, out, err = run("list", "5.1.11")
    assert (code, out) == (1, "")
    assert err == "smtpcode: no code 5.1.11 in the catalogue (did you mean 5.1.10, 5.1.1?)\n"
