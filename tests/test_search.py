"""`smtpcode search`: full-text search over what the catalogue says, ranked."""

from __future__ import annotations

import json

import pytest

from smtpcode.browse import SearchIndex, fold, rule_phrases, search, stem, terms, words
from smtpcode.catalogue import Entry


def texts(e: Entry, with_rules: bool = True) -> set[str]:
    """The stems of everything search looks at for one entry."""
    phrases = rule_phrases() if with_rules else None
    extra = phrases(e) if phrases else ()
    return {
        stem(w) for w in words(" ".join((e.code, e.title, e.description, e.when, *e.fix, *extra)))
    }


def test_fold_and_words() -> None:
    assert fold("Réseau ÉCHOUÉ") == "reseau echoue"
    assert words("Mailbox-FULL, 5.2.2!") == ["mailbox", "full", "5", "2", "2"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("rejected", "reject"),
        ("messages", "message"),
        ("addresses", "address"),
        ("policies", "policy"),
        ("greylisting", "greylisted"),
        ("quotas", "quota"),
    ],
)
def test_stem_joins_forms(a: str, b: str) -> None:
    assert stem(a) == stem(b)


def test_stop_words_are_dropped() -> None:
    assert terms("the mailbox is full") == terms("mailbox full")


def test_best_match_first() -> None:
    hits = search("mailbox full").entries
    assert hits[0].code == "X.2.2"


def test_every_word_must_match() -> None:
    for query in ("relay denied", "user unknown", "tls required", "mailbox disabled"):
        wanted = set(terms(query))
        hits = search(query).entries
        assert hits, query
        for e in hits:
            found = texts(e)
            # A word matches itself or, more weakly, a longer word it starts.
            assert all(any(t.startswith(w) for t in found) for w in wanted), (query, e.code)


@pytest.mark.parametrize(
    "variant", ["full mailbox", "MAILBOX FULL", "Mailbox  Füll", "the mailbox is full"]
)
def test_order_case_accents_do_not_matter(variant: str) -> None:
    assert [e.code for e in search(variant).entries] == [
        e.code for e in search("mailbox full").entries
    ]


def test_spelling_suggestion() -> None:
    result = search("mailbox fulll")
    assert result.hits == ()
    assert result.suggestion == "mailbox full"


def test_index_over_given_entries() -> None:
    def entry(code: str, title: str, when: str = "") -> Entry:
        return Entry(code, "basic", title, "permanent", "", when, (), "standard")

    index = SearchIndex(
        [
            entry("551", "Mailbox quota"),
            entry("552", "Mailbox full", "quota reached"),
            entry("553", "Something else", "mailbox full again"),
        ]
    )
    # Title words outrank the same words elsewhere; a covered title outranks a longer one.
    assert [e.code for e in index.search("mailbox full").entries] == ["552", "553"]
    assert [e.code for e in index.search("quota").entries] == ["551", "552"]
    assert index.search("quot").entries[0].code == "551"  # a word's beginning counts too
    assert index.search("nothing").hits == ()


def test_phrases_are_searchable() -> None:
    e = Entry("550", "basic", "Mailbox unavailable", "permanent", "", "", (), "standard")
    index = SearchIndex([e], phrases=lambda _: ["recipient address rejected"])
    assert index.search("address rejected").entries == [e]


# -- the command ---------------------------------------------------------------------


def test_cli_plain(run) -> None:
    code, out, err = run("search", "mailbox", "full")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == [e.code for e in search("mailbox full").entries]
    assert lines[0].split()[:3] == ["X.2.2", "any", "standard"]


def test_cli_json(run) -> None:
    code, out, _ = run("search", "--json", "greylisting")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["code"] for r in rows] == [e.code for e in search("greylisting").entries]
    assert all("greylist" in json.dumps(r).lower() for r in rows)


def test_cli_no_match_suggests(run) -> None:
    code, out, err = run("search", "mailbox fulll")
    assert (code, out) == (1, "")
    assert err == "smtpcode: no code mentions 'mailbox fulll'; did you mean: mailbox full?\n"


def test_cli_no_match(run) -> None:
    code, out, err = run("search", "qqqqzzzz")
    assert (code, out) == (1, "")
    assert err == "smtpcode: no code mentions 'qqqqzzzz'\n"


def test_cli_empty_query(run) -> None:
    code, out, err = run("search", " ")
    assert (code, out) == (2, "")
    assert "give some words to search for" in err


def test_rule_phrasings_are_searched() -> None:
    # A word servers say (in a diagnosis rule) but the catalogue's own texts never use
    # finds the codes whose reason that rule gives.
    from smtpcode.browse import get_index
    from smtpcode.diagnose import get_rules

    phrases = rule_phrases()
    assert phrases is not None
    index = get_index()
    catalogue_words = {w for e in index.entries for w in texts(e, with_rules=False)}
    rules = get_rules()
    for sig in rules.signatures:
        if sig.kind != "reason":
            continue
        fresh = [w for p in sig.phrases for w in words(p) if len(w) > 5]
        fresh = [w for w in fresh if stem(w) not in catalogue_words]
        if fresh:
            break
    else:
        pytest.skip("every rule phrasing also occurs in the catalogue")
    hits = search(fresh[0]).entries
    assert hits
    assert all(any(fresh[0] in p for p in phrases(e)) for e in hits)
    reasons = {rules.code_reason(None, "5" + e.code[1:])[0] for e in hits if "." in e.code}
    reasons |= {rules.code_reason(e.code, None)[0] for e in hits if "." not in e.code}
    assert sig.value in reasons
