"""`smtpcode compare`: what the key differences say, for pairs and more, in every output."""

from __future__ import annotations

import json
import re

import pytest

from smtpcode.catalogue import get_catalogue
from smtpcode.compare import compare

CAT = get_catalogue()


def title(code: str) -> str:
    entry = CAT.entry_for(code)
    assert entry is not None, code
    return entry.title


def test_across_classes() -> None:
    c = compare(["214", "550"])
    assert c.summary == (
        "214 is a 2xx positive completion reply; 550 is a 5xx permanent negative completion reply."
    )
    klass, subject, commands, actors = c.differences
    first, second = klass.split("; ")
    assert first.startswith("214 is successful (2xx Positive Completion): ")
    assert "nothing to retry" in first.lower()
    assert second.startswith("550 is permanent (5xx Permanent Negative Completion): ")
    assert "do not retry" in second.lower()
    assert subject == "214 is in category x1z (Information); 550 is in category x5z (Mail system)."
    assert commands.startswith("214 answers HELP; 550 answers ")
    assert commands.endswith("; no command returns both.")
    assert "RCPT" in commands and "HELP" not in commands.split("; ")[1]
    assert actors.startswith("Who has to act: for 214, nobody; for 550, the sender")
    assert not c.same and c.undefined == ()


def test_transient_against_permanent_same_subject() -> None:
    c = compare(["4.2.2", "5.2.2"])
    klass, subject, *rest = c.differences
    transient, permanent = klass.rstrip(".").split("; ")
    assert transient.startswith("4.2.2 is transient (4.X.X ")
    assert "retry" in transient and "later" in transient
    assert permanent.startswith("5.2.2 is permanent (5.X.X ")
    assert "do not retry" in permanent.lower()
    assert subject == (
        f'Both report the same condition, "{title("X.2.2")}" (X.2.2); only the class differs.'
    )
    # The same subject means the same commands and the same people to act.
    assert rest[0].startswith("Both can answer RCPT")
    assert rest[-1].startswith("For both, ") and rest[-1].endswith(" has to act.")
    # The columns carry each class's own "when" (the catalogue's by_class texts).
    when = next(a for a in c.aspects() if a.label == "When you see it")
    assert when.values[0] != when.values[1]


def test_basic_against_enhanced() -> None:
    c = compare(["550", "5.1.1"])
    assert c.summary == (
        "550 is a 5xx permanent negative completion reply; "
        "5.1.1 is a 5.X.X permanent failure enhanced status code."
    )
    assert c.differences[0].startswith(
        "Both are permanent (5xx Permanent Negative Completion / 5.X.X Permanent failure), "
        "with the same retry advice: "
    )
    assert c.differences[1] == (
        "550 is in category x5z (Mail system); 5.1.1 is about addressing status (X.1.X)."
    )
    assert c.differences[2] == (
        "The IANA registry pairs 5.1.1 with 550: a server may send them together, "
        'as in "550 5.1.1".'
    )
    assert c.differences[3].startswith("Both can answer RCPT")


def test_combined_code_is_one_column() -> None:
    c = compare(["550-5.1.1", "5.7.1"])
    assert [col.code for col in c.columns] == ["550 5.1.1", "5.7.1"]
    assert [e.code for e in c.columns[0].entries] == ["550", "5.1.1"]
    titles = next(a for a in c.aspects() if a.label == "Title")
    assert titles.values[0] == (f"550: {title('550')}", f"5.1.1: {title('X.1.1')}")
    assert titles.values[1] == (title("X.7.1"),)
    assert c.differences[1] == (
        "550 5.1.1 is about addressing status (X.1.X); "
        "5.7.1 is about security or policy status (X.7.X)."
    )


def test_three_codes() -> None:
    c = compare(["450", "451", "452"])
    assert [col.code for col in c.columns] == ["450", "451", "452"]
    assert c.summary == "450, 451 and 452 are 4xx transient negative completion replies."
    assert c.differences[0].startswith(
        "All 3 are transient (4xx Transient Negative Completion), with the same retry advice: "
    )
    assert c.differences[1] == (
        "All 3 are in category x5z (Mail system) but report different conditions: "
        f'450 "{title("450")}"; 451 "{title("451")}"; 452 "{title("452")}".'
    )
    assert c.differences[2].startswith("All 3 can answer ")
    assert len(c.when) == 3 and c.when[0].startswith("450 after ")


def test_status_difference() -> None:
    c = compare(["447", "554"])
    assert c.differences[-1] == "Status: 447 is folklore; 554 is standard."
    assert "The catalogue names no command for 447" in c.differences[2]


def test_any_command_is_shared() -> None:
    # 421 can follow any command, so whatever 4.7.0 answers, 421 answers too.
    c = compare(["421", "4.7.0"])
    commands = c.differences[2]
    assert commands.startswith("Both can answer ")
    assert "no command returns both" not in commands


def test_same_code() -> None:
    c = compare(["550", "550"])
    assert c.same
    assert c.differences == ("550 is compared with itself: there is no difference.",)
    assert c.summary == "550 is a 5xx permanent negative completion reply."


def test_repeated_code_among_others() -> None:
    c = compare(["550", "551", "550"])
    assert c.differences[0] == "550 is given more than once; each is compared once."
    assert c.summary == "550 and 551 are 5xx permanent negative completion replies."


