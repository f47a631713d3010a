"""qmail-send logs. A delivery starts with "starting delivery 7: msg 123 to remote a@b"
and ends with "delivery 7: failure: <report>", where the report writes spaces as "_" and
line breaks as "/": "192.0.2.1_does_not_like_recipient./Remote_host_said:_550_5.1.1_...".

The qmail-remote phrases that tell the stage are shared with qmail's bounce messages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtpcode.extract.base import LineFamily
from smtpcode.extract.reader import decode
from smtpcode.extract.reply_text import find_reply
from smtpcode.extract.timestamps import line_time
from smtpcode.records import Reply

if TYPE_CHECKING:
    from smtpcode.extract.session import Session

MTA = "qmail"
# Deliveries whose start was seen but not their end; older ones are forgotten first.
MAX_OPEN_DELIVERIES = 10_000
# qmail-remote's words for the stage at which the remote server refused.
STAGES = (
    ("does not like recipient", "RCPT"),
    ("sender was rejected", "MAIL"),
    ("failed after I sent the message", "DATA"),
    ("failed on DATA command", "DATA"),
    ("greeting failed", None),
)
_OUTCOMES = (b": failure: ", b": deferral: ", b": success: ")


def stage_command(text: str) -> str | None:
    for phrase, command in STAGES:
        if phrase in text:
            return command
    return None


def read_report(report: str) -> tuple[str, str | None]:
    """The reply part of a qmail report (its lines joined with "\n") and the command it
    answers: after "Remote host said:", the reply's lines; else the whole report."""
    command = stage_command(report)
    at = report.find("Remote host said:")
    if at < 0:
        return report.strip(), command
    lines = report[at + 17 :].strip().split("\n")
    said = [lines[0]]
    code = lines[0][:3]
    for more in lines[1:]:
        if not (more.startswith(code) and more[3:4] in (" ", "-")):
            break
        said.append(more)
    return "\n".join(said), command


class Qmail(LineFamily):
    name = "qmail"

    def __init__(self) -> None:
        self.recipients: dict[str, str] = {}

    def claims(self, line: bytes) -> bool:
        return b"delivery " in line and (
            b"starting delivery " in line or any(o in line for o in _OUTCOMES)
        )

    def feed(self, line: bytes, lineno: int, session: Session) -> list[Reply]:
        text = decode(line)
        at = text.find("starting delivery ")
        if at >= 0:
            number, _, rest = text[at + 18 :].partition(":")
            words = rest.split()
            if words and len(self.recipients) >= MAX_OPEN_DELIVERIES:
                self.recipients.pop(next(iter(self.recipients)))
            if len(words) >= 5 and words[2] == "to":
                self.recipients[number.strip()] = words[4]
            return []
        at = text.find("delivery ")
        number, _, rest = text[at + 9 :].partition(":")
        report = rest.partition(": ")[2].replace("_", " ").replace("/", "\n").strip()
        said, command = read_report(report)
        found = find_reply(said)
        if found is None:
            return []
        return [
            found.reply(
                session.input,
                lineno,
                self.recipients.pop(number.strip(), None),
                command,
                MTA,
                None,
                line_time(text, session.clock),
                direction="outbound",
            )
        ]
