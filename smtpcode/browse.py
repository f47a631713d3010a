"""Browsing the catalogue: code masks (`list 5xx`, `list 4.7.x`) and full-text search.

No Typer or Rich here: the CLI and library users get the same answers. The search index
is built once per process from the catalogue's own texts; nothing here describes a code.
"""

from __future__ import annotations

import bisect
import difflib
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from smtpcode.catalogue import STATUSES, Catalogue, Entry, get_catalogue
from smtpcode.codes import EnhancedCode
from smtpcode.i18n import N_, _


class MaskError(ValueError):
    """The text is not a code mask."""

    def __init__(self, text: str, why: str) -> None:
        super().__init__(why)
        self.text = text
        self.why = why


# One position of a mask: a digit string, or None for "any" (x, X, *, ?).
_WILD = frozenset({"x", "X", "*", "?"})


@dataclass(frozen=True, slots=True)
class Mask:
    """A pattern over codes: basic ("5xx", "55x", "5") or enhanced ("4.7.x", "x.7.x")."""

    text: str
    enhanced: bool
    parts: tuple[str | None, ...]

    def matches_basic(self, code: str) -> bool:
        return not self.enhanced and all(
            p is None or p == c for p, c in zip(self.parts, code, strict=True)
        )

    def matches_detail(self, subject: int, detail: int) -> bool:
        want_subject, want_detail = self.parts[1], self.parts[2]
        return (want_subject is None or int(want_subject) == subject) and (
            want_detail is None or int(want_detail) == detail
        )


def parse_mask(text: str) -> Mask:
    """Read a mask. A mask without dots is a basic code padded with x ("5" is "5xx");
    one with dots is an enhanced code whose missing parts are any ("5.1" is "5.1.x")."""
    s = text.strip()
    if not s:
        raise MaskError(text, _("empty mask: give one such as 5xx, 55x, 4.7.x or x.7.x"))
    if "." not in s:
        if len(s) > 3 or not all(c.isdigit() or c in _WILD for c in s):
            raise MaskError(text, _("a basic mask is up to three digits or x, such as 5xx or 55x"))
        padded = s.ljust(3, "x")
        if padded[0].isdigit() and padded[0] not in "12345":
            raise MaskError(text, _("a basic reply code starts with 1 to 5"))
        return Mask(s, False, tuple(None if c in _WILD else c for c in padded))
    raw = s.split(".")
    if len(raw) > 3 or any(not p for p in raw):
        raise MaskError(text, _("an enhanced mask is class.subject.detail, such as 4.7.x or x.7.x"))
    parts: list[str | None] = []
    for p in raw:
        if p in _WILD:
            parts.append(None)
        elif p.isdigit() and len(p) <= 3:
            parts.append(p)
        else:
            raise MaskError(
                text, _("{part} is neither a number nor x in an enhanced mask").format(part=repr(p))
            )
    parts += [None] * (3 - len(parts))
    if parts[0] is not None and parts[0] not in ("2", "4", "5"):
        raise MaskError(text, _("an enhanced status code's class is 2, 4 or 5 (RFC 3463 §3.1)"))
    return Mask(s, True, tuple(parts))


def _detail_numbers(entry: Entry) -> tuple[int, int]:
    _klass, subject, detail = entry.code.split(".")
    return int(subject), int(detail)


def _mask_selects(mask: Mask, code: str) -> bool:
    """Whether a mask selects one concrete code ("5.7.606", "550")."""
    if "." not in code:
        return mask.matches_basic(code)
    klass, subject, detail = code.split(".")
    return (
        mask.enhanced
        and mask.parts[0] in (None, klass)
        and mask.matches_detail(int(subject), int(detail))
    )


def provider_entries(providers: Iterable[str], mask: Mask | None = None) -> list[Entry]:
    """The provider layer's entries of these providers, in their files' order; with a
    mask, those whose code (or, for a token, a code it comes with) the mask selects."""
    from smtpcode.provider_codes import get_layer

    found = []
    for entry in get_layer().entries(providers):
        codes = entry.associated if entry.kind == "token" else (entry.code.split("-")[0],)
        if mask is None or any(_mask_selects(mask, c) for c in codes):
            found.append(entry)
    return found


