"""Hostile reply texts must not hang diagnosis.

`smtpcode explain "<64k reply>"` once took 20 s: the address regex rescanned a long run
from every position (quadratic time). Every regex that reads reply text must now be
linear. These tests feed long runs of the characters and phrase fragments the regexes
care about; there is no timing assertion: the inputs are large enough that a quadratic
regex would run for minutes, and a generous alarm turns such a hang into a failure.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from types import FrameType

import pytest

from smtpcode.diagnose import (
    MAX_RULE_REPEAT,
    MAX_TEXT,
    Diagnoser,
    get_rules,
    nonlinear_construct,
    normalise,
)
from smtpcode.records import Reply

# Far above what linear work needs (well under a second for everything here), far below
# what a quadratic regex needs on these sizes.
ALARM_SECONDS = 120

SIZE = 100 * 1024  # what diagnose() is given (it reads the first MAX_TEXT characters)
BIG = 256 * 1024  # for normalise() and the phrase scanner, called here on the whole text
# The rule regexes are linear by construction (nonlinear_construct refuses the others at
# load time); they run here on a shorter text to keep the suite quick.
RULE_TEXT = 32 * 1024


def _runs(size: int) -> dict[str, str]:
    def rep(fragment: str) -> str:
        return (fragment * (size // len(fragment) + 1))[:size]

    return {
        "at": rep("@"),
        "dot": rep("."),
        "lt": rep("<"),
        "letters": rep("a"),
        "digits": rep("5"),
        "spaces": rep(" ") + "x",
        "tabs-newlines": rep("\t\n"),
        "brackets": rep("["),
        "address-chars": rep("a.b-c_d"),
        "at-pairs": rep("a@"),
        "angle-addresses": rep("<a@b>"),
        "code-lines": rep("550-"),
        "code-lines-newline": rep("550-5.1.1 x\n"),
        "enhanced": rep("5.1.1 "),
        "code-then-spaces": rep("550" + " " * 997 + "x"),
        "qmail-codes": rep("(#5."),
        "ptr-fragment": rep("sending ip is not "),
        "dbeb-fragment": rep("recipient address rejected: access denied ["),
        "permanent-fragment": rep("permanent failure: "),
        "giving-up": rep("giving up "),
        "duration": rep("could not be delivered for "),
        "file-too-large": rep("mailbox "),
        "gsmtp": rep(" gsmtp-"),
        "quotes": rep("\u2019\u201c"),
    }


@pytest.fixture(autouse=True)
def alarm() -> Iterator[None]:
    """Fail instead of hanging (POSIX main thread only; elsewhere the test just runs)."""
    usable = hasattr(signal, "SIGALRM") and sys.platform != "win32"
    if not usable:
        yield
        return

    def expired(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"diagnosis did not finish within {ALARM_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(ALARM_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("name", sorted(_runs(16)))
def test_adversarial_text_is_diagnosed(name: str) -> None:
    text = "550 5.7.1 " + _runs(SIZE)[name]
    finding = Diagnoser().diagnose(Reply(basic="550", enhanced="5.7.1", text=text))
    assert finding.klass == "permanent"
    assert finding.reason in get_rules().reasons


@pytest.mark.parametrize("name", sorted(_runs(16)))
def test_normalise_and_every_rule_regex_are_linear(name: str) -> None:
    # Called on the whole text, not the MAX_TEXT prefix diagnosis reads.
    low = normalise(_runs(BIG)[name])
    rules = get_rules()
    rules.candidates(low)
    low = low[:RULE_TEXT]
    for sig in rules.signatures:
        for pattern in sig.patterns:
            pattern.search(low)


def test_every_phrase_repeated_back_to_back() -> None:
    # Each rule's phrases glued together and repeated: the phrase scanner and each
    # rule's regex see thousands of candidate positions.
    rules = get_rules()
    phrases = "".join(p for sig in rules.signatures for p in sig.phrases)
    text = (phrases * (BIG // len(phrases) + 1))[:BIG]
    low = normalise(text)
    for sig in rules.candidates(low):
        for pattern in sig.patterns:
            pattern.search(low[:RULE_TEXT])
    assert Diagnoser().diagnose(Reply(basic="550", enhanced=None, text=text)).klass


def test_only_the_first_max_text_characters_are_read() -> None:
    # The bound on work: a phrase past MAX_TEXT is not seen.
    text = "550 " + "x " * MAX_TEXT + "user unknown"
    assert Diagnoser().diagnose(Reply(basic="550", enhanced=None, text=text)).reason == "unknown"
    near = "550 user unknown " + "x " * MAX_TEXT
    assert Diagnoser().diagnose(Reply(basic="550", enhanced=None, text=near)).reason == (
        "user-unknown"
    )


@pytest.mark.parametrize(
    "pattern",
    [
        "a*",
        "a+b",
        r"\d+",
        "[^.]*x",
        "x{2,}",
        f"x{{0,{MAX_RULE_REPEAT + 1}}}",
        "(ab){1,3}",
        "(a|ab)+",
        "(?:a){2}",
    ],
)
def test_rule_regexes_that_could_be_slow_are_refused(pattern: str) -> None:
    assert nonlinear_construct(pattern) is not None


@pytest.mark.parametrize(
    "pattern",
    [
        r"retry timeout exceeded",
        r"[^.]{0,200}(ptr|reverse)",
        r"\d{1,6}",
        r"(for|within) (\d{1,6}|more than)",
        r"(ab)?c",
        r"[*+]",
        r"\*\+",
        r"giving up(?! on \[?\d)",
        r"[]*]x",
    ],
)
def test_bounded_rule_regexes_are_accepted(pattern: str) -> None:
    assert nonlinear_construct(pattern) is None


def test_shipped_rules_pass_the_linearity_check() -> None:
    for sig in get_rules().signatures:
        for pattern in sig.patterns:
            assert nonlinear_construct(pattern.pattern) is None, sig.id
