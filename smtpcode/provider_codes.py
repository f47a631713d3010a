"""The provider layer: what mail providers mean by their own codes and tokens.

Providers reply with codes no RFC defines (Microsoft's 5.7.606), with registry codes
used in their own sense (Microsoft's 5.1.10 for an unknown recipient, where the registry
means a null MX), and with tokens in the text (Yahoo's [TSS04], Exchange's
RESOLVER.ADR.RecipientNotFound, Gmail's ?p=NoSuchUser help topics). One YAML file per
provider (providers/<id>.yaml, shipped inside the wheel as smtpcode/providers/) says what
each means; this module loads the files once, on first use, checks them against a schema
(unknown keys are refused, naming the file and the key) and answers lookups by code, by
token and by the evidence in a reply.

In another language, providers/<lang>/<id>.yaml holds the texts of a provider file
(display name; each entry's title, description, when and fix), laid over the checked
English entries: what an entry means for diagnosis (class, reason, codes, who acts)
comes from the English file alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from smtpcode.catalogue import CatalogueError, Entry
from smtpcode.codes import CLASS_BY_DIGIT

# Who puts the code in front of the sender: the receiving system (the usual case), the
# sender's own system (an NDR that its own server writes) or a relay in between.
EMITTERS = ("receiver", "sender", "relay")
# How a client should treat it: the queue retries by itself (yes), retry only once the
# cause named is fixed (after-fix), or never send this again to the address (no).
RETRIES = ("yes", "after-fix", "no")
KLASSES = ("transient", "permanent")
# Every fix step opens with who acts, in the catalogue's style ("Sender's admin: ...").
ACTOR_LABELS = {
    "Sender": "sender",
    "Sender's admin": "sender-admin",
    "Client software": "sender-admin",
    "Recipient": "recipient",
    "Receiving admin": "receiving-admin",
}

_PROVIDER_KEYS = {"id": True, "name": True, "help": True, "emits": True, "codes": True}
# Field -> required. Exactly one of `code` and `token` names an entry (checked apart).
_CODE_KEYS = {
    "code": False,
    "through": False,
    "token": False,
    "aliases": False,
    "basic": False,
    "enhanced": False,
    "class": True,
    "title": True,
    "description": True,
    "when": True,
    "fix": True,
    "retry": True,
    "reason": True,
    "help": False,
    "emits": False,
    "registry_differs": False,
}
_ENHANCED = re.compile(r"[245]\.\d{1,3}\.\d{1,3}")
_BASIC = re.compile(r"[245]\d\d")
# A token stands alone: not inside a longer word ("TS01" is not in "TSS01x") nor a part of a
# host name ("cs01.mail.example.com" is no CS01, "a.ts01-relay" no TS01).
_EDGE_BEFORE = r"(?<![A-Za-z0-9._-])"
_EDGE_AFTER = r"(?![A-Za-z0-9_]|[.-][A-Za-z0-9])"


@dataclass(frozen=True, slots=True)
class VendorCode:
    """One provider code or token: its catalogue entry and what diagnosis needs besides."""

    entry: Entry
    reason: str
    token: str | None
    aliases: tuple[str, ...]  # other spellings of the token seen in replies
    first: str | None  # the code, or the first of a range
    last: str | None  # the last code of a range (None: a single code)
    comes_with: tuple[str, ...]  # the basic and enhanced codes it is seen with

    @property
    def provider(self) -> str:
        return self.entry.provider or ""

    def covers(self, code: str) -> bool:
        if self.first is None:
            return False
        if self.last is None:
            return code == self.first
        return _in_range(code, self.first, self.last)


@dataclass(frozen=True, slots=True)
class Provider:
    id: str
    name: str
    help: tuple[str, ...]
    emits: str
    codes: tuple[VendorCode, ...]


def _in_range(code: str, first: str, last: str) -> bool:
    head, _, number = code.rpartition(".")
    first_head, _, first_number = first.rpartition(".")
    _, _, last_number = last.rpartition(".")
    return (
        head == first_head
        and number.isdigit()
        and int(first_number) <= int(number) <= int(last_number)
    )


def _fail(where: str, message: str) -> CatalogueError:
    return CatalogueError(f"{where}: {message}")


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, f"`{key}` must be a non-empty string")
    return " ".join(value.split())


def _strings(raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value.strip(),)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(where, f"`{key}` must be a string or a list of strings")
    return tuple(v.strip() for v in value)


def _check_keys(raw: Any, allowed: Mapping[str, bool], where: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise _fail(where, "must be a mapping")
    for key in raw:
        if key not in allowed:
            raise _fail(where, f"unknown key {key!r}")
    for key, required in allowed.items():
        if required and key not in raw:
            raise _fail(where, f"required key {key!r} is missing")
    return raw


def _https(urls: tuple[str, ...], where: str) -> tuple[str, ...]:
    for url in urls:
        if not re.fullmatch(r"https://[^\s/]+\.[^\s/]+(/\S*)?", url):
            raise _fail(where, f"help address {url!r} is not an https URL")
    return urls


def _code_and_range(
    raw: Mapping[str, Any],
    name: str,
    basic: tuple[str, ...],
    enhanced: tuple[str, ...],
    where: str,
) -> tuple[str, str | None, tuple[str, ...]]:
    """A code entry's kind (basic or enhanced), the end of its range, and the codes it
    is seen with; checks that they are well-formed."""
    if _ENHANCED.fullmatch(name):
        kind = "enhanced"
    elif _BASIC.fullmatch(name):
        kind = "basic"
    else:
        raise _fail(where, "`code` must be a basic (550) or enhanced (5.7.1) code")
    last = None
    if "through" in raw:
        last = str(raw["through"]).strip()
        if kind != "enhanced" or not _ENHANCED.fullmatch(last):
            raise _fail(where, "`through` ends a range of enhanced codes")
        if last.rpartition(".")[0] != name.rpartition(".")[0] or not _in_range(last, name, last):
            raise _fail(where, f"`through` {last} does not follow {name}")
    if enhanced:
        raise _fail(where, "`enhanced` is for tokens; a code entry is its own code")
    return kind, last, (name, *basic)


def _actors(fix: tuple[str, ...], where: str) -> tuple[str, ...]:
    """Who acts, from the labels the fix steps open with."""
    if not fix:
        raise _fail(where, "`fix` needs at least one step")
    actors: list[str] = []
    for step in fix:
        label = step.split(":", 1)[0]
        if label not in ACTOR_LABELS or ":" not in step:
            raise _fail(where, f"fix step {step[:30]!r}... does not open with who acts")
        if ACTOR_LABELS[label] not in actors:
            actors.append(ACTOR_LABELS[label])
    return tuple(actors)


def _one_of(value: str, allowed: tuple[str, ...], key: str, where: str) -> str:
    if value not in allowed:
        raise _fail(where, f"{key} {value!r} is not one of {', '.join(allowed)}")
    return value


def _vendor_code(
    raw: Any, provider: str, default_help: tuple[str, ...], emits: str, where: str
) -> VendorCode:
    """One entry of a provider file, checked against the schema."""
    from smtpcode.diagnose import REASON_NAMES

    raw = _check_keys(raw, _CODE_KEYS, where)
    code, token = raw.get("code"), raw.get("token")
    if (code is None) == (token is None):
        raise _fail(where, "give exactly one of `code` and `token`")
    name = str(code if code is not None else token).strip()
    where = f"{where} ({name})"
    klass = _one_of(_text(raw, "class", where), KLASSES, "class", where)
    basic = _strings(raw, "basic", where)
    enhanced = _strings(raw, "enhanced", where)
    if code is not None:
        kind, last, codes_seen = _code_and_range(raw, name, basic, enhanced, where)
    else:
        kind, last, codes_seen = "token", None, (*basic, *enhanced)
        if "through" in raw:
            raise _fail(where, "`through` belongs to a code, not a token")
    aliases = _strings(raw, "aliases", where)
    if aliases and kind != "token":
        raise _fail(where, "`aliases` are other spellings of a token")
    for seen in codes_seen:
        if not (_BASIC.fullmatch(seen) or _ENHANCED.fullmatch(seen)):
            raise _fail(where, f"{seen!r} is not a basic or enhanced code")
        if CLASS_BY_DIGIT.get(seen[0]) != klass:
            raise _fail(where, f"{seen} does not belong to class {klass}")
    fix = _strings(raw, "fix", where)
    differs = raw.get("registry_differs", False)
    if not isinstance(differs, bool):
        raise _fail(where, "`registry_differs` is true or false")
    entry = Entry(
        code=f"{name}-{last.rpartition('.')[2]}" if last else name,
        kind=kind,
        title=_text(raw, "title", where),
        klass=klass,
        description=_text(raw, "description", where),
        when=_text(raw, "when", where),
        fix=fix,
        status="vendor",
        actors=_actors(fix, where),
        associated=tuple(c for c in codes_seen if c != name),
        provider=provider,
        help=_https(_strings(raw, "help", where), where) or default_help,
        emits=_one_of(str(raw.get("emits", emits)), EMITTERS, "emits", where),
        client_retry=_one_of(_text(raw, "retry", where), RETRIES, "retry", where),
        registry_differs=differs,
    )
    return VendorCode(
        entry=entry,
        reason=_one_of(_text(raw, "reason", where), REASON_NAMES, "reason", where),
        token=name if kind == "token" else None,
        aliases=aliases,
        first=name if kind != "token" else None,
        last=last,
        comes_with=codes_seen if kind == "token" else basic,
    )


def load_provider(data: Any, source: str) -> Provider:
    """One provider file, checked against the schema."""
    raw = _check_keys(data, _PROVIDER_KEYS, source)
    pid = _text(raw, "id", source)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", pid):
        raise _fail(source, f"id {pid!r} must be lower-case letters, digits and dashes")
    help_links = _https(_strings(raw, "help", source), source)
    if not help_links:
        raise _fail(source, "`help` needs at least one address")
    emits = _one_of(_text(raw, "emits", source), EMITTERS, "emits", source)
    entries = raw.get("codes")
    if not isinstance(entries, list) or not entries:
        raise _fail(source, "`codes` must be a non-empty list")
    codes = tuple(
        _vendor_code(item, pid, help_links, emits, f"{source}: codes[{i}]")
        for i, item in enumerate(entries)
    )
    seen: set[str] = set()
    for vc in codes:
        key = vc.entry.code.lower()
        if key in seen:
            raise _fail(source, f"{vc.entry.code} is given twice")
        seen.add(key)
    return Provider(pid, _text(raw, "name", source), help_links, emits, codes)


class ProviderLayer:
    """Every provider's codes and tokens, indexed for lookup."""

    def __init__(self, providers: Iterable[Provider]) -> None:
        self.providers: dict[str, Provider] = {}
        for prov in providers:
            if prov.id in self.providers:
                raise CatalogueError(f"provider {prov.id!r} is defined twice")
            self.providers[prov.id] = prov
        self._codes = [vc for p in self.providers.values() for vc in p.codes]
        self._tokens: dict[str, VendorCode] = {}
        for vc in self._codes:
            for spelling in (vc.token, *vc.aliases) if vc.token else ():
                other = self._tokens.setdefault(spelling.lower(), vc)
                if other is not vc:
                    raise CatalogueError(
                        f"token {spelling!r} is both {other.provider}'s and {vc.provider}'s"
                    )
        # Single codes by code; ranges (5.7.606-649) are few and tried one by one.
        self._by_code: dict[str, list[VendorCode]] = {}
        self._ranges: list[VendorCode] = []
        for vc in self._codes:
            if vc.last is not None:
                self._ranges.append(vc)
            elif vc.first is not None:
                self._by_code.setdefault(vc.first, []).append(vc)
        # Where each provider's help pages live: a link to one in a reply names it.
        self._help_hosts = {
            pid: tuple({_host(u) for u in p.help} | {_host(vc.entry.help[0]) for vc in p.codes})
            for pid, p in self.providers.items()
        }

    @cached_property
    def _token_scan(self) -> re.Pattern[str] | None:
        """One regex finding every token, compiled on first use: explaining a bare code
        never pays for it."""
        tokens = sorted(self._tokens, key=len, reverse=True)
        if not tokens:
            return None
        alternatives = "|".join(re.escape(t) for t in tokens)
        return re.compile(f"{_EDGE_BEFORE}({alternatives}){_EDGE_AFTER}", re.IGNORECASE)

    # -- lookups ------------------------------------------------------------------

    def name(self, provider: str) -> str:
        prov = self.providers.get(provider)
        return prov.name if prov is not None else provider

    def code_entries(self, code: str) -> tuple[VendorCode, ...]:
        """The providers' own meanings of a code, single codes before ranges."""
        ranges = [_as_code(vc, code) for vc in self._ranges if vc.covers(code)]
        return (*self._by_code.get(code, ()), *ranges)

    def token(self, token: str) -> VendorCode | None:
        """The entry for a token as a user types it: "TSS04", "[TSS04]", any case."""
        return self._tokens.get(token.strip().strip("[]()").lower())

    def tokens_in(self, text: str, evidence: Iterable[str] | None = None) -> list[VendorCode]:
        """The tokens a reply text carries, in their order in the text.

        With `evidence` (the providers other evidence names), a phrase ("Delivery not
        authorized, message refused") counts only for a provider named there: unlike a
        code-like token (TSS04, AUP#1310, ?p=NoSuchUser), ordinary wording may come
        from any server.
        """
        scan = self._token_scan
        if scan is None:
            return []
        from smtpcode.diagnose import normalise

        named = None if evidence is None else set(evidence)
        found: dict[str, VendorCode] = {}
        # Read as the rules read it: a phrase may be folded over the lines of a multi-line
        # reply, with the reply codes repeated at the start of each.
        for m in scan.finditer(normalise(text)):
            spelling = m.group(1)
            vc = self._tokens[spelling.lower()]
            if named is not None and vc.provider not in named and " " in spelling:
                continue
            found.setdefault(vc.entry.code, vc)
        return list(found.values())

    def linked(self, text: str) -> set[str]:
        """The providers whose help pages a reply text links to."""
        low = text.lower()
        return {pid for pid, hosts in self._help_hosts.items() if any(h in low for h in hosts)}

    def entries(self, providers: Iterable[str] = ()) -> Iterator[Entry]:
        wanted = set(providers)
        for pid, prov in self.providers.items():
            if not wanted or pid in wanted:
                yield from (vc.entry for vc in prov.codes)

    def choose(
        self,
        basic: str | None,
        enhanced: str | None,
        text: str | None,
        provider: str | None,
        undefined: Iterable[str] = (),
    ) -> VendorCode | None:
        """The provider meaning that applies to a reply, chosen by its evidence.

        A token in the text decides (the recognised provider's tokens first). Otherwise
        a code the registry does not define takes the provider meaning whoever answered
        (no one else gives it one); a code the registry defines takes it only when the
        evidence names that provider (the remote host, its wording or a link to its help
        pages), or, for a bare code with nothing else to go on, when a single provider is
        known to use it differently from the registry. `undefined`: the reply's codes
        that the registry does not define.
        """
        unregistered = set(undefined)
        evidence = {provider} if provider else set()
        if text:
            evidence |= self.linked(text)
            tokens = self.tokens_in(text, evidence)
            if tokens:
                codes = {basic, enhanced} - {None}
                return min(
                    tokens,
                    key=lambda vc: (
                        vc.provider != provider,
                        not (codes & set(vc.comes_with)),
                    ),
                )
        for code in (enhanced, basic):
            if code is None:
                continue
            found = [vc for vc in self.code_entries(code) if vc.token is None]
            if not found:
                continue
            named = [vc for vc in found if vc.provider in evidence]
            if named:
                return named[0]
            if code in unregistered:
                return found[0]
            if text is None:
                differing = [vc for vc in found if vc.entry.registry_differs]
                if len({vc.provider for vc in differing}) == 1:
                    return differing[0]
        return None


