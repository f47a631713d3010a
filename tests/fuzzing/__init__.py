"""A mutation fuzzer for `smtpcode parse`: seeded mutations of the real corpora in
tests/data plus generated shapes, and the oracle every input must pass (see oracle.py).

Used by tests/test_fuzz.py (a bounded run) and bench/fuzz.py (a long run).
"""