def list_entries(
    mask: Mask | None = None,
    statuses: Iterable[str] = (),
    catalogue: Catalogue | None = None,
    providers: Iterable[str] = (),
) -> list[Entry]:
    """The codes a mask selects, in catalogue order: basic codes, then enhanced details.

    Without a mask, enhanced codes are listed once in their any-class form ("X.1.1");
    a mask with a class digit ("4.7.x") lists them resolved to that class ("4.7.1"),
    with the class's own "when" and "fix" where the catalogue has them. With providers,
    the provider layer's codes and tokens of those providers instead.
    """
    wanted_providers = tuple(providers)
    if wanted_providers:
        chosen = provider_entries(wanted_providers, mask)
        return [e for e in chosen if not statuses or e.status in set(statuses)]
    cat = catalogue or get_catalogue()
    wanted = frozenset(statuses)
    found: list[Entry] = []
    if mask is None or not mask.enhanced:
        found += [e for e in cat.basic_entries() if mask is None or mask.matches_basic(e.code)]
    if mask is None or mask.enhanced:
        for e in cat.enhanced_entries():
            subject, detail = _detail_numbers(e)
            if mask is not None and not mask.matches_detail(subject, detail):
                continue
            digit = mask.parts[0] if mask is not None else None
            resolved = cat.enhanced(EnhancedCode(digit, subject, detail)) if digit else e
            found.append(resolved or e)
    return [e for e in found if not wanted or e.status in wanted]


# -- full-text search ---------------------------------------------------------------

# Words too common to tell codes apart; dropped from queries so "the mailbox is full"
# ranks like "mailbox full".
_STOPWORDS = frozenset(
    (
        *("a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for"),
        *("from", "has", "have", "i", "in", "is", "it", "its", "my", "of", "on", "or"),
        *("the", "this", "to", "was", "when", "with", "you", "your"),
        # German: the search indexes the German texts too.
        *("der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einer", "und"),
        *("oder", "ist", "sind", "mit", "von", "zu", "zum", "zur", "fur", "im", "am", "es"),
        *("sie", "ich", "mein", "meine", "wird", "wurde", "auf", "bei", "nach", "wenn"),
    )
)
_WORD = re.compile(r"[a-z0-9]+")
# Field weights: a word in the title says far more about a code than one in its fixes.
_FIELDS: tuple[tuple[str, float], ...] = (
    ("code", 8.0),
    ("title", 5.0),
    # The reply texts the RFCs give: what a user pastes from a log ("Requested action not
    # taken: mailbox unavailable") names its code as surely as the title does.
    ("rfc_text", 4.0),
    ("description", 2.0),
    ("when", 2.0),
    ("fix", 1.0),
    # Rule phrasings belong to a reason that many codes share: evidence, but weak.
    ("phrases", 1.0),
)
_PREFIX_FACTOR = 0.5  # "quota" finding "quotas" counts, but less than the word itself


