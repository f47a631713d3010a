"""Reply -> Finding: class, reason, provider, MTA, hard/soft bounce, retry, advice, warnings.

The decisions are data (rules.yaml); this module only applies them. Evidence order:
the reply text, then the enhanced code, then the basic code. Where the text and a
specific code disagree, the text wins and the finding says so in a warning.

Speed matters because `parse` diagnoses every reply of a log: all phrases are compiled
once into one trie-shaped regex that finds every phrase present in a single pass over
the lower-cased text; only the rules whose phrases were seen run their own regexes, and
the result per distinct text is kept in a bounded LRU cache (logs repeat texts).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from smtpcode.catalogue import Catalogue, CatalogueError, Entry, get_catalogue
from smtpcode.codes import CLASS_BY_DIGIT, valid_basic, valid_enhanced
from smtpcode.i18n import N_, translate
from smtpcode.records import Finding, Reply

if TYPE_CHECKING:
    from smtpcode.provider_codes import VendorCode

ENV_RULES = "SMTPCODE_RULES"
# Texts whose phrases are found by testing each phrase, before the trie regex is compiled.
_TEXTS_BEFORE_TRIE = 1000

# Distinct reply texts remembered; a log's texts repeat, its unique texts are unbounded.
CACHE_SIZE = 8192

# Only this much of a reply text is read. Real replies, even multi-line ones with a
# bounce's delivery history, fit in a few KB; a longer text is junk or hostile, and the
# cap keeps the work per reply (and the size of a cache key) bounded whatever the input.
MAX_TEXT = 16 * 1024

# Reasons that only say "refused" ("Access denied", "rejected by policy"): when the
# provider layer knows what the provider means by the reply's code or token, that meaning
# is more specific than these readings of the text.
_CATCH_ALL = frozenset({"policy", "security", "unknown"})

# Rule regexes run on untrusted text, so they must match in linear time: repetition has
# to be bounded ({m,n} with n at most this), and no group may be repeated.
MAX_RULE_REPEAT = 500

REASON_NAMES = (
    "success",
    "intermediate",
    "user-unknown",
    "host-unknown",
    "mailbox-full",
    "mailbox-disabled",
    "message-too-large",
    "spam-content",
    "blocked",
    "sender-auth",
    "reverse-dns",
    "sender-rejected",
    "relay-denied",
    "rate-limited",
    "greylisted",
    "tls-required",
    "auth-credentials",
    "policy",
    "security",
    "virus",
    "content-error",
    "syntax",
    "bad-sequence",
    "not-implemented",
    "not-accepting",
    "system-error",
    "network",
    "expired",
    "unknown",
)


# What a reason's failure says about the recipient's address.
BOUNCE_KINDS = ("hard", "soft", "none")
# Keys of a text given per class; "default" serves a class without its own.
TEXT_KEYS = ("transient", "permanent", "default")


@dataclass(frozen=True, slots=True)
class Reason:
    name: str
    # hard: the address is bad; soft: delivery failed for another cause; none: not a
    # delivery failure at all (a login, a malformed command).
    bounce: str
    # Advice and the summary's action clause, per class (TEXT_KEYS): a transient failure
    # is retried by the sending server, a permanent one is not.
    advice: Mapping[str, str]
    # Short clauses for the one-line summary: what happened, and what to do.
    summary: str
    action: Mapping[str, str]
    # What the refusal is about when the command is not known (recipient, sender, ...).
    about: str
    # For the admin of a server that refused a client (inbound): advice and action.
    inbound_advice: str
    inbound_action: str
    # The sending server has already given up (expired): final whatever the reply class.
    final: bool = False

    def advice_for(self, klass: str | None) -> str:
        return by_class(self.advice, klass)

    def action_for(self, klass: str | None) -> str:
        return by_class(self.action, klass)


def by_class(texts: Mapping[str, str], klass: str | None) -> str:
    """The text for a reply class: its own, else the default (permanent when none)."""
    return texts.get(klass or "") or texts.get("default") or texts["permanent"]


def _per_class(value: Any, where: str) -> dict[str, str]:
    """A text for every class, or a mapping of TEXT_KEYS to texts."""
    if isinstance(value, str):
        return {"default": value.strip()}
    if isinstance(value, Mapping) and value and set(value) <= set(TEXT_KEYS):
        texts = {str(k): str(v).strip() for k, v in value.items()}
        if "default" not in texts and not {"transient", "permanent"} <= set(texts):
            raise CatalogueError(f"rules.yaml: {where} needs a default or both classes")
        return texts
    raise CatalogueError(f"rules.yaml: {where} must be a text or a mapping of {TEXT_KEYS}")


@dataclass(frozen=True, slots=True)
class Signature:
    """One rule that reads the reply text: a reason rule, a provider, an MTA or a blocklist.

    `phrases` are lower-case literals, any one of which makes the rule a candidate;
    `patterns`, when present, must then match too (one of them).
    """

    id: str
    kind: str  # reason | provider | mta | blocklist
    value: str  # the reason, provider, MTA or blocklist name it yields
    phrases: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    order: int
    classes: tuple[str, ...] = ()  # empty: any class
    provider: str | None = None  # a reason rule may name the provider too
    # The text names the provider's own servers (not wording anyone can copy): it counts
    # even when the input names a remote host that is not the provider's.
    proof: bool = False


@dataclass(frozen=True, slots=True)
class Provider:
    id: str
    name: str
    hosts: tuple[str, ...]
    # Per reason ("default": any failure), a text per class as for Reason.advice.
    advice: Mapping[str, Mapping[str, str]]


@dataclass(frozen=True, slots=True)
class Blocklist:
    id: str
    name: str
    advice: str


@dataclass(frozen=True, slots=True)
class TextEvidence:
    """What the text alone shows; cached per distinct text."""

    reason: Signature | None
    provider: Signature | None
    mta: Signature | None
    # The first provider signature that is proof (Signature.proof), or None.
    proof: Signature | None
    blocklist: Signature | None
    matched: tuple[str, ...]
    # The first reason rule that matched with another reason than `reason`: the cause a
    # reply names besides its verdict ("retry timeout exceeded" after "connection refused").
    cause: Signature | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """Everything diagnosis decides for a reply, apart from the code meanings."""

    klass: str | None
    reason: str
    provider: str | None
    mta: str | None
    hard_bounce: bool | None
    retry: bool | None
    advice: str
    warnings: tuple[str, ...]
    summary: str | None
    evidence: tuple[str, ...]
    # The provider meaning chosen for the reply's code or token (smtpcode.provider_codes).
    vendor: VendorCode | None = None


# Reply-code prefixes at the start of each line of a multi-line reply ("550-5.1.1 ",
# "550 ", "#5.1.1 "): removed so phrases that wrap across lines still match.
_LINE_PREFIX = re.compile(
    r"(?m)^[ \t]*(?:[2-5]\d\d(?:[ \t-]+|$))?(?:#?[245]\.\d{1,3}\.\d{1,3}[ \t]*)?"
)
# The same inside a line: folded log lines keep the continuation codes mid-text
# ("is 550-5.7.1 likely unsolicited"), and the last line's "550 5.7.1 " too.
_INNER_CODES = re.compile(
    r"(?<![\w.\-])[2-5]\d\d"
    r"(?:-(?:#?[245]\.\d{1,3}\.\d{1,3}[ \t]*)?|[ \t]+#?[245]\.\d{1,3}\.\d{1,3}(?![\w.]))"
)
_SPACE = re.compile(r"\s+")
# Mail addresses are data, not phrasing: "<blocked@example.org>" or "mailboxfull@..." must
# not read as a reason. URLs and host names stay (blocklist and provider names live there).
# A match may only start where a token starts (the lookbehind): without it every position
# of a long run of address characters would rescan the run to its end (quadratic time).
_ADDRESS = re.compile(r"(?<![^\s<>()\[\]\"',;:])[^\s<>()\[\]\"',;:]+@[^\s<>()\[\]\"',;]+")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})


def normalise(text: str) -> str:
    """The text as rules see it: lower case, code prefixes gone, whitespace collapsed."""
    text = _LINE_PREFIX.sub("", text.translate(_QUOTES))
    text = _ADDRESS.sub("@", _INNER_CODES.sub(" ", text))
    return _SPACE.sub(" ", text).strip().lower()


def _trie_regex(words: Iterable[str]) -> str:
    """One regex matching any of the words, shaped as a trie so each position costs
    at most the length of the longest word, not the number of words."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = [re.escape(ch) + emit(sub) for ch, sub in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # Greedy optional: the longest word at a position is found; the shorter words
        # it extends are recovered from the prefix table, not from the regex.
        return f"(?:{body})?" if ends else body

    return emit(trie)


