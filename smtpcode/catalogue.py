"""The code catalogue: codes.yaml loaded once into frozen entries, with lookup and suggestions.

codes.yaml is the single source of what codes mean; nothing here writes a description
except the structural reading of an undefined code, which is assembled from the
catalogue's own digit and subject texts.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from smtpcode.codes import CLASS_BY_DIGIT, BasicCode, EnhancedCode
from smtpcode.i18n import translate

STATUSES = ("standard", "extension", "registry", "vendor", "folklore")
ENV_CATALOGUE = "SMTPCODE_CATALOGUE"


class CatalogueError(Exception):
    """codes.yaml is missing, unreadable or malformed."""


@dataclass(frozen=True, slots=True)
class Entry:
    """What one code means. For enhanced codes, resolved to a concrete class ("5.1.1")."""

    code: str
    kind: str  # basic | enhanced | class | subject
    title: str
    klass: str | None
    description: str
    when: str
    fix: tuple[str, ...]
    status: str
    rfcs: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    associated: tuple[str, ...] = ()
    defined: bool = True
    # What to do about this reply when its class's advice does not fit it (a 214 help
    # text is no hand-over of a message); empty: the class's advice holds.
    retry: str = ""
    # The reply texts the RFCs give for the code ("Requested action not taken: mailbox
    # unavailable"), for search and for recognising a default reply.
    rfc_text: tuple[str, ...] = ()
    # Ids of the catalogue's vendor_notes: which software behaves as the entry says, and
    # for which versions or as of which date.
    notes: tuple[str, ...] = ()
    # Set for the entries of the provider layer (status vendor, smtpcode.provider_codes): the
    # provider's id, its help addresses, who emits the code (receiver, sender, relay),
    # how a client should treat it (retry yes, after-fix, no), and whether the provider
    # uses a code of the registry in another sense than the registry.
    provider: str | None = None
    help: tuple[str, ...] = ()
    emits: str | None = None
    client_retry: str | None = None
    registry_differs: bool = False
    # Advice for whoever picks the reply (a server, milter or policy author) and what it
    # means for the sender: the reference page's "When to use which".
    choose: str = ""

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "code": self.code,
            "title": self.title,
            "class": self.klass,
            "description": self.description,
            "when": self.when,
            "fix": list(self.fix),
            "status": self.status if self.defined else "undefined",
            "rfcs": list(self.rfcs),
            "related": list(self.related),
            "commands": list(self.commands),
            "actors": list(self.actors),
            "associated": list(self.associated),
        }
        if self.provider is not None:
            out["provider"] = self.provider
            out["help"] = list(self.help)
            out["emits"] = self.emits
            out["retry"] = self.client_retry
            out["registry_differs"] = self.registry_differs
        return out


@dataclass(frozen=True, slots=True)
class VendorNote:
    """One claim about how a vendor's software or service behaves, with what it holds for."""

    id: str
    software: str  # the product or service, e.g. "Postfix", "Microsoft 365"
    holds: str  # the versions or the date the claim holds for
    text: str
    source: str = ""  # where the vendor says so


@dataclass(frozen=True, slots=True)
class Digit:
    name: str
    title: str
    description: str
    retry: str


def _tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _entry(raw: Mapping[str, Any], kind: str) -> Entry:
    try:
        fix = raw["fix"]
        return Entry(
            code=str(raw["code"]),
            kind=kind,
            title=str(raw["title"]).strip(),
            klass=raw.get("class"),
            description=str(raw["description"]).strip(),
            when=str(raw["when"]).strip(),
            fix=_tuple(fix),
            status=str(raw["status"]),
            rfcs=_tuple(raw.get("rfcs")),
            commands=_tuple(raw.get("commands")),
            related=_tuple(raw.get("related")),
            actors=_tuple(raw.get("actors")),
            associated=_tuple(raw.get("associated")),
            retry=str(raw.get("retry", "")).strip(),
            rfc_text=_tuple(raw.get("rfc_text")),
            notes=_tuple(raw.get("notes")),
            choose=str(raw.get("choose", "")).strip(),
        )
    except (KeyError, TypeError) as exc:
        code = raw.get("code", "?") if isinstance(raw, Mapping) else "?"
        raise CatalogueError(f"catalogue entry {code!r} lacks field {exc}") from None


