"""Comparing codes side by side: what each means and what tells them apart.

Every sentence here is a template filled with catalogue facts (class, retry advice,
subject, commands, who acts, status); there are no texts stored for particular pairs,
so any two (or more) codes compare the same way. No Typer or Rich here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from smtpcode.catalogue import Catalogue, Entry, get_catalogue
from smtpcode.codes import Query, parse_query
from smtpcode.i18n import N_, _, language

K = TypeVar("K", bound=Hashable)

# How the class names read after "is" / "are" (the names themselves are not translated:
# they are the values of Finding.klass).
_CLASS_WORDS = {
    "success": N_("successful"),
    "intermediate": N_("intermediate"),
    "transient": N_("transient"),
    "permanent": N_("permanent"),
    "preliminary": N_("preliminary"),
}
# How the catalogue's actor names read in a sentence.
_ACTOR_WORDS = {
    "sender": N_("the sender"),
    "sender-admin": N_("the sender's admin"),
    "recipient": N_("the recipient"),
    "receiving-admin": N_("the receiving admin"),
}


@dataclass(frozen=True, slots=True)
class Subject:
    """What a code is about: the second digit of a basic code (x5z), the subject of an
    enhanced one (X.2.X), and its exact condition (the code, or X.2.2 for any class)."""

    key: str
    title: str
    condition: str
    condition_title: str

    @property
    def phrase(self) -> str:
        """ "about addressing status (X.1.X)" or "in category x5z (Mail system)"."""
        if self.key.startswith("X."):
            return _("about {title} ({key})").format(
                title=_lower_first(self.title), Title=self.title, key=self.key
            )
        return _("in category {key} ({title})").format(key=self.key, title=self.title)


@dataclass(frozen=True, slots=True)
class Column:
    """One compared code: its entries (basic, then enhanced) and the facts drawn from them."""

    code: str
    klass: str
    class_label: str  # "5xx Permanent Negative Completion", "4.X.X Persistent transient failure"
    retry: str
    entries: tuple[Entry, ...]
    subject: Subject
    commands: tuple[str, ...]
    actors: tuple[str, ...]

    @property
    def main(self) -> Entry:
        """The finest entry: the enhanced one where there is one."""
        return self.entries[-1]

    @property
    def undefined(self) -> tuple[str, ...]:
        """Its well-formed codes that the catalogue does not define."""
        return tuple(e.code for e in self.entries if not e.defined)

    def to_dict(self) -> dict[str, object]:
        basic = next((e for e in self.entries if e.kind == "basic"), None)
        enhanced = next((e for e in self.entries if e.kind == "enhanced"), None)
        return {
            "code": self.code,
            "class": self.klass,
            "class_label": self.class_label,
            "retry": self.retry,
            "subject": self.subject.key,
            "commands": list(self.commands),
            "actors": list(self.actors),
            "basic": basic.to_dict() if basic else None,
            "enhanced": enhanced.to_dict() if enhanced else None,
        }


@dataclass(frozen=True, slots=True)
class Aspect:
    """One row of the side-by-side view: a label and each column's value (lines)."""

    label: str
    values: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Comparison:
    columns: tuple[Column, ...]
    summary: str
    differences: tuple[str, ...]
    when: tuple[str, ...]
    # The reference page's "When to use which": per code, advice for whoever picks it.
    choose: tuple[str, ...] = ()

    @property
    def same(self) -> bool:
        return len({c.code for c in self.columns}) == 1

    @property
    def undefined(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(u for c in self.columns for u in c.undefined))

    def aspects(self) -> list[Aspect]:
        """What the side-by-side view shows, in order; empty aspects are left out."""
        getters: list[tuple[str, Callable[[Column], tuple[str, ...]]]] = [
            (N_("Class"), lambda c: (c.class_label,)),
            (N_("Title"), lambda c: _per_entry(c, lambda e: (e.title,))),
            (N_("Description"), lambda c: _per_entry(c, lambda e: (e.description,))),
            (N_("When you see it"), lambda c: _per_entry(c, lambda e: (e.when,))),
            (N_("How to fix"), lambda c: c.main.fix),
            (N_("Retry"), lambda c: (c.retry,) if c.retry else ()),
            (
                N_("Who acts"),
                lambda c: (_actor_phrase(c.actors, capital=True),) if c.actors else (),
            ),
            (N_("After commands"), lambda c: (", ".join(c.commands),) if c.commands else ()),
            (
                N_("Status"),
                lambda c: _per_entry(c, lambda e: (e.status if e.defined else "undefined",)),
            ),
            (N_("RFCs"), lambda c: _rfcs(c)),
        ]
        aspects = []
        for label, get in getters:
            values = tuple(get(c) for c in self.columns)
            if any(values):
                aspects.append(Aspect(_(label), values))
        return aspects

    def sections(self) -> list[tuple[str, tuple[str, ...]]]:
        """The sentences after the side-by-side view, under their headings."""
        # ("When you see it" is an aspect of the side-by-side view: no section repeats it.)
        out = [(_("Key differences"), self.differences)]
        if self.choose:
            out.append((_("When to use which"), self.choose))
        return out

    def to_dict(self) -> dict[str, object]:
        return {
            "codes": [c.code for c in self.columns],
            "same": self.same,
            "summary": self.summary,
            "entries": [c.to_dict() for c in self.columns],
            "differences": list(self.differences),
            "when": list(self.when),
            "choose": list(self.choose),
            "undefined": list(self.undefined),
        }