_BRACE_REPEAT = re.compile(r"\{(\d*)(,?)(\d*)\}")


def nonlinear_construct(pattern: str) -> str | None:
    """Why a rule regex could take more than linear time on hostile text, or None.

    A pattern is accepted when every repetition is bounded ({m,n}, n <= MAX_RULE_REPEAT,
    or ?) and no group is repeated (a group may only be optional). Then each match
    attempt costs at most a constant, so a whole search is linear in the text. The check
    reads the pattern text; it is strict on purpose (a rule can always be rewritten).
    """
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            # Skip the class: "]" right after "[" or "[^" is a literal.
            j = i + 1
            if j < n and pattern[j] == "^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            i = j + 1
            continue
        if c in "*+":
            return f"unbounded repetition {c!r} at {i}: use {{m,n}}"
        if c == "{":
            m = _BRACE_REPEAT.match(pattern, i)
            if m is not None:
                upper = m.group(3) if m.group(2) else m.group(1)
                if not upper:
                    return f"unbounded repetition {m.group(0)!r} at {i}"
                if int(upper) > MAX_RULE_REPEAT:
                    return f"repetition {m.group(0)!r} at {i} exceeds {MAX_RULE_REPEAT}"
                i = m.end()
                continue
        if c == ")" and i + 1 < n and pattern[i + 1] in "*+{":
            return f"repeated group at {i}: a group may only be optional (?)"
        i += 1
    return None


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise CatalogueError(f"rules.yaml: {where} must be a string or a list of strings")