class Catalogue:
    """All entries of codes.yaml, indexed for lookup."""

    def __init__(
        self, data: Mapping[str, Any], source: str = "codes.yaml", lang: str = "en"
    ) -> None:
        self.source = source
        # The language of the texts: the structural readings are written in it too.
        self.lang = lang
        try:
            meta = data["meta"]
            self.first_digit = {
                str(k): Digit(
                    name=str(v["name"]),
                    title=str(v["title"]),
                    description=str(v["description"]).strip(),
                    retry=str(v.get("retry", "")).strip(),
                )
                for k, v in meta["first_digit"].items()
            }
            self.second_digit = {
                str(k): Digit(
                    name=str(v["title"]),
                    title=str(v["title"]),
                    description=str(v["description"]).strip(),
                    retry="",
                )
                for k, v in meta["second_digit"].items()
            }
            self._classes = {str(e["code"]): _entry(e, "class") for e in meta["enhanced_classes"]}
            self._subjects = {str(e["code"]): _entry(e, "subject") for e in meta["subjects"]}
            self._basic = {str(e["code"]): _entry(e, "basic") for e in data["basic"]}
            self._enhanced = {str(e["code"]): _entry(e, "enhanced") for e in data["enhanced"]}
            self.vendor_notes = {
                str(k): VendorNote(
                    id=str(k),
                    software=str(v["software"]),
                    holds=str(v["holds"]),
                    text=str(v["text"]).strip(),
                    source=str(v.get("source", "")),
                )
                for k, v in (data.get("vendor_notes") or {}).items()
            }
            self._by_class: dict[tuple[str, str], Mapping[str, Any]] = {
                (str(e["code"]), str(k)): v
                for e in data["enhanced"]
                for k, v in (e.get("by_class") or {}).items()
            }
        except (KeyError, TypeError, AttributeError) as exc:
            raise CatalogueError(f"{source}: malformed catalogue ({exc!r})") from None

    def _(self, message: str) -> str:
        return translate(message, self.lang)

    # -- lookup -----------------------------------------------------------------

    def notes(self, entry: Entry) -> list[VendorNote]:
        """The vendor notes an entry refers to."""
        return [self.vendor_notes[n] for n in entry.notes if n in self.vendor_notes]

    def basic(self, code: str | BasicCode) -> Entry | None:
        return self._basic.get(str(code))

    def enhanced(self, code: str | EnhancedCode) -> Entry | None:
        """The entry for a concrete enhanced code ("5.1.1"), resolved to its class."""
        if isinstance(code, str):
            from smtpcode.codes import parse_enhanced

            code = parse_enhanced(code)
        return self._resolve_enhanced(code.klass_digit, code.generic)

    @cache  # noqa: B019 - the catalogue lives for the whole process
    def _resolve_enhanced(self, digit: str, generic: str) -> Entry | None:
        base = self._enhanced.get(generic)
        if base is None:
            return None
        override = self._by_class.get((generic, digit), {})
        return replace(
            base,
            code=f"{digit}{generic[1:]}",
            klass=CLASS_BY_DIGIT[digit],
            when=str(override.get("when", base.when)).strip(),
            fix=_tuple(override["fix"]) if "fix" in override else base.fix,
            # "X.2.3" read beside 4.2.2 means 4.2.3: keep the related codes in the same class.
            related=tuple(
                f"{digit}{r[1:]}" if r.startswith("X.") and not r.endswith(".X") else r
                for r in base.related
            ),
        )

    def enhanced_class(self, digit: str) -> Entry | None:
        return self._classes.get(f"{digit}.X.X")

    def subject(self, subject: int) -> Entry | None:
        return self._subjects.get(f"X.{subject}.X")

    def entry_for(self, code: str) -> Entry | None:
        """Any defined code as written by a user: "550", "5.1.1", "X.1.1", "5.X.X", "X.1.X"."""
        if code in self._basic:
            return self._basic[code]
        if code in self._classes:
            return self._classes[code]
        if code in self._subjects:
            return self._subjects[code]
        if code in self._enhanced:
            return self._enhanced[code]
        parts = code.split(".")
        if len(parts) == 3 and parts[0] in ("2", "4", "5") and parts[1].isdigit():
            if parts[2].isdigit():
                return self._resolve_enhanced(parts[0], f"X.{int(parts[1])}.{int(parts[2])}")
            if parts[2].upper() == "X":
                return self._subjects.get(f"X.{int(parts[1])}.X")
        return None

    def meanings(
        self, basic: str | None, enhanced: str | None
    ) -> tuple[Entry | None, Entry | None, tuple[str, ...]]:
        """The entries of a reply's two codes (a structural reading for a well-formed
        code the catalogue does not define) and the codes that are not defined."""
        undefined: list[str] = []
        basic_entry = enhanced_entry = None
        if basic is not None:
            basic_entry = self.basic(basic)
            if basic_entry is None:
                undefined.append(basic)
                basic_entry = self.structural(BasicCode(basic))
        if enhanced is not None:
            k, s, d = enhanced.split(".")
            code = EnhancedCode(k, int(s), int(d))
            enhanced_entry = self.enhanced(code)
            if enhanced_entry is None:
                undefined.append(enhanced)
                enhanced_entry = self.structural(code)
        return basic_entry, enhanced_entry, tuple(undefined)

    # -- the provider layer (providers/*.yaml, smtpcode.provider_codes) ------------------

    def vendor_entries(self, code: str) -> tuple[Entry, ...]:
        """The providers' own meanings of a code (status vendor, with the provider's id
        and help addresses): Microsoft's 5.7.606, or its 5.1.10 beside the registry's."""
        from smtpcode.provider_codes import get_layer

        return tuple(vc.entry for vc in get_layer(self.lang).code_entries(code))

    def structural(self, code: BasicCode | EnhancedCode) -> Entry:
        """The reading of a well-formed code that the catalogue does not define."""
        if isinstance(code, BasicCode):
            first = self.first_digit[code.first]
            second = self.second_digit.get(code.second)
            desc = f"{code.first}yz: {first.title}. {first.description}"
            if second is not None:
                desc += f" x{code.second}z: {second.title}. {second.description}"
            return Entry(
                code=code.code,
                kind="basic",
                title=self._("Undefined {title} reply").format(
                    title=first.title.lower(), Title=first.title
                ),
                klass=code.klass,
                description=desc,
                when=self._(
                    "No RFC, registry entry or known product defines this exact code; "
                    "read the text that came with it."
                ),
                fix=(first.retry,) if first.retry else (),
                status="undefined",
                defined=False,
            )
        cls = self.enhanced_class(code.klass_digit)
        subj = self.subject(code.subject)
        parts = []
        if cls is not None:
            parts.append(f"{cls.code}: {cls.title}. {cls.description}")
        if subj is not None:
            parts.append(f"{subj.code}: {subj.title}. {subj.description}")
        else:
            parts.append(
                self._("Subject {number} is not defined by RFC 3463 or the registry.").format(
                    number=code.subject
                )
            )
        return Entry(
            code=str(code),
            kind="enhanced",
            title=(
                self._("Undefined {title} detail").format(
                    title=subj.title.lower(), Title=subj.title
                )
                if subj
                else self._("Undefined status detail")
            ),
            klass=code.klass,
            description=" ".join(parts),
            when=self._(
                "The IANA registry defines no such detail code; read the text that came with it."
            ),
            fix=cls.fix if cls is not None else (),
            status="undefined",
            related=(subj.code,) if subj else (),
            defined=False,
        )

    # -- listing and suggestions -------------------------------------------------

    def basic_entries(self) -> Iterator[Entry]:
        return iter(sorted(self._basic.values(), key=lambda e: e.code))

    def enhanced_entries(self) -> Iterator[Entry]:
        def key(e: Entry) -> tuple[int, int]:
            _, s, d = e.code.split(".")
            return int(s), int(d)

        return iter(sorted(self._enhanced.values(), key=key))

    def class_entries(self) -> Iterable[Entry]:
        return self._classes.values()

    def subject_entries(self) -> Iterable[Entry]:
        return self._subjects.values()

    def suggest(self, text: str, limit: int = 3) -> list[str]:
        """The nearest defined codes to what the user typed ("5.1.11" -> 5.1.1, 5.1.10).

        Nearest by edit distance; ties go to the longer shared prefix, then to the closer
        number. Only the best distance is offered: "5.1.11" gets 5.1.1 and 5.1.10, not
        every code one or two keystrokes away.
        """
        s = text.strip().lstrip("#")
        if not s:
            return []
        if "." in s:
            digit = s[0] if s[0] in "245" else "5"
            pool = [f"{digit}{c[1:]}" for c in self._enhanced]
            parts = s.split(".")
            # A typo is likelier in the detail than in the subject: stay within the typed
            # subject when the catalogue has it (5.1.11 is some 5.1.x, not 5.7.11).
            if len(parts) == 3 and parts[1].isdigit():
                pool = [c for c in pool if c.split(".")[1] == str(int(parts[1]))] or pool
        else:
            pool = list(self._basic)
        if not pool:
            return []
        ranked = sorted(pool, key=lambda c: (_distance(s, c), -_common_prefix(c, s), _gap(c, s)))
        best = _distance(s, ranked[0])
        if best > max(2, len(s) // 2):
            return []
        return [c for c in ranked if _distance(s, c) == best][:limit]


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _distance(a: str, b: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def _gap(a: str, b: str) -> int:
    """How far apart the last numbers of two codes are (0 when either has none)."""
    try:
        return abs(int(a.rsplit(".", 1)[-1]) - int(b.rsplit(".", 1)[-1]))
    except ValueError:
        return 0


def load_yaml(path: Path) -> Any:
    """A YAML file read with the safe loader, unchecked (tests compare against it)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        with path.open("rb") as fh:
            return yaml.load(fh, Loader=loader)  # a safe loader (C or pure Python)
    except OSError as exc:
        raise CatalogueError(f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{path} is not valid YAML: {exc}") from None


def data_path(name: str, env: str | None = None) -> Path:
    """The data file in use: the one env names, else the bundled one."""
    if env and os.environ.get(env):
        return Path(os.environ[env])
    from smtpcode.datafiles import bundled_path

    return bundled_path(name)


def get_catalogue(lang: str | None = None) -> Catalogue:
    """The catalogue in a language (the current one by default), loaded once per process
    and language."""
    from smtpcode.i18n import language

    return _catalogue(lang or language())


@cache
def _catalogue(lang: str) -> Catalogue:
    from smtpcode.datafiles import load

    data = load("codes.yaml", ENV_CATALOGUE)
    if lang != "en":
        from smtpcode.translations import translated_codes

        data = translated_codes(data, load(f"codes.{lang}.yaml"))
    return Catalogue(data, str(data_path("codes.yaml", ENV_CATALOGUE)), lang)
