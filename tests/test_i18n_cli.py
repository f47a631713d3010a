"""smtpcode in German: the language chosen by --lang, SMTPCODE_LANG or the locale, and what
each command says in it. The texts asserted are those of codes.de.yaml, rules.de.yaml and
smtpcode.po; JSON keys and enumerated values stay English."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from smtpcode import i18n

# Checked only once the dask extra is there (without it, that is what --scheduler says).
NEEDS_DASK = pytest.mark.skipif(
    importlib.util.find_spec("dask") is None, reason="the dask extra is not installed"
)
ROOT = Path(__file__).resolve().parent.parent
LOG = str(ROOT / "tests" / "data" / "mta" / "logs" / "postfix.log")
TITLE_550_DE = "Postfach nicht verfügbar oder Aktion abgelehnt"
TITLE_550_EN = "Mailbox unavailable or action refused"


# -- choosing the language --------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "de"),
        ({"LANG": "de_AT"}, "de"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),
        ({"LC_MESSAGES": "de_CH.UTF-8", "LANG": "en_US.UTF-8"}, "de"),
        # The first of LC_ALL, LC_MESSAGES, LANG that is set decides, as in POSIX.
        ({"LC_ALL": "C", "LANG": "de_DE.UTF-8"}, "en"),
        ({"LC_ALL": "de_DE.UTF-8", "LANG": "C"}, "de"),
        ({"SMTPCODE_LANG": "de", "LANG": "en_US.UTF-8"}, "de"),
        ({"SMTPCODE_LANG": "en", "LC_ALL": "de_DE.UTF-8"}, "en"),
        # An SMTPCODE_LANG smtpcode does not speak is ignored, not fatal.
        ({"SMTPCODE_LANG": "xx", "LANG": "de_DE.UTF-8"}, "de"),
    ],
)
def test_language_from_the_environment(env: dict[str, str], expected: str) -> None:
    assert i18n.from_environment(env) == expected


def test_lang_on_the_command_line_wins() -> None:
    assert i18n.choose(["--lang", "de", "explain", "550"], {"SMTPCODE_LANG": "en"}) == "de"
    assert i18n.choose(["explain", "550", "--lang=en"], {"LANG": "de_DE.UTF-8"}) == "en"
    # After "--" it is an argument, not the option.
    assert i18n.choose(["explain", "--", "--lang", "de"], {}) == "en"


def test_unknown_language_is_refused(run) -> None:
    status, _, err = run("--lang", "fr", "explain", "550")
    assert status == 2
    assert "--lang" in err


@pytest.mark.parametrize(
    "args",
    [
        ("--lang", "de", "explain", "550"),
        ("explain", "550", "--lang", "de"),
        ("explain", "--lang=de", "550"),
    ],
)
def test_lang_before_or_after_the_command(run, args: tuple[str, ...]) -> None:
    status, out, _ = run(*args)
    assert status == 0
    assert out.startswith(f"550  {TITLE_550_DE}  (standard)\n")


def test_environment_chooses_when_no_option(run) -> None:
    _, out, _ = run("explain", "550", env={"SMTPCODE_LANG": "de"})
    assert out.startswith(f"550  {TITLE_550_DE}")
    _, out, _ = run("explain", "550", env={"LANG": "de_DE.UTF-8"})
    assert out.startswith(f"550  {TITLE_550_DE}")
    _, out, _ = run("--lang", "en", "explain", "550", env={"SMTPCODE_LANG": "de"})
    assert out.startswith(f"550  {TITLE_550_EN}")
    # And the next run without any of them is English again.
    _, out, _ = run("explain", "550")
    assert out.startswith(f"550  {TITLE_550_EN}")


# -- what the commands say ----------------------------------------------------------------


def test_explain_550_in_german(run) -> None:
    _, out, _ = run("--lang", "de", "explain", "550")
    lines = out.splitlines()
    assert lines[1] == "  Klasse: 5yz Dauerhafte negative Abschlussantwort; x5z Mailsystem"
    assert lines[2].startswith(
        "  Bedeutung: Die allgemeine dauerhafte Ablehnung eines Mail-Befehls"
    )
    assert lines[3].startswith("  Wann Sie es sehen: Bei RCPT: Der Empfänger existiert nicht")
    assert lines[4] == "  Wie man es behebt:"
    # The same five fix steps as the English, with the actor labels translated.
    steps = [line for line in lines if line.startswith("    - ")]
    assert [s.split(":", 1)[0] for s in steps] == [
        "    - Absender",
        "    - Absender",
        "    - Admin des Absenders",
        "    - Admin des Absenders",
        "    - Admin des Empfängers",
    ]
    assert "  Nach den Befehlen: EHLO, HELO, MAIL, RCPT, END-OF-DATA, VRFY, EXPN" in lines


def test_a_whole_reply_is_diagnosed_in_german(run) -> None:
    reply = "550 5.1.1 <x@example.com>: Recipient address rejected: User unknown"
    _, out, _ = run("--lang", "de", "explain", reply)
    lines = out.splitlines()
    assert lines[0] == (
        "Diagnose: Der empfangende Server hat den Empfänger abgelehnt: die Adresse existiert "
        "nicht. Hard Bounce: Entfernen Sie sie aus Ihrer Liste."
    )
    assert "Grund: user-unknown" in lines  # the reason is a value: not translated
    assert "Bounce: hart" in lines
    assert any(line.startswith("Was zu tun ist: Die Adresse existiert bei") for line in lines)


def test_json_keys_and_values_stay_english_texts_are_german(run) -> None:
    reply = "550 5.1.1 <x@example.com>: Recipient address rejected: User unknown"
    _, out, _ = run("--lang", "de", "explain", "--json", reply)
    finding = json.loads(out)
    assert finding["lang"] == "de"
    assert (finding["class"], finding["reason"], finding["hard_bounce"]) == (
        "permanent",
        "user-unknown",
        True,
    )
    assert finding["summary"].startswith("Der empfangende Server hat den Empfänger abgelehnt")
    assert finding["meaning"]["basic"]["title"] == TITLE_550_DE
    assert finding["meaning"]["basic"]["status"] == "standard"
    _, out, _ = run("explain", "--json", reply)
    assert json.loads(out)["lang"] == "en"


def test_a_class_mismatch_warns_in_german(run) -> None:
    _, out, _ = run("--lang", "de", "explain", "550 4.7.1")
    assert out.splitlines()[0] == (
        "Warnung: Der Basiscode 550 ist dauerhaft, der erweiterte Code 4.7.1 aber "
        "vorübergehend; RFC 3463 verlangt für beide dieselbe Klasse. Ob ein erneuter Versuch "
        "sinnvoll ist, entscheidet der Basiscode."
    )


def test_compare_214_550_reads_like_the_reference_page(run) -> None:
    status, out, _ = run("compare", "214", "550", "--lang", "de")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == (
        "214 ist eine Antwort der Klasse 2xx (Positive Abschlussantwort); 550 ist eine Antwort "
        "der Klasse 5xx (Dauerhafte negative Abschlussantwort)."
    )
    headings = [line for line in lines if line and not line.startswith(" ")][1:]
    order = ["Beschreibung", "Wann Sie es sehen", "Wie man es behebt"]
    order += ["Wesentliche Unterschiede", "Wann welchen verwenden"]
    assert [h for h in headings if h in order] == order
    after = lines[lines.index("Wann welchen verwenden") + 1 :]
    assert after[0].startswith("  - 214: Server: Die Antwort auf HELP, wenn Sie es implementieren")
    assert after[1].startswith("  - 550: Server: Die dauerhafte Ablehnung bei EHLO, MAIL oder RCPT")
    assert "  - Bei beiden" not in out  # 214 and 550 have different actors
    assert (
        "  - Wer handeln muss: bei 214 niemand; bei 550 der Absender, der Admin des Absenders "
        "oder der Admin des Empfängers." in lines
    )


def test_compare_when_to_use_which_in_english(run) -> None:
    _, out, _ = run("compare", "450", "451")
    lines = out.splitlines()
    after = lines[lines.index("When to use which") + 1 :]
    assert after[0].startswith("  - 450: Server: for a mailbox that is temporarily unavailable")
    assert "prefer 451 4.7.1" in after[0]
    assert after[1].startswith("  - 451: Server: for a temporary failure on your side")


def test_compare_json_has_the_choose_section(run) -> None:
    _, out, _ = run("compare", "--json", "550", "5.1.1", "--lang", "de")
    data = json.loads(out)
    assert [c.split(":", 1)[0] for c in data["choose"]] == ["550", "5.1.1"]
    assert data["choose"][1].startswith("5.1.1: Server: 550 5.1.1 bei RCPT")


def test_parse_a_log_in_german(run) -> None:
    status, out, _ = run("--lang", "de", "parse", LOG)
    assert status == 0
    first = out.splitlines()[0].split("\t")
    # What happened is the German diagnosis; codes, class, reason and the columns after
    # them are values, the same in every language.
    assert first == [
        "Der empfangende Server hat den Empfänger abgelehnt: die Adresse existiert nicht.",
        "550",
        "5.1.1",
        "permanent",
        "user-unknown",
        "-",
        "user-unknown@remote.test",
        f"{LOG}:6",
        "2026-11-29T00:38:05",
    ]


def test_parse_summary_in_german(run) -> None:
    _, out, _ = run("--lang", "de", "parse", "--summary", LOG)
    lines = out.splitlines()
    assert lines[0] == (
        "216 Antworten, 146 Fehler (67.6 %), 2026-11-29T00:38:05 bis 2026-11-29T00:41:03"
    )
    assert lines[2].split() == ["Code", "Anzahl", "Anteil", "Titel"]
    heads = [line for line in lines if "Anzahl  Anteil" in line]
    assert [h.split("  Anzahl")[0].strip() for h in heads] == [
        "Code",
        "Klasse",
        "Grund",
        "Anbieter",
        "Domain",
        "Empfänger mit Fehlern",
    ]
    # A count without a value (no provider recognised) is shown in German too.
    assert lines[lines.index(heads[3]) + 1].split() == ["(ohne)", "216", "100.0", "%"]


def test_parse_groups_and_interruption_in_german(run) -> None:
    _, out, _ = run("--lang", "de", "parse", "--group-by", "domain", LOG)
    lines = out.splitlines()
    assert lines[2].split("\t") == [
        "Domain",
        "Anzahl",
        "Anteil",
        "Fehler",
        "zuerst",
        "zuletzt",
        "häufigste Antwort",
    ]
    assert lines[3].split("\t")[:4] == ["mx.example.test", "152", "70.4 %", "86"]
    status, _, err = run("--lang", "de", "parse", "--reason", "mailbox-voll", LOG)
    assert status == 2
    assert err.startswith("smtpcode: 'mailbox-voll' ist kein Grund; möglich sind: ")
    status, _, err = run("--lang", "de", "parse", "--report", "html", "--json", LOG)
    assert status == 2
    assert err == (
        "smtpcode: --report erstellt einen ganzen Bericht: "
        "Lassen Sie --json, --summary und --group-by weg\n"
    )


def test_reports_in_german(run) -> None:
    _, out, _ = run("--lang", "de", "parse", "--report", "markdown", LOG)
    lines = out.splitlines()
    assert lines[0] == "# Bericht über SMTP-Antworten"
    assert "## Zusammenfassung" in lines
    assert "### Nach Empfänger mit Fehlern" in lines
    assert "## Fehler nach Grund" in lines
    assert "| Was geschah | Code | Grund | Empfänger | Wo | Zeit |" in lines
    _, html, _ = run("--lang", "de", "parse", "--report", "html", LOG)
    assert html.startswith('<!DOCTYPE html>\n<html lang="de">')
    assert "<h2>Fehler im Zeitverlauf</h2>" in html
    assert 'aria-label="Fehler nach Grund"' in html
    _, english, _ = run("parse", "--report", "html", LOG)
    assert english.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert "<h1>SMTP replies report</h1>" in english


def test_list_in_german(run) -> None:
    _, out, _ = run("--lang", "de", "list", "55x")
    assert out.splitlines()[0] == f"550  permanent  standard   {TITLE_550_DE}"


def test_provider_code_in_german(run) -> None:
    # Microsoft's own code: the provider layer's entry, with its German texts.
    status, out, _ = run("--lang", "de", "explain", "5.7.606")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == (
        "5.7.606  Zugriff verweigert, gesperrte sendende IP  (vendor: Microsoft 365 / Outlook.com)"
    )
    assert "    - Admin des Absenders: Beseitigen Sie die Ursache" in out
    assert "  Erneuter Versuch: erst, wenn die Ursache behoben ist" in lines
    _, english, _ = run("explain", "5.7.606")
    assert english.splitlines()[0].startswith("5.7.606  Access denied, banned sending IP  (")


def test_provider_token_in_german(run) -> None:
    status, out, _ = run("--lang", "de", "explain", "--json", "TSS04")
    assert status == 0
    finding = json.loads(out)
    assert finding["lang"] == "de"
    assert finding["provider"] == "yahoo"
    vendor = finding["meaning"]["vendor"]
    assert (
        vendor["title"] == "Zurückgestellt wegen unerwarteten Volumens oder Beschwerden von Nutzern"
    )
    assert vendor["actors"] == ["sender", "sender-admin"]


@pytest.mark.parametrize(
    ("query", "first"),
    [
        (
            "Postfach voll",
            "X.2.2 any standard Postfach voll [Titel, Bedeutung, wann Sie es sehen, Abhilfe, "
            "Antwortformulierungen]",
        ),
        (
            "voll Postfach",
            "X.2.2 any standard Postfach voll [Titel, Bedeutung, wann Sie es sehen, Abhilfe, "
            "Antwortformulierungen]",
        ),
        # English words still find the entries (the search reads both languages), shown
        # in German.
        (
            "mailbox full",
            "X.2.2 any standard Postfach voll [Titel, Bedeutung, wann Sie es sehen, Abhilfe, "
            "Antwortformulierungen]",
        ),
    ],
)
def test_search_finds_german_words(run, query: str, first: str) -> None:
    status, out, _ = run("--lang", "de", "search", *query.split())
    assert status == 0
    # The row's cells; the code column's width follows the widest code listed (a
    # provider's token may be listed too), so padding is not compared.
    assert " ".join(out.splitlines()[0].split()) == first


def test_english_search_knows_no_german(run) -> None:
    status, _, err = run("search", "Zielpostfachadresse")
    assert status == 1
    assert err.startswith("smtpcode: no code mentions 'Zielpostfachadresse'")


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (
            ("explain", "5500"),
            2,
            "smtpcode: '5500' ist kein SMTP-Code: ein Basis-Antwortcode hat genau drei Ziffern "
            "(meinten Sie 550, 500?)",
        ),
        (
            ("explain", "5.1.11"),
            1,
            "smtpcode: 5.1.11: weder in einem RFC noch in der Registry definiert "
            "(meinten Sie 5.1.10, 5.1.1?)",
        ),
        (
            ("compare", "550"),
            2,
            "smtpcode: compare braucht mindestens zwei Codes, zum Beispiel: "
            "smtpcode compare 450 550",
        ),
        (
            ("list", "9.x"),
            2,
            "smtpcode: '9.x' ist keine Code-Maske: die Klasse eines erweiterten Statuscodes "
            "ist 2, 4 oder 5 (RFC 3463 §3.1)",
        ),
        (("list", "4.9.x"), 1, "smtpcode: kein Code 4.9.x im Katalog"),
        (("search", "qqqqzzzz"), 1, "smtpcode: kein Code erwähnt 'qqqqzzzz'"),
        (
            ("parse", "/nonexistent/mail.log"),
            3,
            "smtpcode: /nonexistent/mail.log kann nicht gelesen werden: Datei oder Verzeichnis "
            "nicht gefunden",
        ),
        (
            ("parse", "--output-dir", "out", LOG),
            2,
            "smtpcode: --output-dir und --storage-option gehen nur mit --scheduler",
        ),
        pytest.param(
            ("parse", "--scheduler", "local:x", LOG),
            2,
            "smtpcode: --scheduler: local:N erwartet eine Anzahl von Worker-Prozessen, nicht 'x'",
            marks=NEEDS_DASK,
        ),
        pytest.param(
            ("parse", "--scheduler", "local:1", "--storage-option", "anon", LOG),
            2,
            "smtpcode: --storage-option: nicht KEY=VALUE: 'anon'",
            marks=NEEDS_DASK,
        ),
        (
            ("parse", "--scheduler", "local:1", "-"),
            2,
            "smtpcode: --scheduler liest Dateien, Globs oder URLs, nicht die Standardeingabe",
        ),
    ],
)
def test_errors_in_german(run, args: tuple[str, ...], status: int, message: str) -> None:
    code, _, err = run("--lang", "de", *args)
    assert code == status
    assert err.splitlines()[-1].startswith(message)


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("explain",), "argument 'QUERY...' fehlt (siehe: smtpcode explain --help)"),
        (
            ("explain", "--bogus", "550"),
            "unbekannte Option: --bogus (siehe: smtpcode explain --help)",
        ),
        (
            ("parse", "--jobs", "-1"),
            "ungültiger Wert für '--jobs' / '-j': -1 liegt nicht im Bereich 0<=x<=64 "
            "(siehe: smtpcode parse --help)",
        ),
        (
            ("list", "5xx", "extra"),
            "unerwartete zusätzliche Argumente (extra) (siehe: smtpcode list --help)",
        ),
        (("bogus",), "unbekannter Befehl 'bogus' (siehe: smtpcode --help)"),
    ],
)
def test_usage_errors_in_german(run, args: tuple[str, ...], line: str) -> None:
    status, _, err = run("--lang", "de", *args)
    assert (status, err) == (2, f"smtpcode: {line}\n")


def test_usage_errors_stay_english_in_english(run) -> None:
    status, _, err = run("explain", "--bogus", "550")
    assert (status, err) == (
        2,
        "smtpcode: no such option: --bogus (see: smtpcode explain --help)\n",
    )


def test_undefined_code_is_read_structurally_in_german(run) -> None:
    _, out, _ = run("--lang", "de", "explain", "5.1.99")
    assert out.splitlines()[0] == (
        "5.1.99  Nicht definiertes Detail (Subject: Adressierungsstatus)  (undefined)"
    )


# -- help texts: evaluated as the app is built, so a fresh process ------------------------


def _fresh(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("SMTPCODE_LANG", "LC_ALL")}
    environ.update(env, PYTHONPATH=str(ROOT), LANG=env.get("LANG", "C.UTF-8"))
    return subprocess.run(
        [sys.executable, "-m", "smtpcode", *args],
        capture_output=True,
        text=True,
        env=environ,
        check=False,
    )


def test_help_in_german_with_lang() -> None:
    done = _fresh("--lang", "de", "--help")
    assert done.returncode == 0
    assert (
        "Erklärt SMTP-Antwortcodes, erweiterte Statuscodes, Mail-Logs und Bounces." in done.stdout
    )
    assert "Optionen" in done.stdout and "Umgebung:" in done.stdout
    assert done.stdout.startswith("Aufruf: ")
    assert "-h, --help            Zeigt diese Hilfe und beendet das Programm." in done.stdout
    assert "SMTPCODE_LANG       Sprache der Ausgabe: en oder de (sonst die Locale)" in done.stdout


def test_command_help_in_german_from_the_locale() -> None:
    done = _fresh("explain", "--help", LANG="de_DE.UTF-8")
    assert "Erklärt, was ein Antwortcode bedeutet" in done.stdout
    assert "Sprache der Ausgabe: en oder de" in done.stdout
    english = _fresh("explain", "--help")
    assert "Explain what a reply code means" in english.stdout


def test_library_explains_in_a_language() -> None:
    from smtpcode import explain

    german = explain("550 5.1.1 User unknown", lang="de")
    assert german.lang == "de"
    assert german.basic_entry is not None and german.basic_entry.title == TITLE_550_DE
    assert german.reason == "user-unknown"
    # The current language is untouched.
    english = explain("550 5.1.1 User unknown")
    assert (english.lang, english.basic_entry.title if english.basic_entry else None) == (
        "en",
        TITLE_550_EN,
    )
    with pytest.raises(i18n.LanguageError):
        explain("550", lang="fr")


def test_library_explains_a_token_in_either_language() -> None:
    from smtpcode.api import explain_query

    german = explain_query("TSS04", lang="de")
    assert german.lang == "de"
    assert german.vendor_entry is not None
    assert german.vendor_entry.title == (
        "Zurückgestellt wegen unerwarteten Volumens oder Beschwerden von Nutzern"
    )
    english = explain_query("TSS04", lang="en")
    assert english.lang == "en"
    assert english.vendor_entry is not None
    assert english.vendor_entry.title == "Deferred for unexpected volume or user complaints"
    # What the entry means for diagnosis is the English file's in both languages.
    assert (german.reason, german.klass, german.vendor_entry.actors) == (
        english.reason,
        english.klass,
        english.vendor_entry.actors,
    )