class Rules:
    """rules.yaml, compiled once."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        try:
            default_inbound = data["inbound_default"]
            self.reasons = {
                str(k): Reason(
                    str(k),
                    str(v["bounce"]),
                    _per_class(v["advice"], f"reasons.{k}.advice"),
                    str(v["summary"]).strip(),
                    _per_class(v["action"], f"reasons.{k}.action"),
                    str(v.get("about", "message")),
                    str((v.get("inbound") or default_inbound)["advice"]).strip(),
                    str((v.get("inbound") or default_inbound)["action"]).strip(),
                    v.get("final") is True,
                )
                for k, v in data["reasons"].items()
            }
            self.no_delivery_commands = frozenset(
                str(c).upper() for c in data.get("no_delivery_commands", ())
            )
            self.address_codes = frozenset(str(c) for c in data.get("address_codes", ()))
            self.by_enhanced = {str(k): str(v) for k, v in data["by_enhanced"].items()}
            self.by_basic = {str(k): str(v) for k, v in data["by_basic"].items()}
            self.weak_codes = frozenset(str(c) for c in data.get("weak_codes", ()))
            # Reasons whose advice also gives the cause the text names besides them.
            self.names_cause = frozenset(str(r) for r in data.get("names_cause", ()))
            self.delist_for = frozenset(str(r) for r in data.get("delist_for", ()))
            self.basic_weak = bool(data.get("basic_codes_are_weak", False))
            self.compatible = frozenset(
                frozenset(str(r) for r in pair) for pair in data.get("compatible", ())
            )
            self.by_command = {
                str(cmd).upper(): {str(a): str(b) for a, b in m.items()}
                for cmd, m in (data.get("by_command") or {}).items()
            }
            self.objects = {str(k): str(v) for k, v in (data.get("objects") or {}).items()}
            self.providers = {
                str(k): Provider(
                    str(k),
                    str(v["name"]),
                    tuple(h.lower() for h in _strings(v.get("hosts"), f"providers.{k}.hosts")),
                    {
                        str(a): _per_class(b, f"providers.{k}.advice.{a}")
                        for a, b in (v.get("advice") or {}).items()
                    },
                )
                for k, v in data["providers"].items()
            }
            self.mta_names = {str(k): str(v["name"]) for k, v in data["mtas"].items()}
            self.blocklists = {
                str(k): Blocklist(str(k), str(v["name"]), str(v["advice"]).strip())
                for k, v in data["blocklists"].items()
            }
            self.signatures = self._signatures(data)
        except (KeyError, TypeError, AttributeError, re.error) as exc:
            raise CatalogueError(f"rules.yaml is malformed ({exc!r})") from None
        self._check()
        self._compile()

    def _signatures(self, data: Mapping[str, Any]) -> list[Signature]:
        sigs: list[Signature] = []

        def add(raw: Mapping[str, Any], kind: str, value: str, where: str) -> None:
            flags = re.IGNORECASE if raw.get("case") != "exact" else 0
            classes = _strings(raw.get("class"), f"{where}.class")
            sigs.append(
                Signature(
                    id=str(raw["id"]),
                    kind=kind,
                    value=value,
                    phrases=tuple(p.lower() for p in _strings(raw.get("any"), f"{where}.any")),
                    patterns=tuple(
                        re.compile(p, flags) for p in _strings(raw.get("re"), f"{where}.re")
                    ),
                    order=len(sigs),
                    classes=classes,
                    provider=raw.get("provider"),
                    proof=raw.get("proof") is True,
                )
            )

        for raw in data["text_rules"]:
            add(raw, "reason", str(raw["reason"]), f"text_rules.{raw.get('id')}")
        for key, prov in data["providers"].items():
            for raw in prov.get("signatures") or ():
                add(raw, "provider", str(key), f"providers.{key}")
        for key, mta in data["mtas"].items():
            for raw in mta.get("signatures") or ():
                add(raw, "mta", str(key), f"mtas.{key}")
        for key, bl in data["blocklists"].items():
            for raw in bl.get("signatures") or ():
                add(raw, "blocklist", str(key), f"blocklists.{key}")
        return sigs

    def _check(self) -> None:
        """Refuse rules that could never be right: unknown reasons, duplicate ids,
        rules with nothing to prefilter on."""
        known = set(REASON_NAMES)
        if set(self.reasons) != known:
            raise CatalogueError(
                f"rules.yaml: reasons must be exactly the documented vocabulary "
                f"(missing {sorted(known - set(self.reasons))}, "
                f"extra {sorted(set(self.reasons) - known)})"
            )
        bad_bounce = sorted(r.name for r in self.reasons.values() if r.bounce not in BOUNCE_KINDS)
        if bad_bounce:
            raise CatalogueError(f"rules.yaml: bounce must be one of {BOUNCE_KINDS}: {bad_bounce}")
        if not self.delist_for <= known:
            raise CatalogueError(
                f"rules.yaml: delist_for: unknown reasons {sorted(self.delist_for - known)}"
            )
        if not self.names_cause <= known:
            unknown = sorted(self.names_cause - known)
            raise CatalogueError(f"rules.yaml: names_cause: unknown reasons {unknown}")
        for table in (self.by_enhanced, self.by_basic):
            bad = sorted(v for v in table.values() if v not in known)
            if bad:
                raise CatalogueError(f"rules.yaml: unknown reasons {bad}")
        seen: set[str] = set()
        for sig in self.signatures:
            if sig.id in seen:
                raise CatalogueError(f"rules.yaml: duplicate rule id {sig.id!r}")
            seen.add(sig.id)
            if not sig.phrases:
                raise CatalogueError(f"rules.yaml: rule {sig.id!r} has no `any` phrases")
            if sig.kind == "reason" and sig.value not in known:
                raise CatalogueError(f"rules.yaml: rule {sig.id!r}: unknown reason {sig.value}")
            if sig.provider is not None and sig.provider not in self.providers:
                raise CatalogueError(f"rules.yaml: rule {sig.id!r}: unknown provider")
            for pattern in sig.patterns:
                why = nonlinear_construct(pattern.pattern)
                if why is not None:
                    raise CatalogueError(
                        f"rules.yaml: rule {sig.id!r}: regex {pattern.pattern!r} is not "
                        f"linear-time ({why})"
                    )

    def _compile(self) -> None:
        by_phrase: dict[str, list[Signature]] = {}
        for sig in self.signatures:
            for phrase in sig.phrases:
                by_phrase.setdefault(phrase, []).append(sig)
        self._by_phrase = by_phrase
        self.ids = tuple(s.id for s in self.signatures)
        self._texts_seen = 0  # texts read without the trie (see candidates)

    @cached_property
    def _scanner(self) -> tuple[re.Pattern[str] | None, dict[str, tuple[Signature, ...]]]:
        """The one-pass phrase finder, built on first use: explaining a bare code
        (the common CLI call) never pays for it."""
        by_phrase = self._by_phrase
        phrases = sorted(by_phrase)
        # Every phrase that is a prefix of another is found with it: the trie regex
        # reports only the longest phrase starting at a position.
        with_prefixes: dict[str, tuple[Signature, ...]] = {}
        for phrase in phrases:
            found: list[Signature] = []
            for n in range(1, len(phrase) + 1):
                found += by_phrase.get(phrase[:n], ())
            with_prefixes[phrase] = tuple(found)
        scan = re.compile("(?=(" + _trie_regex(phrases) + "))") if phrases else None
        return scan, with_prefixes

    def candidates(self, low: str) -> list[Signature]:
        """The signatures one of whose phrases occurs in the normalised text."""
        if self._texts_seen < _TEXTS_BEFORE_TRIE:
            # Performance only: compiling the trie costs as much as testing every phrase
            # on a thousand texts, and a log has a few hundred distinct texts; this
            # finds the same phrases (every phrase that occurs, prefixes included).
            self._texts_seen += 1
            found: dict[str, Signature] = {}
            for phrase, sigs in self._by_phrase.items():
                if phrase in low:
                    for sig in sigs:
                        found[sig.id] = sig
            return sorted(found.values(), key=lambda s: s.order)
        scan, with_prefixes = self._scanner
        if scan is None:
            return []
        seen: dict[str, Signature] = {}
        for m in scan.finditer(low):
            hit = m.group(1)
            if hit:
                for sig in with_prefixes.get(hit, ()):
                    seen[sig.id] = sig
        return sorted(seen.values(), key=lambda s: s.order)

    def evidence(self, text: str, klass: str | None) -> TextEvidence:
        low = normalise(text[:MAX_TEXT])
        best: dict[str, Signature] = {}
        matched: list[str] = []
        cause: Signature | None = None
        for sig in self.candidates(low):
            if sig.classes and klass not in sig.classes:
                continue
            if sig.patterns and not any(p.search(low) for p in sig.patterns):
                continue
            matched.append(sig.id)
            first = best.setdefault(sig.kind, sig)
            if sig.kind == "reason" and cause is None and sig.value != first.value:
                cause = sig
            # A reason rule that names its provider is evidence for both.
            if sig.kind == "reason" and sig.provider is not None:
                best.setdefault("provider-by-reason", sig)
            if sig.proof:
                best.setdefault("proof", sig)
        provider = best.get("provider") or best.get("provider-by-reason")
        return TextEvidence(
            reason=best.get("reason"),
            provider=provider,
            mta=best.get("mta"),
            proof=best.get("proof"),
            blocklist=best.get("blocklist"),
            matched=tuple(matched),
            cause=cause,
        )

    def provider_of_host(self, host: str) -> str | None:
        h = host.lower().strip().rstrip(".").strip("[]")
        for prov in self.providers.values():
            for suffix in prov.hosts:
                if h == suffix or h.endswith("." + suffix):
                    return prov.id
        return None

    def reason_from_codes(self, basic: str | None, enhanced: str | None) -> str:
        return self.code_reason(basic, enhanced)[0]

    def code_reason(self, basic: str | None, enhanced: str | None) -> tuple[str, str | None]:
        """The reason the codes imply, and the code that said it (None: no code did)."""
        if enhanced is not None:
            exact = self.by_enhanced.get(enhanced)
            if exact is not None:
                return exact, enhanced
            generic = self.by_enhanced.get("X" + enhanced[1:])
            if generic is not None and generic != "unknown":
                return generic, enhanced
        if basic is not None:
            found = self.by_basic.get(basic)
            if found is not None and found != "unknown":
                return found, basic
            klass = CLASS_BY_DIGIT.get(basic[0])
            if klass in ("success", "intermediate"):
                return klass, basic
        return "unknown", None

    def is_weak(self, code: str) -> bool:
        """Codes that say too little for their reason to contradict the text."""
        if "." not in code:
            return self.basic_weak or code in self.weak_codes
        return code in self.weak_codes or ("X" + code[1:]) in self.weak_codes


def get_rules(lang: str | None = None) -> Rules:
    """The compiled rules with their texts in a language (the current one by default)."""
    from smtpcode.i18n import language

    return _rules(lang or language())


@cache
def _rules(lang: str) -> Rules:
    from smtpcode.datafiles import load

    data = load("rules.yaml", ENV_RULES)
    if lang != "en":
        from smtpcode.translations import translated_rules

        data = translated_rules(data, load(f"rules.{lang}.yaml"))
    return Rules(data)


def _klass(
    basic: str | None, enhanced: str | None, lang: str = "en"
) -> tuple[str | None, str | None]:
    """The reply class and, when the two codes disagree on it, the warning."""
    klass = CLASS_BY_DIGIT.get(basic[0]) if basic else None
    if enhanced is not None:
        eklass = CLASS_BY_DIGIT.get(enhanced[0])
        if klass is None:
            return eklass, None
        if eklass != klass:
            return klass, translate(
                "The basic code {basic} is {klass} but the enhanced code {enhanced} is "
                "{eklass}; RFC 3463 requires both to have the same class. Trust the basic "
                "code for whether to retry.",
                lang,
            ).format(
                basic=basic,
                klass=translate(klass or "", lang),
                enhanced=enhanced,
                eklass=translate(eklass or "", lang),
            )
    return klass, None


class Diagnoser:
    """Turns replies into findings; holds the catalogue and the compiled rules."""

    def __init__(
        self, catalogue: Catalogue | None = None, rules: Rules | None = None, lang: str = "en"
    ) -> None:
        # The language of the texts (the catalogue's, the rules', the computed sentences).
        self.lang = lang
        self._catalogue = catalogue
        self.rules = rules or get_rules(lang)
        self._text_evidence = lru_cache(maxsize=CACHE_SIZE)(self.rules.evidence)
        self._verdict_cached = lru_cache(maxsize=CACHE_SIZE)(self._verdict)
        self._entries_cached = lru_cache(maxsize=1024)(self._entries)

    @property
    def catalogue(self) -> Catalogue:
        # Loaded on first use so rule-only work (tests, benchmarks) need not read codes.yaml.
        if self._catalogue is None:
            self._catalogue = get_catalogue(self.lang)
        return self._catalogue

    def _entries(
        self, basic: str | None, enhanced: str | None
    ) -> tuple[Entry | None, Entry | None, tuple[str, ...]]:
        # A Reply may come from anywhere (a library user, a future extractor): a value
        # that is not a code has no meaning rather than a crash.
        return self.catalogue.meanings(valid_basic(basic), valid_enhanced(enhanced))

    def vendor_code(
        self, text: str | None, basic: str | None, enhanced: str | None, provider: str | None
    ) -> VendorCode | None:
        """The provider layer's meaning for a reply, chosen by its evidence (or None)."""
        from smtpcode.provider_codes import get_layer

        layer = get_layer(self.lang)
        has_codes = bool(layer.code_entries(enhanced or "") or layer.code_entries(basic or ""))
        if not (text or has_codes):
            return None
        # Which codes the registry leaves undefined matters only for a provider's codes.
        undefined = self._entries_cached(basic, enhanced)[2] if has_codes else ()
        return layer.choose(basic, enhanced, text, provider, undefined)

    def text_evidence(self, text: str | None, klass: str | None) -> TextEvidence | None:
        return None if not text else self._text_evidence(text, klass)

    def _verdict(
        self,
        text: str | None,
        basic: str | None,
        enhanced: str | None,
        host: str | None,
        command: str | None,
        direction: str | None,
    ) -> Verdict:
        rules = self.rules
        warnings: list[str] = []
        # Not a code, no code (see _entries); checked here, behind the cache.
        basic, enhanced = valid_basic(basic), valid_enhanced(enhanced)
        klass, class_warning = _klass(basic, enhanced, self.lang)
        if class_warning:
            warnings.append(class_warning)
        ev = self.text_evidence(text, klass)
        # Who answered: the remote host first, then the reply's wording.
        provider, provider_rule = self._provider(ev, host, direction)
        vendor = None
        if klass in ("transient", "permanent"):
            vendor = self.vendor_code(text, basic, enhanced, provider)
        code: str | None
        # A bare registry code that one provider uses otherwise (5.1.10) shows that meaning
        # beside the registry's, but nothing says that provider answered: it decides
        # nothing. Anything else the layer chose came from the reply or is the only
        # meaning the code has.
        decisive = vendor is not None and (text is not None or not vendor.entry.registry_differs)
        if vendor is not None and decisive:
            # The provider's own meaning of its code or token outranks the registry's.
            code_reason, code = vendor.reason, vendor.entry.code
            if provider is None and vendor.provider in rules.providers:
                provider = vendor.provider
        else:
            code_reason, code = rules.code_reason(basic, enhanced)
        evidence: list[str] = []

        if klass in ("success", "intermediate"):
            # A success is a success whatever its text says ("250 ok, no spam found").
            reason_name = klass
        elif (
            ev is not None
            and ev.reason is not None
            and not (decisive and ev.reason.value in _CATCH_ALL)
        ):
            reason_name = ev.reason.value
            evidence.append(ev.reason.id)
            if (
                code is not None
                and code_reason != reason_name
                and not decisive
                and not rules.is_weak(code)
                and frozenset((code_reason, reason_name)) not in rules.compatible
            ):
                warnings.append(
                    translate(
                        "The text says {reason} but {code} means {code_reason}; "
                        "the text is more specific, so the diagnosis follows it.",
                        self.lang,
                    ).format(reason=reason_name, code=code, code_reason=code_reason)
                )
        else:
            reason_name = code_reason
        if command:
            reason_name = rules.by_command.get(command.upper(), {}).get(reason_name, reason_name)
        reason = rules.reasons.get(reason_name) or rules.reasons["unknown"]

        if provider_rule is not None:
            evidence.append(provider_rule)
        # The software whose default wording the reply has: the remote side's, as the
        # reporting software (the log's writer) is a fact of the input, not of the text.
        mta = None
        if ev is not None and ev.mta is not None:
            mta = ev.mta.value
            evidence.append(ev.mta.id)
        blocklist = None
        if ev is not None and ev.blocklist is not None:
            blocklist = rules.blocklists[ev.blocklist.value]
            evidence.append(ev.blocklist.id)
        cause = ev.cause if ev is not None and reason.name in rules.names_cause else None
        hard, retry, advice, summary = self.conclude(
            reason, klass, enhanced, provider, command, direction, blocklist, cause
        )
        # The provider's own steps, where they are for a reply of this class (a provider's
        # permanent "remove the address" does not fit the same code deferred).
        if vendor is not None and decisive and vendor.entry.klass in (None, klass):
            advice = f"{advice} {_vendor_advice(vendor, self.lang)}"
            if vendor.entry.client_retry == "no" and klass == "transient":
                warnings.append(
                    translate(
                        "{code} is transient by its code, but {provider} says retrying will "
                        "not succeed: stop retrying and fix the cause.",
                        self.lang,
                    ).format(code=vendor.entry.code, provider=_who(vendor, self.lang))
                )
        return Verdict(
            klass=klass,
            reason=reason.name,
            provider=provider,
            mta=mta,
            hard_bounce=hard,
            retry=retry,
            advice=advice,
            warnings=tuple(warnings),
            summary=summary if text else None,
            evidence=tuple(evidence),
            vendor=vendor,
        )

    def _provider(
        self, ev: TextEvidence | None, host: str | None, direction: str | None
    ) -> tuple[str | None, str | None]:
        """Who answered, and the rule that showed it (None: the remote host did).

        The remote host decides first. A host that is no provider's leaves only proof in
        the text (the provider's own servers named, as when a relay passes a provider's
        reply back): a server that copies Gmail's wording is not Gmail. A server's own
        refusal of a client (inbound) was answered by no provider at all.
        """
        if direction == "inbound":
            return None, None
        rules = self.rules
        if host:
            by_host = rules.provider_of_host(host)
            if by_host is not None:
                return by_host, None
            if ev is not None and ev.proof is not None:
                sig = ev.proof
                return (sig.provider if sig.kind == "reason" else sig.value), sig.id
            return None, None
        if ev is not None and ev.provider is not None:
            sig = ev.provider
            return (sig.provider if sig.kind == "reason" else sig.value), sig.id
        return None, None

    def is_delivery_failure(
        self, reason: Reason, klass: str | None, enhanced: str | None, command: str | None
    ) -> bool:
        """Whether the finding is a failure to deliver: not a success, not a login or a
        malformed command (unless its code says the address itself is malformed)."""
        if klass in ("success", "intermediate"):
            return False
        if command and command.upper() in self.rules.no_delivery_commands:
            return False
        if reason.bounce == "none":
            return klass == "permanent" and self._names_bad_address(enhanced, command)
        return True

    def _names_bad_address(self, enhanced: str | None, command: str | None) -> bool:
        """Whether the code says the recipient's address itself is malformed (5.1.3),
        which it cannot when the reply answered MAIL FROM (then it is the sender's)."""
        if enhanced not in self.rules.address_codes:
            return False
        return self.rules.objects.get((command or "").upper()) != "the sender"

    def conclude(
        self,
        reason: Reason,
        klass: str | None,
        enhanced: str | None = None,
        provider: str | None = None,
        command: str | None = None,
        direction: str | None = None,
        blocklist: Blocklist | None = None,
        cause: Signature | None = None,
    ) -> tuple[bool | None, bool | None, str, str]:
        """Hard bounce, retry, advice and summary for a reason in a reply class.

        hard_bounce: True when the address itself is bad, False for another delivery
        failure, None when nothing failed to be delivered. retry: whether the sending
        server tries again (transient yes, permanent no; no once it gave up), None when
        no delivery is involved. Advice and summary follow the class, so they never
        promise a retry that will not come or condemn an address failing for now.
        """
        rules = self.rules
        if klass in ("success", "intermediate"):
            reason = rules.reasons[klass]
        elif klass == "transient" and reason.final:
            # Given up after retries: the last deferral's class no longer holds.
            klass = "permanent"
        delivery = self.is_delivery_failure(reason, klass, enhanced, command)
        hard: bool | None = None
        retry: bool | None = None
        if delivery:
            hard = klass != "transient" and (
                reason.bounce == "hard" or self._names_bad_address(enhanced, command)
            )
            if klass in ("transient", "permanent"):
                retry = klass == "transient"
            elif reason.final:
                retry = False  # given up, even where the input shows no code
        inbound = direction == "inbound"
        if inbound:
            advice = [reason.inbound_advice]
        else:
            advice = [reason.advice_for(klass)]
            if provider is not None:
                tips = rules.providers[provider].advice
                tip = tips.get(reason.name) or (
                    tips.get("default") if klass not in ("success", "intermediate") else None
                )
                if tip:
                    advice.append(by_class(tip, klass))
            if blocklist is not None and reason.name in rules.delist_for:
                advice.append(blocklist.advice)
            if cause is not None and cause.value in rules.reasons:
                named = rules.reasons[cause.value]
                also = translate("The reply also names the cause: {summary}. {advice}", self.lang)
                advice.append(also.format(summary=named.summary, advice=named.advice_for(klass)))
        summary = self._summary(reason, klass, provider, command, hard, delivery, inbound)
        return hard, retry, " ".join(advice), summary

    def _summary(
        self,
        reason: Reason,
        klass: str | None,
        provider: str | None,
        command: str | None,
        hard: bool | None,
        delivery: bool,
        inbound: bool,
    ) -> str:
        """One sentence that leads the explanation of a whole reply. Whole sentences are
        templates (not glued from words), so that each language can order its own."""
        lang = self.lang

        def say(template: str, **values: str) -> str:
            return translate(template, lang).format(**values)

        if inbound:
            who = translate("This server", lang)
        else:
            who = (
                self.rules.providers[provider].name
                if provider
                else translate("The receiving server", lang)
            )
        if klass == "success":
            return say(N_("{who} accepted it. {action}"), who=who, action=reason.action_for(klass))
        if klass == "intermediate":
            return say(
                N_("{who} is waiting for the client to go on. {action}"),
                who=who,
                action=reason.action_for(klass),
            )
        about = self.rules.objects.get((command or "").upper()) or reason.about
        summary, action = reason.summary, reason.action_for(klass)
        if inbound:
            head = say(
                _INBOUND_HEADS.get(klass or "", _INBOUND_HEADS[""]),
                who=who,
                about=about,
                summary=summary,
            )
            admin = say(N_("For this server's admin: {action}"), action=reason.inbound_action)
            return f"{head} {admin}"
        if reason.final:
            # Given up after retries: the sending side's decision, not the receiver's.
            head = say(
                N_("The sending server gave up on {about}: {summary}."),
                about=reason.about,
                summary=summary,
            )
        else:
            head = say(_HEADS.get(klass or "", _HEADS[""]), who=who, about=about, summary=summary)
        if not delivery:
            lowered = who[:1].lower() + who[1:] if not provider else who
            return say(
                _NOT_BOUNCES.get(klass or "", _NOT_BOUNCES[""]),
                summary=summary,
                who=lowered,
                about=about,
                action=_cap(action),
            )
        if klass == "transient":
            return head + " " + say(N_("Temporary failure: {action}"), action=action)
        if hard:
            return head + " " + say(N_("Hard bounce: {action}"), action=action)
        return head + " " + say(N_("Soft bounce: {action}"), action=action)

    def verdict(self, reply: Reply) -> Verdict:
        # Cut before the cache: a cache key never holds more than MAX_TEXT characters.
        text = reply.text[:MAX_TEXT] if reply.text else reply.text
        return self._verdict_cached(
            text, reply.basic, reply.enhanced, reply.remote_host, reply.command, reply.direction
        )

    def diagnose(self, reply: Reply) -> Finding:
        basic_entry, enhanced_entry, undefined = self._entries_cached(reply.basic, reply.enhanced)
        v = self.verdict(reply)
        vendor = v.vendor.entry if v.vendor is not None else None
        if undefined and vendor is not None:
            # A code only a provider defines: its meaning is the provider's, not undefined
            # (also when a token of the reply chose the provider meaning shown beside it).
            provider = vendor.provider
            for code in undefined:
                entry = vendor if vendor.code == code else _provider_code(code, provider, self.lang)
                if entry is None:
                    continue
                undefined = tuple(c for c in undefined if c != code)
                if code == reply.enhanced:
                    enhanced_entry = entry
                elif code == reply.basic:
                    basic_entry = entry
        return Finding(
            reply=reply,
            klass=v.klass,
            reason=v.reason,
            provider=v.provider,
            hard_bounce=v.hard_bounce,
            retry=v.retry,
            basic_entry=basic_entry,
            enhanced_entry=enhanced_entry,
            advice=v.advice,
            warnings=v.warnings,
            undefined=undefined,
            summary=v.summary,
            remote_mta=v.mta,
            evidence=v.evidence,
            vendor_entry=vendor,
            lang=self.lang,
        )


