"""The JSON copy of the bundled YAML files: used while the file is unchanged, never
trusted beyond that, and never in the way."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from smtpcode.catalogue import load_yaml
from smtpcode.datacache import ENV_CACHE_DIR, cache_dir, load_cached

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    shutil.copy(ROOT / "rules.yaml", path)
    return path


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv(ENV_CACHE_DIR, str(where))
    return where


def _counting(calls: list[Path]):
    def parse(path: Path):
        calls.append(path)
        return load_yaml(path)

    return parse


def test_second_load_comes_from_the_copy_and_is_the_same(rules_copy: Path, cache: Path) -> None:
    calls: list[Path] = []
    first = load_cached(rules_copy, _counting(calls))
    second = load_cached(rules_copy, _counting(calls))
    assert calls == [rules_copy]
    assert second == first == load_yaml(rules_copy)
    assert [p.suffix for p in cache.iterdir()] == [".json"]


def test_a_changed_file_is_read_again(rules_copy: Path, cache: Path) -> None:
    calls: list[Path] = []
    load_cached(rules_copy, _counting(calls))
    text = rules_copy.read_text(encoding="utf-8")
    rules_copy.write_text(text.replace("version:", "# edited\nversion:", 1), encoding="utf-8")
    stat = rules_copy.stat()
    os.utime(rules_copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    again = load_cached(rules_copy, _counting(calls))
    assert calls == [rules_copy, rules_copy]
    assert again == load_yaml(rules_copy)


def test_a_damaged_copy_is_ignored_and_replaced(rules_copy: Path, cache: Path) -> None:
    load_cached(rules_copy, load_yaml)
    (copy,) = cache.iterdir()
    copy.write_bytes(b'{"stamp": [1], "data": "not the rules"')  # cut short
    calls: list[Path] = []
    assert load_cached(rules_copy, _counting(calls)) == load_yaml(rules_copy)
    assert calls == [rules_copy]
    assert load_cached(rules_copy, _counting(calls)) == load_yaml(rules_copy)
    assert len(calls) == 1


def test_data_json_cannot_hold_is_not_cached(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "dated.yaml"
    path.write_text("when: 2026-11-29\n550: numeric key\n", encoding="utf-8")
    calls: list[Path] = []
    for _ in range(2):
        data = load_cached(path, _counting(calls))
        assert data == load_yaml(path)
    assert len(calls) == 2
    assert not cache.exists() or not any(cache.iterdir())


def test_an_unwritable_cache_costs_nothing(rules_copy: Path, tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv(ENV_CACHE_DIR, str(blocker / "cache"))
    assert load_cached(rules_copy, load_yaml) == load_yaml(rules_copy)


def test_empty_setting_turns_the_cache_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_CACHE_DIR, "")
    assert cache_dir() is None
    monkeypatch.delenv(ENV_CACHE_DIR)
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere")
    assert cache_dir() == Path("/somewhere/smtpcode")


def test_cli_reads_the_catalogue_through_the_copy(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = {**os.environ, ENV_CACHE_DIR: str(tmp_path / "c")}
    outs = [
        subprocess.run(
            [sys.executable, "-m", "smtpcode", "explain", "--json", "550 5.7.26 unauthenticated"],
            capture_output=True,
            env=env,
            check=False,
        )
        for _ in range(2)
    ]
    assert outs[0].returncode == outs[1].returncode == 0
    assert outs[0].stdout == outs[1].stdout
    # codes.yaml, rules.yaml and, for a whole reply, every file of the provider layer.
    providers = sorted(p.stem for p in (ROOT / "providers").glob("*.yaml"))
    copies = sorted(p.name.rsplit("-", 1)[0] for p in (tmp_path / "c").iterdir())
    assert copies == sorted(["codes", "rules", *providers])
