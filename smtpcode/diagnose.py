"""Reply -> Finding: class, reason, provider, MTA, hard/soft bounce, advice and warnings.

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
from typing import Any

from smtpcode.catalogue import Catalogue, CatalogueError, Entry, data_path, get_catalogue, load_yaml
from smtpcode.codes import CLASS_BY_DIGIT, valid_basic, valid_enhanced
from smtpcode.records import Finding, Reply

ENV_RULES = "SMTPCODE_RULES"
# Texts whose phrases are found by testing each phrase, before the trie regex is compiled.
_TEXTS_BEFORE_TRIE = 1000

# Distinct reply texts remembered; a log's texts repeat, its unique texts are unbounded.
CACHE_SIZE = 8192

# Only this much of a reply text is read. Real replies, even multi-line ones with a
# bounce's delivery history, fit in a few KB; a longer text is junk or hostile, and the
# cap keeps the work per reply (and the size of a cache key) bounded whatever the input.
MAX_TEXT = 16 * 1024

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


@dataclass(frozen=True, slots=True)
class Reason:
    name: str
    hard_bounce: bool | None
    advice: str
    # Short clauses for the one-line summary: what happened, and what to do.
    summary: str
    action: str
    # What the refusal is about when the command is not known (recipient, sender, ...).
    about: str


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
    provider: str | None = None  # a reason rule may prove the provider too


@dataclass(frozen=True, slots=True)
class Provider:
    id: str
    name: str
    hosts: tuple[str, ...]
    advice: Mapping[str, str]


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
    advice: str
    warnings: tuple[str, ...]
    summary: str | None
    evidence: tuple[str, ...]


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
            self.reasons = {
                str(k): Reason(
                    str(k),
                    v.get("hard_bounce"),
                    str(v["advice"]).strip(),
                    str(v["summary"]).strip(),
                    str(v["action"]).strip(),
                    str(v.get("about", "message")),
                )
                for k, v in data["reasons"].items()
            }
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
                    {str(a): str(b).strip() for a, b in (v.get("advice") or {}).items()},
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
                f"rules.yaml: reasons must be exactly the GUIDE vocabulary "
                f"(missing {sorted(known - set(self.reasons))}, "
                f"extra {sorted(set(self.reasons) - known)})"
            )
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
        provider = best.get("provider") or best.get("provider-by-reason")
        return TextEvidence(
            reason=best.get("reason"),
            provider=provider,
            mta=best.get("mta"),
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


@cache
def get_rules() -> Rules:
    from smtpcode.datacache import load_cached

    data = load_cached(data_path("rules.yaml", ENV_RULES), load_yaml)
    if not isinstance(data, Mapping):
        raise CatalogueError("rules.yaml must be a mapping")
    return Rules(data)


def _klass(basic: str | None, enhanced: str | None) -> tuple[str | None, str | None]:
    """The reply class and, when the two codes disagree on it, the warning."""
    klass = CLASS_BY_DIGIT.get(basic[0]) if basic else None
    if enhanced is not None:
        eklass = CLASS_BY_DIGIT.get(enhanced[0])
        if klass is None:
            return eklass, None
        if eklass != klass:
            return klass, (
                f"The basic code {basic} is {klass} but the enhanced code {enhanced} is "
                f"{eklass}; RFC 3463 requires both to have the same class. Trust the basic "
                f"code for whether to retry."
            )
    return klass, None


class Diagnoser:
    """Turns replies into findings; holds the catalogue and the compiled rules."""

    def __init__(self, catalogue: Catalogue | None = None, rules: Rules | None = None) -> None:
        self._catalogue = catalogue
        self.rules = rules or get_rules()
        self._text_evidence = lru_cache(maxsize=CACHE_SIZE)(self.rules.evidence)
        self._verdict_cached = lru_cache(maxsize=CACHE_SIZE)(self._verdict)
        self._entries_cached = lru_cache(maxsize=1024)(self._entries)

    @property
    def catalogue(self) -> Catalogue:
        # Loaded on first use so rule-only work (tests, benchmarks) need not read codes.yaml.
        if self._catalogue is None:
            self._catalogue = get_catalogue()
        return self._catalogue

    def _entries(
        self, basic: str | None, enhanced: str | None
    ) -> tuple[Entry | None, Entry | None, tuple[str, ...]]:
        # A Reply may come from anywhere (a library user, a future extractor): a value
        # that is not a code has no meaning rather than a crash.
        return self.catalogue.meanings(valid_basic(basic), valid_enhanced(enhanced))

    def text_evidence(self, text: str | None, klass: str | None) -> TextEvidence | None:
        return None if not text else self._text_evidence(text, klass)

    def _verdict(
        self,
        text: str | None,
        basic: str | None,
        enhanced: str | None,
        host: str | None,
        mta: str | None,
        command: str | None,
    ) -> Verdict:
        rules = self.rules
        warnings: list[str] = []
        # Not a code, no code (see _entries); checked here, behind the cache.
        basic, enhanced = valid_basic(basic), valid_enhanced(enhanced)
        klass, class_warning = _klass(basic, enhanced)
        if class_warning:
            warnings.append(class_warning)
        ev = self.text_evidence(text, klass)
        code_reason, code = rules.code_reason(basic, enhanced)
        evidence: list[str] = []

        if klass in ("success", "intermediate"):
            # A success is a success whatever its text says ("250 ok, no spam found").
            reason_name = klass
        elif ev is not None and ev.reason is not None:
            reason_name = ev.reason.value
            evidence.append(ev.reason.id)
            if (
                code is not None
                and code_reason != reason_name
                and not rules.is_weak(code)
                and frozenset((code_reason, reason_name)) not in rules.compatible
            ):
                warnings.append(
                    f"The text says {reason_name} but {code} means {code_reason}; "
                    f"the text is more specific, so the diagnosis follows it."
                )
        else:
            reason_name = code_reason
        if command:
            reason_name = rules.by_command.get(command.upper(), {}).get(reason_name, reason_name)
        reason = rules.reasons.get(reason_name) or rules.reasons["unknown"]

        provider = rules.provider_of_host(host) if host else None
        if provider is None and ev is not None and ev.provider is not None:
            sig = ev.provider
            provider = sig.provider if sig.kind == "reason" else sig.value
            evidence.append(sig.id)
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

        hard = reason.hard_bounce
        if klass in ("success", "intermediate", "transient"):
            hard = False

        advice = [reason.advice]
        if provider is not None:
            tips = rules.providers[provider].advice
            tip = tips.get(reason.name) or (
                tips.get("default") if klass not in ("success", "intermediate") else None
            )
            if tip:
                advice.append(tip)
        if blocklist is not None and reason.name in rules.delist_for:
            advice.append(blocklist.advice)
        cause = ev.cause if ev is not None and reason.name in rules.names_cause else None
        if cause is not None and cause.value in rules.reasons:
            named = rules.reasons[cause.value]
            advice.append(f"The reply also names the cause: {named.summary}. {named.advice}")

        return Verdict(
            klass=klass,
            reason=reason.name,
            provider=provider,
            mta=mta,
            hard_bounce=hard,
            advice=" ".join(advice),
            warnings=tuple(warnings),
            summary=self._summary(reason, klass, provider, command, hard) if text else None,
            evidence=tuple(evidence),
        )

    def _summary(
        self,
        reason: Reason,
        klass: str | None,
        provider: str | None,
        command: str | None,
        hard: bool | None,
    ) -> str:
        """One sentence that leads the explanation of a whole reply."""
        who = self.rules.providers[provider].name if provider else "The receiving server"
        if klass == "success":
            return f"{who} accepted it. {reason.action}"
        if klass == "intermediate":
            return f"{who} is waiting for the client to go on. {reason.action}"
        about = self.rules.objects.get((command or "").upper()) or reason.about
        verb = {"transient": "deferred", "permanent": "rejected"}.get(klass or "", "refused")
        head = f"{who} {verb} {about}: {reason.summary}."
        if klass == "transient":
            return f"{head} Temporary failure: {reason.action}"
        if hard:
            return f"{head} Hard bounce: {reason.action}"
        if hard is False:
            return f"{head} Soft bounce: {reason.action}"
        return f"{head} {reason.action}"

    def verdict(self, reply: Reply) -> Verdict:
        # Cut before the cache: a cache key never holds more than MAX_TEXT characters.
        text = reply.text[:MAX_TEXT] if reply.text else reply.text
        return self._verdict_cached(
            text, reply.basic, reply.enhanced, reply.remote_host, reply.reporter, reply.command
        )

    def diagnose(self, reply: Reply) -> Finding:
        basic_entry, enhanced_entry, undefined = self._entries_cached(reply.basic, reply.enhanced)
        v = self.verdict(reply)
        return Finding(
            reply=reply,
            klass=v.klass,
            reason=v.reason,
            provider=v.provider,
            hard_bounce=v.hard_bounce,
            retry={"transient": True, "permanent": False}.get(v.klass or ""),
            basic_entry=basic_entry,
            enhanced_entry=enhanced_entry,
            advice=v.advice,
            warnings=v.warnings,
            undefined=undefined,
            summary=v.summary,
            remote_mta=v.mta,
            evidence=v.evidence,
        )


@cache
def get_diagnoser() -> Diagnoser:
    return Diagnoser()


def diagnose(reply: Reply) -> Finding:
    return get_diagnoser().diagnose(reply)