def _who(vendor: VendorCode, lang: str) -> str:
    from smtpcode.provider_codes import get_layer

    return get_layer(lang).name(vendor.provider)


def _vendor_advice(vendor: VendorCode, lang: str) -> str:
    """The provider's own fix for its code or token, for the finding's advice."""
    steps = " ".join(step.rstrip(".") + "." for step in vendor.entry.fix)
    return f"{_who(vendor, lang)}, {vendor.entry.code}: {steps}"


def _provider_code(code: str, provider: str | None, lang: str) -> Entry | None:
    """A provider's meaning of a code the registry does not define, that provider's first."""
    from smtpcode.provider_codes import get_layer

    found = [vc.entry for vc in get_layer(lang).code_entries(code) if vc.token is None]
    ours = [e for e in found if e.provider == provider]
    chosen = ours or found
    return chosen[0] if chosen else None


# The head of a summary, by class: who did what to what, and why.
_HEADS = {
    "transient": N_("{who} deferred {about}: {summary}."),
    "permanent": N_("{who} rejected {about}: {summary}."),
    "": N_("{who} refused {about}: {summary}."),
}
_NOT_BOUNCES = {
    "transient": N_("Not a bounce: {summary} ({who} deferred {about}). {action}"),
    "permanent": N_("Not a bounce: {summary} ({who} rejected {about}). {action}"),
    "": N_("Not a bounce: {summary} ({who} refused {about}). {action}"),
}
_INBOUND_HEADS = {
    "transient": N_("{who} deferred {about} of a client: {summary}."),
    "permanent": N_("{who} rejected {about} of a client: {summary}."),
    "": N_("{who} refused {about} of a client: {summary}."),
}


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def get_diagnoser(lang: str | None = None) -> Diagnoser:
    """The diagnoser of a language (the current one by default), one per process."""
    from smtpcode.i18n import language

    return _diagnoser(lang or language())


@cache
def _diagnoser(lang: str) -> Diagnoser:
    return Diagnoser(lang=lang)


def diagnose(reply: Reply) -> Finding:
    return get_diagnoser().diagnose(reply)
