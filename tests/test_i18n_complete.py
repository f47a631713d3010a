"""Every text a person reads has its German, and the German says the same things.

Completeness: each catalogue text of codes.yaml and rules.yaml has a German counterpart
in codes.de.yaml / rules.de.yaml, and each message the program marks with _() or N_()
has a msgstr in smtpcode/locale/de/LC_MESSAGES/smtpcode.po. Structure: the German of a
text has as many fix steps as the English and cites the same codes, RFCs, sections and
placeholders: a translation may reword, never drop or add a fact that can be checked.
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from smtpcode.catalogue import load_yaml
from smtpcode.i18n import read_po
from smtpcode.translations import (
    missing_codes,
    missing_provider,
    missing_rules,
    pairs,
    provider_key,
    provider_pairs,
)

ROOT = Path(__file__).resolve().parent.parent
PROVIDERS = sorted(p.stem for p in (ROOT / "providers").glob("*.yaml"))
PACKAGE = ROOT / "smtpcode"
PO = PACKAGE / "locale" / "de" / "LC_MESSAGES" / "smtpcode.po"

# What a translation must keep: enhanced codes (5.1.1, X.7.26, 4.X.X), basic codes and
# their masks (550, 5xx, x5z), RFC numbers and section signs.
TOKENS = re.compile(
    r"(?<![\w.])(?:[245X]\.(?:\d{1,3}|X)\.(?:\d{1,3}|X)|[1-5]\d\d|[1-5]xx|[1-5]yz|x\dz)(?![\w])"
    r"|RFC \d+|§\s?\d+(?:\.\d+)*"
)


URLS = re.compile(r"https?://[^\s)]+")
# The actor label each fix step opens with, in German (docs/glossary-de.md).
LABELS = {
    "Sender": "Absender",
    "Sender's admin": "Admin des Absenders",
    "Receiving admin": "Admin des Empfängers",
    "Recipient": "Empfänger",
    "Client software": "Client-Software",
    "Nobody": "Niemand",
}


def urls(text: str) -> set[str]:
    return {u.rstrip(".,;:") for u in URLS.findall(text)}


def tokens(text: str) -> set[str]:
    return {t.replace("§ ", "§") for t in TOKENS.findall(text)}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.fixture(scope="module")
def codes() -> tuple[dict, dict]:
    return load_yaml(ROOT / "codes.yaml"), load_yaml(ROOT / "codes.de.yaml")


@pytest.fixture(scope="module")
def rules() -> tuple[dict, dict]:
    return load_yaml(ROOT / "rules.yaml"), load_yaml(ROOT / "rules.de.yaml")


def test_every_catalogue_text_has_its_german(codes: tuple[dict, dict]) -> None:
    assert missing_codes(*codes) == []


def test_every_rules_text_has_its_german(rules: tuple[dict, dict]) -> None:
    # Lists what is missing, so that whoever adds an English text sees where.
    assert missing_rules(*rules) == []


def test_the_german_translates_only_codes_that_exist(codes: tuple[dict, dict]) -> None:
    english, german = codes
    for section in ("basic", "enhanced"):
        known = {str(e["code"]) for e in english[section]}
        assert set(german.get(section, {})) - known == set(), section
    for part in ("enhanced_classes", "subjects"):
        known = {str(e["code"]) for e in english["meta"][part]}
        assert set(german["meta"].get(part, {})) - known == set(), part
    assert set(german.get("vendor_notes", {})) <= set(english.get("vendor_notes", {}))


def test_the_german_rules_use_only_english_keys(rules: tuple[dict, dict]) -> None:
    english, german = rules
    for section in ("reasons", "providers", "blocklists", "objects"):
        assert set(german.get(section, {})) <= set(english[section]), section
    for key, texts in german["reasons"].items():
        assert set(texts) <= set(english["reasons"][key]), key
        for name, value in texts.items():
            if isinstance(value, dict):
                assert set(value) <= set(english["reasons"][key][name]), f"{key}.{name}"
    for key, provider in german["providers"].items():
        assert set(provider.get("advice", {})) <= set(english["providers"][key].get("advice", {}))


def test_a_reason_with_variants_is_translated_variant_by_variant() -> None:
    from smtpcode.translations import translated_rules

    english = {
        "reasons": {
            "spam": {
                "summary": "it was spam",
                "advice": {"transient": "wait", "permanent": "stop"},
                "hard_bounce": True,
            }
        },
        "providers": {},
        "blocklists": {},
    }
    german = {"reasons": {"spam": {"advice": {"permanent": "aufhören"}}}}
    assert missing_rules(english, german) == [
        "reasons.spam.summary",
        "reasons.spam.advice.transient",
    ]
    out = translated_rules(english, german)["reasons"]["spam"]
    assert out == {
        "summary": "it was spam",
        "advice": {"transient": "wait", "permanent": "aufhören"},
        "hard_bounce": True,
    }


@pytest.mark.parametrize("kind", ["codes", "rules"])
def test_german_has_the_structure_of_the_english(
    kind: str, codes: tuple[dict, dict], rules: tuple[dict, dict]
) -> None:
    english, german = codes if kind == "codes" else rules
    wrong = []
    for where, en, de in pairs(english, german, kind):
        if isinstance(en, list):
            if not isinstance(de, list) or len(de) != len(en):
                wrong.append(f"{where}: {len(en)} steps in English, {len(de or [])} in German")
                continue
            items = list(zip(en, de, strict=True))
        else:
            items = [(en, de)]
        for i, (a, b) in enumerate(items):
            if tokens(a) != tokens(b):
                wrong.append(f"{where}[{i}]: {sorted(tokens(a) ^ tokens(b))}")
    assert wrong == []


# -- the provider layer: providers/de/<id>.yaml --------------------------------------------


def provider_files(pid: str) -> tuple[dict, dict]:
    german = ROOT / "providers" / "de" / f"{pid}.yaml"
    return load_yaml(ROOT / "providers" / f"{pid}.yaml"), load_yaml(
        german
    ) if german.is_file() else {}


def test_provider_translations_are_found() -> None:
    assert len(PROVIDERS) >= 20
    assert sorted(p.stem for p in (ROOT / "providers" / "de").glob("*.yaml")) == PROVIDERS


@pytest.mark.parametrize("pid", PROVIDERS)
def test_every_provider_text_has_its_german(pid: str) -> None:
    assert missing_provider(*provider_files(pid)) == []


@pytest.mark.parametrize("pid", PROVIDERS)
def test_provider_german_translates_only_entries_that_exist(pid: str) -> None:
    english, german = provider_files(pid)
    keys = [provider_key(e) for e in english["codes"]]
    # Same entries, in the same order: a reviewer reads the two files side by side.
    assert [str(item["key"]) for item in german.get("codes", [])] == keys


@pytest.mark.parametrize("pid", PROVIDERS)
def test_provider_german_has_the_structure_of_the_english(pid: str) -> None:
    english, german = provider_files(pid)
    wrong = []
    for where, en, de in provider_pairs(english, german):
        if isinstance(en, list):
            if not isinstance(de, list) or len(de) != len(en):
                wrong.append(f"{where}: {len(en)} steps in English, {len(de or [])} in German")
                continue
            items = list(zip(en, de, strict=True))
        else:
            items = [(en, de)]
        for i, (a, b) in enumerate(items):
            if tokens(a) != tokens(b) or urls(a) != urls(b):
                wrong.append(
                    f"{where}[{i}]: {sorted((tokens(a) ^ tokens(b)) | (urls(a) ^ urls(b)))}"
                )
    assert wrong == []


def test_a_provider_entry_without_german_is_missing() -> None:
    english, german = provider_files("yahoo")
    cut = {"name": german["name"], "codes": german["codes"][1:]}
    first = provider_key(english["codes"][0])
    assert missing_provider(english, cut) == [
        f"codes.{first}.{f}" for f in ("title", "description", "when", "fix")
    ]
    assert missing_provider(english, {"codes": german["codes"]}) == ["name"]


@pytest.mark.parametrize("pid", PROVIDERS)
def test_provider_fix_steps_keep_their_actor_label(pid: str) -> None:
    english, german = provider_files(pid)
    wrong = []
    for where, en, de in provider_pairs(english, german):
        if not where.endswith(".fix"):
            continue
        for a, b in zip(en, de, strict=True):
            label = a.split(":", 1)[0]
            if not b.startswith(LABELS[label] + ":"):
                wrong.append(f"{where}: {b[:40]!r} should start with {LABELS[label]}:")
    assert wrong == []


def test_fix_steps_keep_their_actor_label(codes: tuple[dict, dict]) -> None:
    labels = LABELS
    wrong = []
    for where, en, de in pairs(*codes, "codes"):
        if not where.endswith(".fix") or not isinstance(en, list):
            continue
        for a, b in zip(en, de, strict=True):
            label = a.split(":", 1)[0]
            if label in labels and not b.startswith(labels[label] + ":"):
                wrong.append(f"{where}: {b[:40]!r} should start with {labels[label]}:")
    assert wrong == []


# -- the program's own messages ---------------------------------------------------------


def marked_messages() -> dict[str, str]:
    """Every literal message in the package passed to _(), N_(), self._() or translate(),
    with where it is."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            first = node.args[0]
            if (
                name in ("_", "N_", "translate")
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and first.value
            ):
                found.setdefault(first.value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


MESSAGES = marked_messages()
GERMAN = read_po(PO.read_text(encoding="utf-8"))


def test_messages_are_found() -> None:
    # The scan itself works: it sees messages of the CLI, the renderers and the core.
    assert {"Key differences", "When to use which", "The receiving server"} <= set(MESSAGES)
    assert len(MESSAGES) > 150


def test_every_message_has_its_german() -> None:
    missing = [f"{where}: {msg!r}" for msg, where in MESSAGES.items() if not GERMAN.get(msg)]
    assert missing == []


@pytest.mark.parametrize("message", sorted(MESSAGES), ids=lambda m: m[:40])
def test_german_message_keeps_codes_and_placeholders(message: str) -> None:
    german = GERMAN.get(message, "")
    assert tokens(german) == tokens(message)
    # The German may use {Title} (a title with its capital) or {a_kind} (a noun with its
    # article) where the English has {title} or {kind}; no other new placeholder.
    allowed = placeholders(message) | {"Title", "a_kind"}
    assert placeholders(german) <= allowed
    # \b at the start of an epilog keeps Click from re-flowing the lines: kept too.
    assert german.startswith("\b") == message.startswith("\b")


def test_po_entries_are_all_used_or_typer_s() -> None:
    typer_own = {
        "Arguments",
        "Options",
        "Commands",
        "required",
        "default: {default}",
        "env var: {var}",
        "(dynamic)",
        "Aborted!",
        "Missing command.",
        "No such command {name!r}.",
        "Show this message and exit.",
        "Install completion for the current shell.",
        "Show completion for the current shell, to copy it or customize the installation.",
    }
    stale = set(GERMAN) - set(MESSAGES) - typer_own - {""}
    assert stale == set()


def test_every_code_says_when_to_use_it(codes: tuple[dict, dict]) -> None:
    """The reference page's "When to use which" exists for every basic and enhanced code,
    in both languages, and speaks to both sides: whoever picks the reply, and the sender."""
    english, german = codes
    for section in ("basic", "enhanced"):
        for entry in english[section]:
            code = str(entry["code"])
            assert "Server:" in entry.get("choose", ""), code
            assert "Sender:" in entry["choose"], code
            mine = german[section][code].get("choose", "")
            assert "Server:" in mine and "Absender:" in mine, code


# -- the machinery: .po reading, .mo writing, fallback ------------------------------------


def test_po_round_trips_through_our_mo_writer() -> None:
    import gettext
    import io

    from smtpcode.i18n import write_mo

    entries = read_po(PO.read_text(encoding="utf-8"))
    compiled = gettext.GNUTranslations(io.BytesIO(write_mo(entries)))
    assert compiled.gettext("When to use which") == "Wann welchen verwenden"
    assert compiled.gettext("\b\nExamples:\n") == "\b\nBeispiele:\n"
    assert all(compiled.gettext(k) == v for k, v in entries.items() if k and v)


def test_read_po_joins_continued_strings_and_escapes() -> None:
    text = (
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        "# a comment\n"
        'msgid ""\n"one \\"two\\"\\n"\n"three"\nmsgstr "eins „zwei“\\ndrei"\n'
    )
    assert read_po(text) == {
        "": "Content-Type: text/plain; charset=UTF-8\n",
        'one "two"\nthree': "eins „zwei“\ndrei",
    }
    with pytest.raises(ValueError, match="line 1"):
        read_po("msgid unquoted\n")


def test_anything_missing_falls_back_to_english() -> None:
    from smtpcode.catalogue import Catalogue
    from smtpcode.i18n import translate
    from smtpcode.translations import translated_codes

    assert translate("A message nobody translated", "de") == "A message nobody translated"
    english = load_yaml(ROOT / "codes.yaml")
    german = {"basic": {"550": {"title": "Nur der Titel"}}}
    cat = Catalogue(translated_codes(english, german), lang="de")
    entry = cat.basic("550")
    assert entry is not None
    assert entry.title == "Nur der Titel"
    assert entry.description.startswith("RFC 5321's general permanent refusal")
    assert len(missing_codes(english, german)) == len(missing_codes(english, {})) - 1