def _rfcs(column: Column) -> tuple[str, ...]:
    rfcs = dict.fromkeys(r for e in column.entries for r in e.rfcs)
    return ("; ".join(rfcs),) if rfcs else ()


def _per_entry(column: Column, get: Callable[[Entry], tuple[str, ...]]) -> tuple[str, ...]:
    """Each entry's value; prefixed with its code when a column holds two entries."""
    if len(column.entries) == 1:
        return get(column.entries[0])
    return tuple(f"{e.code}: {v}" for e in column.entries for v in get(e))


# -- building the columns -------------------------------------------------------------


def _subject(cat: Catalogue, query: Query, entries: Sequence[Entry]) -> Subject:
    if query.enhanced is not None:
        e = query.enhanced
        subj = cat.subject(e.subject)
        return Subject(
            key=e.subject_key,
            title=subj.title if subj else _("subject {number}").format(number=e.subject),
            condition=e.generic,
            condition_title=entries[-1].title,
        )
    code = str(query.basic)
    second = cat.second_digit.get(code[1])
    return Subject(
        key=f"x{code[1]}z",
        title=second.title if second else _("category {number}").format(number=code[1]),
        condition=code,
        condition_title=entries[0].title,
    )


def column(query: Query, catalogue: Catalogue | None = None) -> Column:
    """The facts of one code for a comparison; undefined codes get their structural reading."""
    cat = catalogue or get_catalogue()
    entries: list[Entry] = []
    if query.basic is not None:
        entries.append(cat.basic(query.basic) or cat.structural(query.basic))
    if query.enhanced is not None:
        # A code only a provider defines (Microsoft's 5.7.606) is compared by its meaning.
        vendor = cat.vendor_entries(str(query.enhanced))
        entries.append(
            cat.enhanced(query.enhanced)
            or (vendor[0] if vendor else None)
            or cat.structural(query.enhanced)
        )
    code = " ".join(str(c) for c in (query.basic, query.enhanced) if c is not None)
    # The basic code decides the class where both are given (as in diagnosis).
    first = query.basic if query.basic is not None else query.enhanced
    if first is None:  # parse_query never returns a query without a code
        raise ValueError("a query without a code")
    klass = first.klass
    digit = cat.first_digit.get(code[0])
    eclass = cat.enhanced_class(code[0]) if query.basic is None else None
    if eclass is not None:
        label = f"{eclass.code} {eclass.title}"
    elif digit is not None:
        label = f"{code[0]}xx {digit.title}"
    else:
        label = klass
    return Column(
        code=code,
        klass=klass,
        class_label=label,
        # An entry's own retry text (an informational 214 is no hand-over of a message),
        # else its class's; RFC 3463 gives enhanced classes the basic first digit's.
        retry=next((e.retry for e in entries if e.retry), digit.retry if digit else ""),
        entries=tuple(entries),
        subject=_subject(cat, query, entries),
        commands=tuple(dict.fromkeys(c for e in entries for c in e.commands)),
        actors=tuple(dict.fromkeys(a for e in entries for a in e.actors)),
    )


