"""The language of everything a person reads: which one is in use, and `_()`.

The program's own messages follow the gettext conventions: the English text is the key
(msgid), and smtpcode/locale/<lang>/LC_MESSAGES/smtpcode.po holds the translations. A
wheel ships the catalogue compiled to .mo (hatch_build.py), read with the stdlib's
gettext; a checkout has no .mo, so the .po is read directly (a small parser below): no
build step is needed to run from source. The catalogue's own texts (codes.yaml,
rules.yaml) are data, translated in codes.<lang>.yaml and rules.<lang>.yaml.

The language comes from --lang, else SMTPCODE_LANG, else the locale (LC_ALL, LC_MESSAGES,
LANG, in that order: the first one set decides); English is the default and the fallback
for any message without a translation. The core never reads argv: the command line
decides and calls set_language.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "de")
DEFAULT = "en"
ENV_LANG = "SMTPCODE_LANG"
LOCALE_VARS = ("LC_ALL", "LC_MESSAGES", "LANG")
DOMAIN = "smtpcode"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_current = DEFAULT


class LanguageError(ValueError):
    """A language smtpcode has no texts for."""


def normalise(name: str) -> str | None:
    """ "de", "DE", "de_AT.UTF-8", "de-CH" -> "de"; "en_GB" -> "en"; others -> None."""
    head = name.strip().split(".", 1)[0].split("@", 1)[0].replace("-", "_").split("_", 1)[0]
    head = head.lower()
    return head if head in LANGUAGES else None


def from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The language SMTPCODE_LANG or the locale asks for; English otherwise.

    An SMTPCODE_LANG naming no known language is ignored (the locale decides): a stray
    setting must not stop the program."""
    env = os.environ if environ is None else environ
    wanted = env.get(ENV_LANG, "")
    if wanted and normalise(wanted):
        return normalise(wanted) or DEFAULT
    for var in LOCALE_VARS:
        value = env.get(var, "")
        if value:
            # The first variable set decides, as in POSIX: LC_ALL=C means C (English).
            return normalise(value) or DEFAULT
    return DEFAULT


def from_argv(argv: Sequence[str]) -> str | None:
    """The value of --lang on a command line ("--lang de", "--lang=de"), if any; a value
    that names no known language is left to the option's own check."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv):
            return normalise(argv[i + 1])
        if arg.startswith("--lang="):
            return normalise(arg.split("=", 1)[1])
    return None


def choose(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> str:
    """--lang, else SMTPCODE_LANG, else the locale, else English."""
    return (from_argv(argv) if argv is not None else None) or from_environment(environ)


def set_language(lang: str) -> str:
    """Make lang the language of everything from now on; returns it."""
    global _current
    found = normalise(lang)
    if found is None:
        raise LanguageError(lang)
    _current = found
    return found


def language() -> str:
    return _current


def _(message: str) -> str:
    """The message in the current language (the English message when untranslated)."""
    if _current == DEFAULT:
        return message
    return messages(_current).get(message) or message


def N_(message: str) -> str:
    """Marks a message for translation where it is written; `_` translates it later."""
    return message


def translate(message: str, lang: str) -> str:
    """The message in a given language, whatever the current one."""
    if lang == DEFAULT:
        return message
    return messages(lang).get(message) or message


@cache
def messages(lang: str) -> Mapping[str, str]:
    """msgid -> msgstr of a language: from the compiled .mo where the wheel has one, else
    from the .po. Untranslated entries (empty msgstr) are left out."""
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    mo = folder / f"{DOMAIN}.mo"
    po = folder / f"{DOMAIN}.po"
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        import gettext

        with mo.open("rb") as fh:
            catalog = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
        return {k: v for k, v in catalog.items() if isinstance(k, str) and k and v}
    if po.is_file():
        return {k: v for k, v in read_po(po.read_text(encoding="utf-8")).items() if k and v}
    return {}


def read_po(text: str) -> dict[str, str]:
    """A .po file's msgid -> msgstr (plural forms and contexts are not used here).

    Each msgid and msgstr is one or more C-style quoted strings, joined."""
    entries: dict[str, str] = {}
    field: str | None = None
    parts: dict[str, list[str]] = {"msgid": [], "msgstr": []}

    def flush() -> None:
        if parts["msgid"] or parts["msgstr"]:
            entries["".join(parts["msgid"])] = "".join(parts["msgstr"])
        parts["msgid"], parts["msgstr"] = [], []

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _sep, rest = line.partition(" ")
        if keyword in ("msgid", "msgstr"):
            if keyword == "msgid":
                flush()
            field, line = keyword, rest.strip()
        elif not line.startswith('"'):
            raise ValueError(f"line {number}: unexpected {keyword!r}")
        if field is None:
            raise ValueError(f"line {number}: text before the first msgid")
        parts[field].append(_unquote(line, number))
    flush()
    return entries


def _unquote(token: str, number: int) -> str:
    if len(token) < 2 or token[0] != '"' or token[-1] != '"':
        raise ValueError(f"line {number}: expected a quoted string, found {token!r}")
    import ast  # only a checkout reads .po files

    # A .po string is a C string; Python's literal syntax reads the escapes it uses.
    value = ast.literal_eval(token)
    if not isinstance(value, str):  # pragma: no cover - a quoted token is a str
        raise ValueError(f"line {number}: not a string")
    return value


def write_mo(entries: Mapping[str, str]) -> bytes:
    """The GNU .mo form of a catalogue (the format gettext.GNUTranslations reads): a
    header, two tables of (length, offset) and the NUL-terminated strings."""
    import struct

    keys = sorted(k for k, v in entries.items() if v or k == "")
    ids = [k.encode("utf-8") for k in keys]
    strs = [entries[k].encode("utf-8") for k in keys]
    header = 7 * 4
    originals_at = header
    translations_at = originals_at + 8 * len(keys)
    data_at = translations_at + 8 * len(keys)
    tables_o: list[int] = []
    tables_t: list[int] = []
    blob = b""
    for s in ids:
        tables_o += [len(s), data_at + len(blob)]
        blob += s + b"\0"
    for s in strs:
        tables_t += [len(s), data_at + len(blob)]
        blob += s + b"\0"
    out = struct.pack("<7I", 0x950412DE, 0, len(keys), originals_at, translations_at, 0, 0)
    out += struct.pack(f"<{len(tables_o)}I", *tables_o)
    out += struct.pack(f"<{len(tables_t)}I", *tables_t)
    return out + blob


def main(argv: Sequence[str] | None = None) -> int:
    """python -m smtpcode.i18n PO MO: compile a .po file (used by the wheel build)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        sys.stderr.write("usage: python -m smtpcode.i18n FILE.po FILE.mo\n")
        return 2
    po, mo = Path(args[0]), Path(args[1])
    mo.write_bytes(write_mo(read_po(po.read_text(encoding="utf-8"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