def fold(text: str) -> str:
    """Lower case without accents: "Réseau" and "reseau" are the same word."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def stem(word: str) -> str:
    """A deliberately crude stemmer: enough that "rejected", "rejects" and "reject", or
    "messages" and "message", meet, without pulling in a language library."""
    if word.isdigit() or len(word) <= 3:
        return word
    if word.endswith("ies"):
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def words(text: str) -> list[str]:
    """The folded words of a text, in order."""
    return _WORD.findall(fold(text))


def terms(text: str) -> list[str]:
    """The stemmed words of a query, without stop words."""
    return [stem(w) for w in words(text) if w not in _STOPWORDS]


@dataclass(frozen=True, slots=True)
class Hit:
    entry: Entry
    score: float
    # Where the query's words were found: "code", "title", "reply text", "meaning",
    # "when you see it", "fix", "reply phrasings" (FIELD_NAMES), best field first.
    matched: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    hits: tuple[Hit, ...]
    # When nothing matched: a spelling of the query whose words the catalogue knows.
    suggestion: str | None = None

    @property
    def entries(self) -> list[Entry]:
        return [h.entry for h in self.hits]

    @property
    def why(self) -> list[str]:
        """Per hit, where the query matched: "title, meaning"."""
        return [", ".join(h.matched) for h in self.hits]


# How the fields searched are named to a user, in _FIELDS' order.
# English here (the JSON's "matched"); the renderers translate them.
FIELD_NAMES = {
    "code": N_("code"),
    "title": N_("title"),
    "rfc_text": N_("reply text"),
    "description": N_("meaning"),
    "when": N_("when you see it"),
    "fix": N_("fix"),
    "phrases": N_("reply phrasings"),
}


class SearchIndex:
    """Stemmed terms of every code's texts, weighted by the fields they occur in."""

    def __init__(
        self,
        entries: Iterable[Entry],
        phrases: Callable[[Entry], Iterable[str]] | None = None,
        translations: Iterable[Entry] = (),
    ) -> None:
        """translations: the same entries in other languages, in any order; their texts
        are indexed with the entry of the same code, so that words of either language
        find it."""
        self.entries: list[Entry] = list(entries)
        others: dict[str, list[Entry]] = {}
        for other in translations:
            others.setdefault(other.code, []).append(other)
        # term -> entry position -> weight: the field weights summed over the fields the
        # term occurs in, damped for repeats (a word said three times is not 3x as relevant).
        self._postings: dict[str, dict[int, float]] = {}
        self._titles: list[frozenset[str]] = []
        self._texts: list[tuple[list[str], list[str]]] = []  # stems of title, of everything
        self._vocabulary: set[str] = set()
        # Per entry, the stems in each field: to say where a query matched.
        self._field_stems: list[list[tuple[str, frozenset[str]]]] = []
        for i, entry in enumerate(self.entries):
            same = [entry, *others.get(entry.code, ())]
            fields = {
                "code": entry.code,
                "title": " ".join(e.title for e in same),
                "rfc_text": " ".join(entry.rfc_text),
                "description": " ".join(e.description for e in same),
                "when": " ".join(e.when for e in same),
                "fix": " ".join(f for e in same for f in e.fix),
                "phrases": " ".join(phrases(entry)) if phrases else "",
            }
            stems_here: list[tuple[str, frozenset[str]]] = []
            self._field_stems.append(stems_here)
            for name, weight in _FIELDS:
                found = words(fields[name])
                stems_here.append((name, frozenset(stem(w) for w in found)))
                self._vocabulary.update(found)
                counts: dict[str, int] = {}
                for w in found:
                    counts[stem(w)] = counts.get(stem(w), 0) + 1
                for term, n in counts.items():
                    slot = self._postings.setdefault(term, {})
                    slot[i] = slot.get(i, 0.0) + weight * (1 + math.log(n))
            self._titles.append(frozenset(terms(entry.title)))
            everything = [stem(w) for w in words(" ".join(fields.values()))]
            self._texts.append(([stem(w) for w in words(entry.title)], everything))
        self._terms = sorted(self._postings)

    def _matches(self, term: str) -> dict[int, float]:
        """Entry position -> weight for one query term, counting words that start with it."""
        found = dict(self._postings.get(term, {}))
        if len(term) >= 3:
            k = bisect.bisect_right(self._terms, term)
            while k < len(self._terms) and self._terms[k].startswith(term):
                for i, w in self._postings[self._terms[k]].items():
                    found[i] = max(found.get(i, 0.0), w * _PREFIX_FACTOR)
                k += 1
        return found

    def _bonus(self, i: int, qterms: set[str]) -> float:
        """Ranking beyond word weights: a title the query covers ("Mailbox full" for
        "mailbox full" beats "Mailbox full or too many recipients"), the words side by
        side in any order, and standard codes before folklore when all else is equal."""
        title, everything = self._texts[i]
        bonus = 0.0
        if self._titles[i]:
            bonus += 4.0 * len(self._titles[i] & qterms) / len(self._titles[i])
        if len(qterms) > 1:
            # Side by side: within a window one word longer than the query ("mailbox is full").
            slack = len(qterms) + 1
            bonus += 5.0 if _window(title, qterms) <= slack else 0.0
            bonus += 3.0 if _window(everything, qterms) <= slack else 0.0
        entry = self.entries[i]
        if entry.provider is not None and not qterms & {stem(w) for w in words(entry.code)}:
            # A provider's own meaning ranks after the RFCs' and the registry's for the
            # same words: "mailbox full" is X.2.2 first, Exchange's QuotaExceededException
            # after; a query naming the provider's code or token ("TSS04") finds it first.
            bonus -= 6.0
        status = entry.status
        return bonus + (0.1 * (len(STATUSES) - STATUSES.index(status)) if status in STATUSES else 0)

    def search(self, query: str, limit: int | None = None) -> SearchResult:
        """Entries containing every word of the query (in any order), best first."""
        qterms = terms(query) or [stem(w) for w in words(query)]
        if not qterms:
            return SearchResult(query, ())
        scores: dict[int, float] = {}
        for n, term in enumerate(dict.fromkeys(qterms)):
            matched = self._matches(term)
            scores = (
                matched
                if n == 0
                else {i: s + matched[i] for i, s in scores.items() if i in matched}
            )
            if not scores:
                return SearchResult(query, (), self.suggest(query))
        wanted = set(qterms)
        ranked = sorted(
            (
                Hit(self.entries[i], s + self._bonus(i, wanted), self._where(i, wanted))
                for i, s in scores.items()
            ),
            key=lambda h: -h.score,  # sorted() is stable: ties keep catalogue order
        )
        return SearchResult(query, tuple(ranked[:limit] if limit else ranked))

    def _where(self, i: int, wanted: set[str]) -> tuple[str, ...]:
        """The fields of entry i holding a query term (or a word starting with one)."""
        out = []
        for name, stems in self._field_stems[i]:
            if any(
                t in stems or (len(t) >= 3 and any(s.startswith(t) for s in stems)) for t in wanted
            ):
                out.append(FIELD_NAMES[name])
        return tuple(out)

    def suggest(self, query: str) -> str | None:
        """The query with each unknown word replaced by the nearest known one, if any."""
        out: list[str] = []
        changed = False
        for w in words(query):
            if w in self._vocabulary or w in _STOPWORDS:
                out.append(w)
                continue
            close = difflib.get_close_matches(w, self._vocabulary, n=1, cutoff=0.75)
            if not close:
                return None
            out.append(close[0])
            changed = True
        return " ".join(out) if changed else None