def _host(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0].lower()


def _as_code(vc: VendorCode, code: str) -> VendorCode:
    """A range entry read for one of its codes (5.7.620 of 5.7.606-649)."""
    if vc.last is None or vc.entry.code == code:
        return vc
    return replace(vc, entry=replace(vc.entry, code=code))


def providers_dir() -> Path:
    """providers/ beside the package in a wheel, at the repository's top in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "providers", here.parent / "providers"):
        if candidate.is_dir():
            return candidate
    raise CatalogueError(f"providers/ not found beside {here}")


def translated(prov: Provider, texts: Mapping[str, Any]) -> Provider:
    """A provider with the texts of a translation (providers/<lang>/<id>.yaml) laid over
    its entries; a text the translation lacks stays English."""
    from smtpcode.translations import PROVIDER_TEXTS, provider_texts_by_key

    mine = provider_texts_by_key(texts)
    codes = []
    for vc in prov.codes:
        theirs = mine.get(vc.token or vc.first or "") or {}
        changes: dict[str, Any] = {}
        for field in PROVIDER_TEXTS:
            value = theirs.get(field)
            if field == "fix" and isinstance(value, list) and value:
                changes[field] = tuple(" ".join(str(step).split()) for step in value)
            elif isinstance(value, str) and value.strip():
                changes[field] = " ".join(value.split())
        codes.append(replace(vc, entry=replace(vc.entry, **changes)) if changes else vc)
    name = texts.get("name")
    own_name = " ".join(name.split()) if isinstance(name, str) and name.strip() else prov.name
    return replace(prov, name=own_name, codes=tuple(codes))


def load_layer(directory: Path, lang: str = "en") -> ProviderLayer:
    """The provider files of a folder; for another language than English, with the texts
    of <directory>/<lang>/<id>.yaml laid over each (where that file exists)."""
    from smtpcode import datafiles
    from smtpcode.schemas import schema_for

    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise CatalogueError(f"{directory}: no provider files")
    bundled = directory == providers_dir()
    providers = []
    for path in files:
        # The bundled files through their checked JSON copies (in a wheel); others read
        # and checked as they are.
        name = f"providers/{path.name}"
        data = datafiles.load(name) if bundled else datafiles.read_yaml(path, schema_for(name))
        prov = load_provider(data, path.name)
        if prov.id != path.stem:
            raise CatalogueError(f"{path.name}: id {prov.id!r} differs from the file name")
        texts_path = directory / lang / path.name
        if lang != "en" and texts_path.is_file():
            name = f"providers/{lang}/{path.name}"
            texts = (
                datafiles.load(name)
                if bundled
                else datafiles.read_yaml(texts_path, schema_for(name))
            )
            prov = translated(prov, texts)
        providers.append(prov)
    return ProviderLayer(providers)


def get_layer(lang: str | None = None) -> ProviderLayer:
    """The provider layer in a language (the current one by default), loaded once per
    process and language."""
    from smtpcode.i18n import language

    return _layer(lang or language())


@cache
def _layer(lang: str) -> ProviderLayer:
    return load_layer(providers_dir(), lang)