def compare(queries: Sequence[str], catalogue: Catalogue | None = None) -> Comparison:
    """Compare codes ("214", "5.2.2", "550 5.1.1") side by side.

    Raises smtpcode.codes.CodeSyntaxError for a query that is not a code.
    """
    cat = catalogue or get_catalogue()
    columns = tuple(column(parse_query(q), cat) for q in queries)
    return Comparison(
        columns=columns,
        summary=_summary(columns),
        differences=tuple(differences(columns)),
        when=tuple(_when(c) for c in _distinct(columns)),
        choose=tuple(text for text in map(_choose, _distinct(columns)) if text),
    )


# -- sentences --------------------------------------------------------------------------
# Each sentence is one translatable template; a template that depends on how many codes
# it speaks of comes as a pair (one code / several, both / all n), since languages differ
# in more than the verb.


def _distinct(columns: Sequence[Column]) -> list[Column]:
    """The columns without repeats of the same code, in order."""
    seen: dict[str, Column] = {}
    for c in columns:
        seen.setdefault(c.code, c)
    return list(seen.values())


def _join(items: Sequence[str], word: str = N_("and")) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {_(word)} {items[-1]}"


def _by_count(n: int, one: str, two: str, many: str) -> str:
    """The template for one code, for two (both) or for more (all n)."""
    return _(one) if n == 1 else _(two) if n == 2 else _(many)


def _groups(columns: Sequence[Column], key: Callable[[Column], K]) -> list[tuple[K, list[Column]]]:
    """Columns grouped by a fact, in the order the facts first appear."""
    groups: dict[K, list[Column]] = {}
    for c in columns:
        groups.setdefault(key(c), []).append(c)
    return list(groups.items())


def _codes(columns: Sequence[Column]) -> str:
    """ "450 and 451": the codes of some columns, joined."""
    return _join([c.code for c in columns])


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    """Lower-case the first letter of a title, but not of an acronym ("RFC", "TLS"), and
    not in German, where nouns keep their capital."""
    if language() != "en":
        return text
    return text[:1].lower() + text[1:] if text[:1].isupper() and not text[1:2].isupper() else text


def _kind(column: Column, plural: bool) -> str:
    kinds = [e.kind for e in column.entries]
    if kinds == ["basic"]:
        return _("replies") if plural else _("reply")
    if kinds == ["enhanced"]:
        return _("enhanced status codes") if plural else _("enhanced status code")
    return (
        _("replies with an enhanced status code")
        if plural
        else _("reply with an enhanced status code")
    )


def _a_kind(column: Column) -> str:
    kinds = [e.kind for e in column.entries]
    if kinds == ["basic"]:
        return _("a reply")
    if kinds == ["enhanced"]:
        return _("an enhanced status code")
    return _("a reply with an enhanced status code")


def _summary(columns: Sequence[Column]) -> str:
    parts = []
    for _key, group in _groups(_distinct(columns), lambda c: (c.class_label, _kind(c, False))):
        c = group[0]
        label, _sep, title = c.class_label.partition(" ")
        template = (
            N_("{codes} are {label} {title} {kind}")
            if len(group) > 1
            else N_("{codes} is a {label} {title} {kind}")
        )
        parts.append(
            _(template).format(
                codes=_codes(group),
                label=label,
                title=title.lower(),
                Title=title,
                kind=_kind(c, len(group) > 1),
                # With its article, for languages where it depends on the noun.
                a_kind=_a_kind(c) if len(group) == 1 else _kind(c, True),
            )
        )
    return "; ".join(parts) + "."


def _actor_phrase(actors: Sequence[str], capital: bool = False) -> str:
    if not actors:
        phrase = _("the catalogue does not say who")
    elif list(actors) == ["nobody"]:
        phrase = _("nobody")
    else:
        phrase = _join([_(_ACTOR_WORDS.get(a, a)) for a in actors if a != "nobody"], N_("or"))
    return _capital(phrase) if capital else phrase


