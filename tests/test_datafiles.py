"""The data files are checked before use: an unknown key is refused with file, line and
key, aliases are refused at once, and the wheel's JSON copy is used only while it matches
its YAML."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from smtpcode import datafiles
from smtpcode.catalogue import CatalogueError
from smtpcode.datafiles import parse_yaml, prebuilt_record
from smtpcode.schemas import CODES, RULES

ROOT = Path(__file__).resolve().parent.parent


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_a_misspelt_catalogue_key_names_file_line_and_key(tmp_path: Path) -> None:
    text = (ROOT / "codes.yaml").read_text(encoding="utf-8")
    start = text.index("\n- code: '552'")
    broken = text[:start] + text[start:].replace("  description:", "  descriptoin:", 1)
    path = tmp_path / "codes.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        parse_yaml(path.read_bytes(), path, CODES)
    line = _line_of(broken, "descriptoin:")
    assert str(caught.value).startswith(f"{path}:{line}: unknown key 'descriptoin' (at basic[")
    assert "(552).descriptoin" in str(caught.value)


def test_a_misspelt_rules_key_is_refused_by_the_cli(tmp_path: Path) -> None:
    text = (ROOT / "rules.yaml").read_text(encoding="utf-8")
    broken = text.replace("    bounce: hard\n", "    bounse: hard\n", 1)
    path = tmp_path / "rules.yaml"
    path.write_text(broken, encoding="utf-8")
    env = {**os.environ, "SMTPCODE_RULES": str(path), "SMTPCODE_CACHE_DIR": ""}
    done = subprocess.run(
        [sys.executable, "-m", "smtpcode", "explain", "550 5.1.1 unknown user"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    line = _line_of(broken, "bounse:")
    assert done.returncode == 3
    assert done.stderr.splitlines() == [
        f"smtpcode: broken catalogue: {path}:{line}: unknown key 'bounse' "
        "(at reasons.user-unknown.bounse)"
    ]


def test_a_wrong_type_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    text = (ROOT / "rules.yaml").read_text(encoding="utf-8")
    broken = text.replace("basic_codes_are_weak: true", "basic_codes_are_weak: [true]", 1)
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"expected true or false, found a list"):
        parse_yaml(path.read_bytes(), path, RULES)


def test_an_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 30):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    path = tmp_path / "codes.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    began = time.perf_counter()
    with pytest.raises(CatalogueError) as caught:
        parse_yaml(path.read_bytes(), path, CODES)
    assert time.perf_counter() - began < 1.0
    assert str(caught.value) == f"{path}:2: YAML aliases are not allowed"


def test_an_ampersand_in_a_text_is_no_alias(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_bytes((ROOT / "rules.yaml").read_bytes())
    data = parse_yaml(path.read_bytes(), path, RULES)
    assert data["providers"]["ionos"]["name"] == "IONOS (1&1)"


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package directory holding codes.yaml and its prebuilt copy, as a wheel has them."""
    raw = (ROOT / "codes.yaml").read_bytes()
    (tmp_path / "codes.yaml").write_bytes(raw)
    (tmp_path / "_data").mkdir()
    data = parse_yaml(raw, ROOT / "codes.yaml", CODES)
    (tmp_path / "_data" / "codes.json").write_text(prebuilt_record(raw, data), encoding="utf-8")
    monkeypatch.setattr(datafiles, "PACKAGE", tmp_path)
    return tmp_path


def test_the_prebuilt_copy_is_used_while_it_matches(package: Path) -> None:
    copy = package / "_data" / "codes.json"
    record = json.loads(copy.read_text(encoding="utf-8"))
    record["data"]["basic"][0]["title"] = "Read from the copy"
    copy.write_text(json.dumps(record), encoding="utf-8")
    assert datafiles.load("codes.yaml")["basic"][0]["title"] == "Read from the copy"


def test_a_stale_or_tampered_copy_is_ignored(package: Path) -> None:
    expected = parse_yaml((ROOT / "codes.yaml").read_bytes(), ROOT / "codes.yaml", CODES)
    copy = package / "_data" / "codes.json"
    record = json.loads(copy.read_text(encoding="utf-8"))
    record["data"]["basic"][0]["fix"] = "not a list"
    copy.write_text(json.dumps(record), encoding="utf-8")
    assert datafiles.load("codes.yaml") == expected
    record["sha256"] = "0" * 64
    record["data"] = {"meta": {}, "basic": [], "enhanced": []}
    copy.write_text(json.dumps(record), encoding="utf-8")
    assert datafiles.load("codes.yaml") == expected
    copy.write_text("[" * 100_000, encoding="utf-8")
    assert datafiles.load("codes.yaml") == expected


def test_the_bundled_files_fit_their_schemas() -> None:
    for name, spec in (("codes.yaml", CODES), ("rules.yaml", RULES)):
        parse_yaml((ROOT / name).read_bytes(), ROOT / name, spec)


def test_a_folder_of_data_files_shares_one_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    from smtpcode import schemas

    monkeypatch.setitem(schemas.BY_FILE, "providers/*.yaml", schemas.RULES)
    assert schemas.schema_for("providers/microsoft.yaml") is schemas.RULES
    assert schemas.schema_for("codes.yaml") is schemas.CODES
    with pytest.raises(KeyError, match=r"no schema for the data file notes\.yaml"):
        schemas.schema_for("notes.yaml")


@pytest.mark.parametrize(
    "text",
    ["a: " + "[" * 200_000 + "]" * 200_000, "a:\n" + "- " * 200_000 + "x\n"],
    ids=["flow", "block"],
)
def test_deep_nesting_is_refused_without_crashing(tmp_path: Path, text: str) -> None:
    # The C loader recurses per level and takes the interpreter down near 100,000 levels:
    # run it in a child so that a crash fails this test instead of the whole run.
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    env = {**os.environ, "SMTPCODE_RULES": str(path), "SMTPCODE_CACHE_DIR": ""}
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "smtpcode", "explain", "550 5.1.1 unknown user"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert time.perf_counter() - began < 20
    assert done.returncode == 3, done.stderr
    line = 2 if text.startswith("a:\n") else 1
    # Ours, or PyYAML's own limit (6.0.4 and later refuse deep flow nesting themselves):
    # either way one line, the file named, no crash.
    assert done.stderr.count("\n") == 1
    assert done.stderr == (
        f"smtpcode: broken catalogue: {path}:{line}: nested more than 64 levels deep\n"
    ) or (
        done.stderr.startswith(f"smtpcode: broken catalogue: {path} is not valid YAML: ")
        and "maximum nesting depth" in done.stderr
    )
