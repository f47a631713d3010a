"""The records that flow through smtpcode: Reply (what a server said) and Finding (what it means).

input/argument -> Reply (extract/) -> Finding (diagnose.py) -> renderer (render/)
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, cast

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
    # The software whose log, transcript or bounce reported the reply (postfix, exim, ...).
    reporter: str | None = None
    # The host that answered, as the input names it (relay=, Remote-MTA, "host X said:"):
    # evidence for who answered, used by diagnosis to recognise the provider.
    remote_host: str | None = None
    # When the input says it happened (ISO 8601), where it says so.
    time: str | None = None
    # "outbound": a remote server answered our client; "inbound": our server answered a
    # client (a log of the local server's own refusals). None where the input doesn't say.
    direction: str | None = None
    # Whether the reply's text was cut to a bounded size (a hostile or broken input).
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class Finding:
    """A reply with its meaning and diagnosis (README, "JSON": the finding)."""

    reply: Reply
    klass: str | None
    reason: str
    provider: str | None
    hard_bounce: bool | None
    # Whether the sending side retries: transient yes, permanent no, None otherwise.
    retry: bool | None
    basic_entry: Entry | None
    enhanced_entry: Entry | None
    advice: str | None
    warnings: tuple[str, ...] = ()
    # Well-formed codes in the reply that the catalogue does not define.
    undefined: tuple[str, ...] = field(default=())
    summary: str | None = None
    # The remote server's software, where diagnosis recognised its default reply texts.
    remote_mta: str | None = None
    # Ids of the rules (rules.yaml) that decided reason, provider and MTA: why we said so.
    evidence: tuple[str, ...] = ()
    # The language of the text fields (summary, advice, meanings).
    lang: str = "en"
    # The provider's own meaning of the reply's code or token (smtpcode.provider_codes), as
    # the evidence in the reply chose it; None when no provider meaning applies.
    vendor_entry: Entry | None = None

    def to_dict(self) -> dict[str, object]:
        r = self.reply
        return {
            "input": r.input,
            "line": r.line,
            "time": r.time,
            "text": r.text,
            "basic": r.basic,
            "enhanced": r.enhanced,
            "class": self.klass,
            "reason": self.reason,
            "provider": self.provider,
            "reporter": r.reporter,
            "remote_host": r.remote_host,
            "remote_mta": self.remote_mta,
            "direction": r.direction,
            "recipient": r.recipient,
            "command": r.command,
            "retry": self.retry,
            "hard_bounce": self.hard_bounce,
            "lang": self.lang,
            "meaning": {
                "basic": self.basic_entry.to_dict() if self.basic_entry else None,
                "enhanced": self.enhanced_entry.to_dict() if self.enhanced_entry else None,
                "vendor": self.vendor_entry.to_dict() if self.vendor_entry else None,
            },
            "summary": self.summary,
            "advice": self.advice,
            "warnings": list(self.warnings),
            "truncated": r.truncated,
            "undefined": list(self.undefined),
        }


# Fast construction for the hot path of `parse` (one Reply and one Finding per reply of a
# log). A frozen dataclass stores each field through object.__setattr__, which costs about
# four times a plain attribute store: building these two records took a fifth of the
# time of `smtpcode parse` on a big log. The makers below store the fields into a plain
# class with the same slots and then make the object the frozen class it stands for (the
# layouts are the same), so what they return is an ordinary Reply / Finding: equal,
# hashable, frozen, picklable.
# tests/test_records.py checks that they build what the dataclass constructors build.


class _ReplyMaker:
    __slots__ = Reply.__slots__  # type: ignore[attr-defined]

    def __init__(
        self,
        basic: str | None,
        enhanced: str | None,
        text: str | None,
        input: str | None = None,
        line: int | None = None,
        recipient: str | None = None,
        command: str | None = None,
        reporter: str | None = None,
        remote_host: str | None = None,
        time: str | None = None,
        direction: str | None = None,
        truncated: bool = False,
    ) -> None:
        self.basic = basic
        self.enhanced = enhanced
        self.text = text
        self.input = input
        self.line = line
        self.recipient = recipient
        self.command = command
        self.reporter = reporter
        self.remote_host = remote_host
        self.time = time
        self.direction = direction
        self.truncated = truncated
        self.__class__ = Reply  # type: ignore[assignment]


class _FindingSlots:
    __slots__ = Finding.__slots__  # type: ignore[attr-defined]


# Finding's fields after `reply`, in their order: what finding_with() takes.
FINDING_REST = (
    "klass",
    "reason",
    "provider",
    "hard_bounce",
    "retry",
    "basic_entry",
    "enhanced_entry",
    "advice",
    "warnings",
    "undefined",
    "summary",
    "remote_mta",
    "evidence",
    "lang",
    "vendor_entry",
)
if tuple(f.name for f in fields(Finding)) != ("reply", *FINDING_REST):
    raise ImportError("records.FINDING_REST must list Finding's fields after `reply`")


def finding_with(reply: Reply, rest: tuple[Any, ...]) -> Finding:
    """Finding(reply, *rest), where rest holds the values of FINDING_REST."""
    finding: Any = _new(_FindingSlots)
    finding.reply = reply
    (
        finding.klass,
        finding.reason,
        finding.provider,
        finding.hard_bounce,
        finding.retry,
        finding.basic_entry,
        finding.enhanced_entry,
        finding.advice,
        finding.warnings,
        finding.undefined,
        finding.summary,
        finding.remote_mta,
        finding.evidence,
        finding.lang,
        finding.vendor_entry,
    ) = rest
    finding.__class__ = Finding
    return cast("Finding", finding)


_new = object.__new__


# Called like the class itself, and type-checked as such.
new_reply = cast("type[Reply]", _ReplyMaker)


@dataclass(frozen=True, slots=True)
class Problem:
    """A document, or a part of one, that could not be read: where, and why. The run goes
    on; the report lists these and the exit status says some input was not read."""

    input: str | None
    line: int | None
    why: str