def differences(columns: Sequence[Column]) -> list[str]:
    """Sentences on what tells the codes apart (and what they share), from catalogue facts."""
    distinct = _distinct(columns)
    if len(distinct) == 1:
        return [
            _("{code} is compared with itself: there is no difference.").format(
                code=distinct[0].code
            )
        ]
    out: list[str] = []
    repeated = [c for c in distinct if sum(o.code == c.code for o in columns) > 1]
    if repeated:
        template = _by_count(
            len(repeated),
            N_("{codes} is given more than once; each is compared once."),
            N_("{codes} are given more than once; each is compared once."),
            N_("{codes} are given more than once; each is compared once."),
        )
        out.append(template.format(codes=_codes(repeated)))
    out.append(_class_sentence(distinct))
    out.append(_subject_sentence(distinct))
    out += _association_sentences(distinct)
    for sentence in (_commands_sentence(distinct), _actors_sentence(distinct)):
        if sentence:
            out.append(sentence)
    status = _status_sentence(distinct)
    if status:
        out.append(status)
    return out


def _class_word(column: Column) -> str:
    return _(_CLASS_WORDS.get(column.klass, column.klass))


def _gist(advice: str) -> str:
    """The head of a catalogue retry text: up to its colon, or its first sentence."""
    head = advice.split(":", 1)[0] if ":" in advice else advice.split(". ", 1)[0]
    head = re.sub(r"\s*\([^()]*\)\.?$", "", head.strip())  # drop a closing aside
    return _lower_first(head.rstrip("."))


def _class_sentence(columns: Sequence[Column]) -> str:
    groups = _groups(columns, lambda c: c.klass)
    parts = []
    for _key, group in groups:
        c = group[0]
        labels = " / ".join(dict.fromkeys(g.class_label for g in group))
        facts = {"word": _class_word(c), "labels": labels, "gist": _gist(c.retry)}
        if len(groups) == 1:
            return _by_count(
                len(group),
                "",
                N_("Both are {word} ({labels}), with the same retry advice: {gist}."),
                N_("All {n} are {word} ({labels}), with the same retry advice: {gist}."),
            ).format(n=len(group), **facts)
        template = _by_count(
            len(group),
            N_("{codes} is {word} ({labels}): {gist}"),
            N_("{codes} are {word} ({labels}): {gist}"),
            N_("{codes} are {word} ({labels}): {gist}"),
        )
        parts.append(template.format(codes=_codes(group), **facts))
    return "; ".join(parts) + "."


def _subject_sentence(columns: Sequence[Column]) -> str:
    n = len(columns)
    if len(_groups(columns, lambda c: c.subject.condition)) == 1:
        s = columns[0].subject
        return _by_count(
            n,
            "",
            N_('Both report the same condition, "{title}" ({condition}); only the class differs.'),
            N_(
                'All {n} report the same condition, "{title}" ({condition}); only the class '
                "differs."
            ),
        ).format(n=n, title=s.condition_title, condition=s.condition)
    subjects = _groups(columns, lambda c: c.subject.key)
    if len(subjects) == 1:
        details = "; ".join(
            _('{codes} "{title}"').format(
                codes=_join([c.code for c in group]), title=group[0].subject.condition_title
            )
            for _key, group in _groups(columns, lambda c: c.subject.condition)
        )
        return _by_count(
            n,
            "",
            N_("Both are {phrase} but report different conditions: {details}."),
            N_("All {n} are {phrase} but report different conditions: {details}."),
        ).format(n=n, phrase=columns[0].subject.phrase, details=details)
    parts = [
        _by_count(
            len(g),
            N_("{codes} is {phrase}"),
            N_("{codes} are {phrase}"),
            N_("{codes} are {phrase}"),
        ).format(codes=_codes(g), phrase=g[0].subject.phrase)
        for _key, g in subjects
    ]
    return _capital("; ".join(parts)) + "."


def _association_sentences(columns: Sequence[Column]) -> list[str]:
    """Where the registry pairs a compared enhanced code with a compared basic code."""
    basics = [c.code for c in columns if [e.kind for e in c.entries] == ["basic"]]
    out = []
    for c in columns:
        for e in c.entries:
            paired = [b for b in basics if e.kind == "enhanced" and b in e.associated]
            if paired:
                out.append(
                    _(
                        "The IANA registry pairs {code} with {paired}: a server may send them "
                        'together, as in "{first} {code}".'
                    ).format(code=e.code, paired=_join(paired, N_("and with")), first=paired[0])
                )
    return out


def _command_words(commands: Sequence[str]) -> list[str]:
    other = _("any other command") if len(commands) > 1 else _("any command")
    return [other if c == "ANY" else c for c in commands]


