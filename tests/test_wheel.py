"""The wheel carries codes.yaml, rules.yaml, the provider layer and their prebuilt JSON
copies: smtpcode works from a fresh virtual environment, reads the copies, and writes
nothing in the home directory."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (found,) = out.glob("smtpcode-*.whl")
    return found


def test_wheel_contains_the_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "smtpcode/codes.yaml" in names
    assert "smtpcode/rules.yaml" in names
    assert "smtpcode/cli.py" in names
    with zipfile.ZipFile(wheel) as archive:
        for name in ("codes", "rules", "codes.de", "rules.de"):
            record = json.loads(archive.read(f"smtpcode/_data/{name}.json"))
            yaml_bytes = archive.read(f"smtpcode/{name}.yaml")
            assert record["sha256"] == hashlib.sha256(yaml_bytes).hexdigest()
            assert (
                record["sha256"] == hashlib.sha256((ROOT / f"{name}.yaml").read_bytes()).hexdigest()
            )
            assert record["data"] == yaml.safe_load(yaml_bytes)
        # The German messages, compiled from the .po by the build hook.
        mo = archive.read("smtpcode/locale/de/LC_MESSAGES/smtpcode.mo")
        po = (ROOT / "smtpcode/locale/de/LC_MESSAGES/smtpcode.po").read_text(encoding="utf-8")
    import gettext
    import io

    from smtpcode.i18n import read_po

    compiled = gettext.GNUTranslations(io.BytesIO(mo))
    for msgid, msgstr in read_po(po).items():
        if msgid and msgstr:
            assert compiled.gettext(msgid) == msgstr
    # The provider files and their German texts (providers/de/), each with its copy.
    providers = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "providers").rglob("*.yaml"))
    assert "providers/microsoft.yaml" in providers
    assert "providers/de/microsoft.yaml" in providers
    assert sorted(n.split("/", 1)[1] for n in names if n.startswith("smtpcode/providers/")) == (
        providers
    )
    copies = {n for n in names if n.startswith("smtpcode/_data/providers/")}
    assert copies == {f"smtpcode/_data/{p[: -len('.yaml')]}.json" for p in providers}


def test_wheel_installs_the_man_page(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith("/smtpcode.1")]
        assert name.endswith(".data/data/share/man/man1/smtpcode.1")
        assert archive.read(name) == (ROOT / "docs" / "smtpcode.1").read_bytes()


def test_installed_wheel_explains(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    subprocess.run(
        [str(bindir / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
    )
    # man-db looks for pages in ../share/man beside each bin directory on PATH
    assert (env_dir / "share" / "man" / "man1" / "smtpcode.1").is_file()
    # Run from elsewhere so nothing can be found through the checkout, with a home of its
    # own to show that nothing is written there.
    home = tmp_path / "home"
    home.mkdir()
    env = {
        k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("SMTPCODE_")
    }
    env["HOME"] = str(home)
    xdg = tmp_path / "xdg-cache"
    env["XDG_CACHE_HOME"] = str(xdg)
    done = subprocess.run(
        [str(bindir / "smtpcode"), "explain", "--json", "550"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    finding = json.loads(done.stdout)
    assert finding["meaning"]["basic"]["code"] == "550"
    # The provider layer is found inside the installed package.
    done = subprocess.run(
        [str(bindir / "smtpcode"), "explain", "--json", "5.7.606"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["meaning"]["vendor"]["provider"] == "microsoft"
    where = subprocess.run(
        [
            str(bindir / "python"),
            "-c",
            "import smtpcode.catalogue as c; print(c.data_path('codes.yaml'))",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "site-packages" in where.stdout
    # The catalogue and the rules come from the prebuilt copies, not the YAML.
    used = subprocess.run(
        [
            str(bindir / "python"),
            "-c",
            "import smtpcode.datafiles as d;"
            "print(all(d._prebuilt(n, d.bundled_path(n).read_bytes()) is not None"
            " for n in ('codes.yaml', 'rules.yaml')))",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert used.stdout == "True\n"
    # German, from the .mo and the prebuilt codes.de and rules.de copies.
    german = subprocess.run(
        [str(bindir / "smtpcode"), "--lang", "de", "explain", "550 5.1.1 User unknown"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert german.returncode == 0, german.stderr
    assert german.stdout.startswith(
        "Diagnose: Der empfangende Server hat den Empfänger abgelehnt: die Adresse existiert nicht."
    )
    assert "550  Postfach nicht verfügbar oder Aktion abgelehnt  (standard)" in german.stdout
    read = subprocess.run(
        [
            str(bindir / "python"),
            "-c",
            "import smtpcode.datafiles as d, smtpcode.i18n as i;"
            "print(all(d._prebuilt(n, d.bundled_path(n).read_bytes()) is not None"
            " for n in ('codes.de.yaml', 'rules.de.yaml')),"
            " (i.LOCALE_DIR / 'de/LC_MESSAGES/smtpcode.mo').is_file())",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert read.stdout == "True True\n"
    assert list(home.iterdir()) == []
    assert not xdg.exists()
