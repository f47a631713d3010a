"""The grammar of codes: what is a code, what is not, and how queries are read."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smtpcode.codes import BasicCode, CodeSyntaxError, parse_basic, parse_enhanced, parse_query


@pytest.mark.parametrize(
    ("query", "basic", "enhanced", "has_text"),
    [
        ("550", "550", None, False),
        ("5.7.26", None, "5.7.26", False),
        ("550 5.1.1", "550", "5.1.1", False),
        ("550-5.1.1", "550", "5.1.1", False),
        ("  421 4.7.0  ", "421", "4.7.0", False),
        ("#5.1.1", None, "5.1.1", False),
        ("550 #5.1.1", "550", "5.1.1", False),
        (
            "550 5.1.1 <x@example.com>: Recipient address rejected: User unknown",
            "550",
            "5.1.1",
            True,
        ),
        ("550 Requested action not taken: mailbox unavailable", "550", None, True),
        ("5.7.1 Relaying denied", None, "5.7.1", True),
        ("550-5.1.1 first line\n550 5.1.1 second line", "550", "5.1.1", True),
        ("299", "299", None, False),
        ("4.9.0", None, "4.9.0", False),
        ("5.1.999", None, "5.1.999", False),
    ],
)
def test_query_forms(query: str, basic: str | None, enhanced: str | None, has_text: bool) -> None:
    q = parse_query(query)
    assert (q.basic.code if q.basic else None) == basic
    assert (str(q.enhanced) if q.enhanced else None) == enhanced
    assert (q.text is not None) == has_text


@pytest.mark.parametrize(
    ("query", "why"),
    [
        ("abc", "not an SMTP reply code"),
        ("5.1", "three parts"),
        ("1234", "exactly three digits"),
        ("600", "starts with 2, 3, 4 or 5"),
        ("", "empty"),
        ("   ", "empty"),
        ("3.1.1", "starts with 2, 4 or 5"),
        ("5.1.1234", "one to three digits"),
        ("5..1", "not an enhanced status code"),
        ("we sent 250 mails", "not an SMTP reply code"),
    ],
)
def test_malformed(query: str, why: str) -> None:
    with pytest.raises(CodeSyntaxError) as info:
        parse_query(query)
    assert why in info.value.why


def test_code_structure() -> None:
    assert BasicCode("421").klass == "transient"
    assert parse_basic("354").klass == "intermediate"
    e = parse_enhanced("5.7.26")
    assert (e.klass, e.generic, e.subject_key, e.class_key) == (
        "permanent",
        "X.7.26",
        "X.7.X",
        "5.X.X",
    )


@given(st.text(max_size=60))
def test_any_text_parses_or_raises_cleanly(text: str) -> None:
    try:
        q = parse_query(text)
    except CodeSyntaxError:
        return
    assert q.basic is not None or q.enhanced is not None


@given(
    st.sampled_from("2345"),
    st.integers(0, 99),
    st.sampled_from("245"),
    st.integers(0, 999),
    st.integers(0, 999),
)
def test_pairs_roundtrip(d1: str, rest: int, k: str, s: int, d: int) -> None:
    basic = f"{d1}{rest:02d}"
    q = parse_query(f"{basic} {k}.{s}.{d}")
    assert q.basic == BasicCode(basic)
    assert str(q.enhanced) == f"{k}.{s}.{d}"