def test_every_basic_code_compares() -> None:
    # The sentences are templates over catalogue facts: any pair works, none is special.
    for entry in CAT.basic_entries():
        c = compare([entry.code, "550"])
        assert c.differences and all(s.endswith(".") for s in c.differences), entry.code
    for entry in CAT.enhanced_entries():
        c = compare(["4" + entry.code[1:], "5" + entry.code[1:]])
        assert c.differences[1].startswith("Both report the same condition"), entry.code


# -- the command ---------------------------------------------------------------------


def test_cli_plain(run) -> None:
    code, out, err = run("compare", "214", "550")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == compare(["214", "550"]).summary
    for label in ("Class", "Title", "Description", "When you see it", "How to fix", "Retry"):
        assert label in lines, label
    i = lines.index("Title")
    assert lines[i + 1 : i + 3] == [f"  214: {title('214')}", f"  550: {title('550')}"]
    i = lines.index("Class")
    assert lines[i + 1 : i + 3] == [
        "  214: 2xx Positive Completion",
        "  550: 5xx Permanent Negative Completion",
    ]
    assert "Key differences" in lines
    # "When you see it" is shown once, as an aspect: no section repeats it
    assert "When you see which" not in lines and lines.count("When you see it") == 1
    assert "\x1b[" not in out
    # Readable in 80 columns: no table borders; long values are left for the terminal
    # to wrap rather than cut into a grid.
    assert not set("│┃║─━═┌┐└┘╭╮╰╯") & set(out)


def test_cli_rich(run) -> None:
    code, out, _ = run("compare", "--color", "always", "4.2.2", "5.2.2")
    assert code == 0
    assert "\x1b[" in out
    assert "Key differences" in out and "When you see which" not in out
    assert "│" in out  # a real table


def test_cli_rich_no_color(run) -> None:
    code, out, _ = run("compare", "4.2.2", "5.2.2", env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert code == 0
    assert "│" in out and "\x1b[3" not in out


def test_cli_json(run) -> None:
    code, out, err = run("compare", "--json", "4.2.2", "5.2.2", "550 5.1.1")
    assert code == 0 and err == ""
    assert len(out.splitlines()) == 1
    doc = json.loads(out)
    assert doc["codes"] == ["4.2.2", "5.2.2", "550 5.1.1"]
    assert doc["same"] is False
    assert doc["differences"] == list(compare(["4.2.2", "5.2.2", "550 5.1.1"]).differences)
    first, _, combined = doc["entries"]
    assert (first["class"], first["basic"], first["enhanced"]["code"]) == (
        "transient",
        None,
        "4.2.2",
    )
    assert combined["basic"]["code"] == "550" and combined["enhanced"]["code"] == "5.1.1"
    assert set(first["enhanced"]) >= {"code", "title", "class", "description", "when", "fix"}


def test_cli_undefined_code(run) -> None:
    code, out, err = run("compare", "5.1.11", "550")
    assert code == 1
    assert out.startswith("5.1.11 is a 5.X.X permanent failure enhanced status code;")
    assert "Status: 5.1.11 is undefined; 550 is standard." in out
    assert "5.1.11: not defined by any RFC or the registry (did you mean " in err
    assert "5.1.1" in err and "5.1.10" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("550", "abc"), "'abc' is not an SMTP code"),
        (("6.1.1", "550"), "'6.1.1' is not an SMTP code: an enhanced status code starts with 2, 4"),
        (("550",), "compare needs at least two codes"),
    ],
)
def test_cli_usage_errors(run, args: tuple[str, ...], message: str) -> None:
    code, out, err = run("compare", *args)
    assert code == 2
    assert out == ""
    assert err.startswith("smtpcode: ") and message in err


def test_cli_malformed_suggests(run) -> None:
    code, _, err = run("compare", "55", "5.1.1")
    assert code == 2
    assert "did you mean 550" in err


def test_cli_same_code(run) -> None:
    code, out, _ = run("compare", "550", "550")
    assert code == 0
    assert "550 is compared with itself: there is no difference." in out


def test_three_codes_never_call_two_codes_the_only_one() -> None:
    c = compare(["450", "451", "452"])
    commands = c.differences[2]
    by_code = {col.code: set(col.commands) for col in c.columns}
    for clause in commands.rstrip(".").split("; ")[1:]:
        who = re.sub(r"\(not [^)]*\)", "", clause.split(" answer")[0])
        codes = re.findall(r"\b4\d\d\b", who)
        named = re.findall(r"\b[A-Z][A-Z-]+\b", clause.split(" answer")[1])
        for cmd in named:
            # Exactly the codes the clause names answer the command.
            assert {code for code, cmds in by_code.items() if cmd in cmds} == set(codes), clause
        if clause.startswith("only "):
            assert len(codes) == 1, clause
    assert commands == (
        "All 3 can answer RCPT and END-OF-DATA; 450 and 451 (not 452) also answer ATRN; "
        "451 and 452 (not 450) also answer MAIL; only 451 also answers BURL."
    )


def test_an_informational_reply_has_its_own_retry_advice() -> None:
    c = compare(["214", "550"])
    help_reply = c.columns[0]
    entry = CAT.basic("214")
    assert entry is not None and help_reply.retry == entry.retry
    assert "message data" not in help_reply.retry
    assert help_reply.retry.startswith("Nothing to retry")
    assert c.columns[1].retry == CAT.first_digit["5"].retry
