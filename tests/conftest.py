"""Pin the environment so CLI output does not depend on the machine running the tests."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
BENCH_PARSE = Path(__file__).parent.parent / "bench" / "bench_parse.py"

for var in ("FORCE_COLOR", "GITHUB_ACTIONS", "CLICOLOR_FORCE", "NO_COLOR", "TTY_COMPATIBLE"):
    os.environ.pop(var, None)
# English unless a test asks for another language (--lang, SMTPCODE_LANG or the locale).
for var in ("SMTPCODE_LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE"):
    os.environ.pop(var, None)
os.environ["LANG"] = "C.UTF-8"
os.environ["TERM"] = "dumb"
os.environ["COLUMNS"] = "100"
os.environ["LINES"] = "50"
# The JSON copies of the YAML files (smtpcode.datacache) go to a directory of the run's
# own, not the user's cache.
os.environ["SMTPCODE_CACHE_DIR"] = tempfile.mkdtemp(prefix="smtpcode-cache-")


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def run():
    """Run the CLI in-process: returns (exit code, stdout, stderr)."""
    from typer.testing import CliRunner

    from smtpcode.cli import app

    runner = CliRunner()

    def _run(*args: str, input: str | bytes | None = None, env: dict[str, str] | None = None):
        result = runner.invoke(app, list(args), input=input, env=env, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return _run


@pytest.fixture(autouse=True)
def _english_again():
    """A test that switched the language (--lang de through the CLI) leaves English
    behind for the next one, which may call the core directly."""
    yield
    from smtpcode import i18n

    i18n.set_language("en")


def generate_log(path: Path, lines: int, seed: int | None = None) -> None:
    """A Postfix log of `lines` lines, made by bench/bench_parse.py's generator."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_parse", BENCH_PARSE)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    if seed is None:
        bench.generate(path, lines)
    else:
        bench.generate(path, lines, seed=seed)