def _window(seq: list[str], wanted: set[str]) -> int:
    """The length of the shortest stretch of seq holding every wanted term (or a huge one)."""
    best = len(seq) + 1_000
    last: dict[str, int] = {}
    for pos, term in enumerate(seq):
        if term in wanted:
            last[term] = pos
            if len(last) == len(wanted):
                best = min(best, pos - min(last.values()) + 1)
    return best


def _search_entries(cat: Catalogue) -> Iterator[Entry]:
    from smtpcode.provider_codes import get_layer

    yield from cat.basic_entries()
    yield from cat.enhanced_entries()
    # The providers' own codes and tokens: "TSS04" or "banned sending IP" finds them.
    yield from get_layer(cat.lang).entries()


def rule_phrases() -> Callable[[Entry], tuple[str, ...]] | None:
    """Per code, the reply phrasings the diagnosis rules know for the reason it implies
    ("the email account that you tried to reach does not exist" for X.1.1), so a search
    for words servers actually say finds the code. None when the rules cannot be read:
    search then still covers the catalogue."""
    from smtpcode.catalogue import CatalogueError

    try:
        from smtpcode.diagnose import get_rules

        rules = get_rules()
    except CatalogueError:
        return None
    by_reason: dict[str, list[str]] = {}
    for sig in rules.signatures:
        if sig.kind == "reason":
            by_reason.setdefault(sig.value, []).extend(sig.phrases)

    def phrases(entry: Entry) -> tuple[str, ...]:
        if entry.provider is not None:
            return ()  # a provider's entry speaks for itself, not for a reason's phrasings
        if "." in entry.code:
            # An any-class entry ("X.1.1") reads like its permanent form.
            enhanced = "5" + entry.code[1:] if entry.code.startswith("X") else entry.code
            reason, _code = rules.code_reason(None, enhanced)
        else:
            reason, _code = rules.code_reason(entry.code, None)
        return tuple(dict.fromkeys(by_reason.get(reason, ())))

    return phrases


def get_index(lang: str | None = None) -> SearchIndex:
    """The index over the catalogue and the rules' phrasings, built on first use: the
    entries of a language (the current one by default), found by their words in every
    language smtpcode speaks."""
    from smtpcode.i18n import language

    return _index(lang or language())


@cache
def _index(lang: str) -> SearchIndex:
    # In another language the English texts are indexed too: many people type the
    # English words they see in logs. In English, English alone (and no second catalogue
    # to load).
    others = [] if lang == "en" else list(_search_entries(get_catalogue("en")))
    return SearchIndex(_search_entries(get_catalogue(lang)), rule_phrases(), others)


def search(query: str, limit: int | None = None) -> SearchResult:
    return get_index().search(query, limit)
