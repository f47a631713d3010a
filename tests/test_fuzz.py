"""A bounded fuzz run (bench/fuzz.py does the long one): seeded mutations of the real
bounces, logs and transcripts in tests/data, and generated hostile shapes. Every input
is read to the end, each reply diagnosed and encoded as JSON; nothing may raise, hit a
guard, take longer than its size allows or grow the peak memory by 100 MB."""

from __future__ import annotations

import pytest
from fuzzing.mutate import load_corpus, make_input
from fuzzing.oracle import Outcome, peak_mb, run_one, signature_of

# Seeds and input numbers are fixed: a failure names the input, which
# `python bench/fuzz.py --replay SEED:INDEX` makes again.
SEED = 20261204
INPUTS = 2500


@pytest.fixture(scope="module")
def corpus() -> list[bytes]:
    return load_corpus()


def test_the_corpus_is_the_real_material(corpus: list[bytes]) -> None:
    # Bounces, MTA output and the parse samples: hundreds of files, none empty.
    assert len(corpus) > 500
    assert all(corpus)


def test_inputs_are_reproducible(corpus: list[bytes]) -> None:
    assert make_input(corpus, 7, 123) == make_input(corpus, 7, 123)
    assert make_input(corpus, 7, 123) != make_input(corpus, 7, 124)


def test_the_oracle_names_a_crash_by_type_and_innermost_frame() -> None:
    from smtpcode.extract import dsn

    try:
        dsn.parse_blocks(None)  # type: ignore[arg-type]
    except TypeError as error:
        assert signature_of(error) == "TypeError at smtpcode/extract/dsn.py:parse_blocks"
    else:  # pragma: no cover
        pytest.fail("parse_blocks(None) did not raise")


def test_a_bounded_fuzz_run_finds_nothing(corpus: list[bytes]) -> None:
    run_one(corpus[0])  # the catalogue and rules loaded first
    baseline = peak_mb()
    failures: dict[str, tuple[int, Outcome]] = {}
    for index in range(INPUTS):
        outcome = run_one(make_input(corpus, SEED, index), baseline_mb=baseline)
        if outcome.signature is not None:
            failures.setdefault(outcome.signature, (index, outcome))
    report = [
        f"{sig} (--replay {SEED}:{index}): {outcome.detail}"
        for sig, (index, outcome) in failures.items()
    ]
    assert not report, "\n".join(report)
