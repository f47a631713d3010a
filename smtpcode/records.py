"""The records that flow through smtpcode: Reply (what a server said) and Finding (what it means).

input/argument -> Reply (extract/) -> Finding (diagnose.py) -> renderer (render/)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smtpcode.catalogue import Entry


@dataclass(frozen=True, slots=True)
class Reply:
    """One SMTP reply (or one delivery attempt's status) found in some input.

    Extractors fill what the input shows and leave the rest None; they never judge why.
    """

    basic: str | None
    enhanced: str | None
    text: str | None
    input: str | None = None
    line: int | None = None
    recipient: str | None = None
    command: str | None = None
    mta: str | None = None
    # The remote server's host name where the input shows it (relay=, Remote-MTA, ...):
    # evidence for who answered, used by diagnosis to recognise the provider.
    host: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """A reply with its meaning and diagnosis (GUIDE §3, "Finding")."""

    reply: Reply
    klass: str | None
    reason: str
    provider: str | None
    hard_bounce: bool | None
    basic_entry: Entry | None
    enhanced_entry: Entry | None
    advice: str | None
    warnings: tuple[str, ...] = ()
    # Well-formed codes in the reply that the catalogue does not define.
    undefined: tuple[str, ...] = field(default=())
    summary: str | None = None
    # The MTA software: Reply.mta where the input format showed it, else what diagnosis
    # recognised from the software's default reply texts.
    mta: str | None = None
    # Ids of the rules (rules.yaml) that decided reason, provider and MTA: why we said so.
    evidence: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        r = self.reply
        return {
            "input": r.input,
            "line": r.line,
            "text": r.text,
            "basic": r.basic,
            "enhanced": r.enhanced,
            "class": self.klass,
            "reason": self.reason,
            "provider": self.provider,
            "mta": self.mta if self.mta is not None else r.mta,
            "recipient": r.recipient,
            "command": r.command,
            "hard_bounce": self.hard_bounce,
            "meaning": {
                "basic": self.basic_entry.to_dict() if self.basic_entry else None,
                "enhanced": self.enhanced_entry.to_dict() if self.enhanced_entry else None,
            },
            "summary": self.summary,
            "advice": self.advice,
            "warnings": list(self.warnings),
            "undefined": list(self.undefined),
        }