def _answers(column: Column, command: str) -> bool:
    return command in column.commands or "ANY" in column.commands


def _commands_sentence(columns: Sequence[Column]) -> str | None:
    if not any(c.commands for c in columns):
        return None
    n = len(columns)
    # ANY in the catalogue means the reply can follow any command, so it shares them all.
    named = dict.fromkeys(cmd for c in columns for cmd in c.commands if cmd != "ANY")
    shared = [cmd for cmd in named if all(_answers(c, cmd) for c in columns)]
    if all("ANY" in c.commands for c in columns):
        shared = ["ANY"]
    parts = []
    if shared:
        parts.append(
            _by_count(
                n, "", N_("Both can answer {commands}"), N_("All {n} can answer {commands}")
            ).format(n=n, commands=_join(_command_words(shared)))
        )
    # The other commands, grouped by the codes that answer them: "only" is said of one
    # code alone, so three codes can never each be the only one to answer MAIL.
    answered_by: dict[tuple[str, ...], list[str]] = {}
    for cmd in named:
        codes = tuple(c.code for c in columns if _answers(c, cmd))
        if cmd not in shared and len(codes) < len(columns):
            answered_by.setdefault(codes, []).append(cmd)
    for c in columns:
        if not c.commands:
            parts.append(_("the catalogue names no command for {code}").format(code=c.code))
    for codes, cmds in answered_by.items():
        words = _join(_command_words(cmds))
        if len(codes) == 1:
            # Two codes with nothing in common: "214 answers HELP; 550 answers ..." says it.
            only = len(columns) > 2 or bool(shared)
            template = {
                (True, True): N_("only {code} also answers {commands}"),
                (True, False): N_("only {code} answers {commands}"),
                (False, True): N_("{code} also answers {commands}"),
                (False, False): N_("{code} answers {commands}"),
            }[only, bool(shared)]
            parts.append(_(template).format(code=codes[0], commands=words))
        else:
            others = [c.code for c in columns if c.code not in codes]
            template = (
                N_("{codes} (not {others}) also answer {commands}")
                if shared
                else N_("{codes} (not {others}) answer {commands}")
            )
            parts.append(
                _(template).format(
                    codes=_join(codes), others=_join(others, N_("or")), commands=words
                )
            )
    if not shared and all(c.commands for c in columns):
        parts.append(
            _("no command returns both") if n == 2 else _("no command returns all of them")
        )
    return _capital("; ".join(parts)) + "."


def _actors_sentence(columns: Sequence[Column]) -> str:
    groups = _groups(columns, lambda c: c.actors)
    n = len(columns)
    if len(groups) == 1:
        return _by_count(
            n, "", N_("For both, {actors} has to act."), N_("For all {n}, {actors} has to act.")
        ).format(n=n, actors=_actor_phrase(columns[0].actors))
    parts = [
        _("for {codes}, {actors}").format(
            codes=_join([c.code for c in group]), actors=_actor_phrase(actors)
        )
        for actors, group in groups
    ]
    return _("Who has to act: {parts}.").format(parts="; ".join(parts))


def _status(column: Column) -> str:
    return column.main.status if column.main.defined else "undefined"


def _status_sentence(columns: Sequence[Column]) -> str | None:
    groups = _groups(columns, _status)
    n = len(columns)
    if len(groups) == 1:
        status = groups[0][0]
        if status == "standard":
            return None
        return _by_count(n, "", N_("Both are {status}."), N_("All {n} are {status}.")).format(
            n=n, status=status
        )
    parts = [
        _by_count(
            len(g),
            N_("{codes} is {status}"),
            N_("{codes} are {status}"),
            N_("{codes} are {status}"),
        ).format(codes=_codes(g), status=st)
        for st, g in groups
    ]
    return _("Status: {parts}.").format(parts="; ".join(parts))


def _when(column: Column) -> str:
    if column.commands:
        return _("{code} after {commands}: {when}").format(
            code=column.code,
            commands=_join(_command_words(column.commands), N_("or")),
            when=column.main.when,
        )
    return f"{column.code}: {column.main.when}"


def _choose(column: Column) -> str:
    """When to use the code, for whoever picks a reply; the finest entry that says so."""
    text = next((e.choose for e in reversed(column.entries) if e.choose), "")
    return f"{column.code}: {text}" if text else ""
