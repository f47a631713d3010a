"""RFC 3464 delivery status fields: the per-recipient blocks of a message/delivery-status
part (Final-Recipient, Action, Status, Remote-MTA, Diagnostic-Code), wherever they are
found: in their MIME part, pasted into a text part, or at the start of a bare report.
"""

from __future__ import annotations

from dataclasses import dataclass

from smtpcode.extract.reply_text import enhanced_at_start, first_word, strip_address, unflatten

# Fields that identify a per-recipient block (RFC 3464 §2.3).
_RECIPIENT_FIELDS = ("final-recipient", "original-recipient", "x-actual-recipient")
_KNOWN = frozenset(
    (
        *_RECIPIENT_FIELDS,
        "action",
        "status",
        "remote-mta",
        "diagnostic-code",
        "last-attempt-date",
        "will-retry-until",
        "final-log-id",
        "reporting-mta",
        "dsn-gateway",
        "received-from-mta",
        "arrival-date",
        "original-envelope-id",
        "x-postfix-queue-id",
        "x-postfix-sender",
        "x-display-name",
    )
)
# The longest Status comment kept.
MAX_STATUS_TEXT = 2000
# The longest field block kept; a report is a few lines per recipient.
MAX_FIELD = 16_384


@dataclass(frozen=True, slots=True)
class RecipientStatus:
    """What a delivery status report says about one recipient."""

    recipient: str | None
    action: str | None
    status: str | None  # the Status field's enhanced code
    diagnostic: str | None  # the Diagnostic-Code text, its type ("smtp;") removed
    diagnostic_type: str | None
    remote_mta: str | None
    line: int
    # The comment after the Status code: "Status: 5.1.1 (user unknown)" -> "user unknown".
    status_text: str | None = None
    # The Last-Attempt-Date field, as written (RFC 5322 date-time).
    last_attempt: str | None = None


def field_name(line: str) -> str | None:
    """The lower-cased name of a "Name: value" line, if it is a delivery status field."""
    colon = line.find(":")
    if colon <= 0 or colon > 40:
        return None
    name = line[:colon].strip().lower()
    if name in _KNOWN or name.startswith("x-"):
        return name
    return None


def _value_after_type(value: str) -> tuple[str | None, str]:
    """ "smtp; 550 ..." -> ("smtp", "550 ..."); a value without a type stays whole."""
    head, sep, rest = value.partition(";")
    if sep and head.strip() and " " not in head.strip() and len(head) < 30:
        return head.strip().lower(), rest.strip()
    return None, value.strip()


def status_comment(value: str) -> str | None:
    """The words after a Status field's code: "5.1.1 (user unknown)" -> "user unknown",
    "4.0.0; host lookup failed" -> "host lookup failed"; None when there are none."""
    stripped = value.strip()
    code = enhanced_at_start(stripped)
    if code is None:
        return None
    rest = stripped[stripped.find(code) + len(code) :].strip().lstrip(";:,-").strip()
    if rest.startswith("(") and rest.endswith(")"):
        rest = rest[1:-1].strip()
    return rest[:MAX_STATUS_TEXT] or None


def choose_enhanced(status: str | None, said: str | None) -> str | None:
    """The enhanced code of a recipient: the one the remote server's reply carries, if
    any, else the report's Status. The reply is what was said; Status is the reporting
    MTA's summary of it (often just the generic X.0.0, sometimes a guess)."""
    return said or status


def parse_blocks(lines: list[tuple[int, str]]) -> list[RecipientStatus]:
    """The per-recipient blocks among delivery status lines, in order.

    Folded continuation lines are joined; a blank line, or a recipient field seen again,
    ends a block. Lines that are not fields are skipped.
    """
    blocks: list[tuple[int, dict[str, tuple[int, str]]]] = []
    current: dict[str, tuple[int, str]] = {}
    last: str | None = None
    start = 0

    def close() -> None:
        nonlocal current, last
        if current:
            blocks.append((start, current))
        current, last = {}, None

    for lineno, line in lines:
        if not line.strip():
            close()
            continue
        if line[:1] in (" ", "\t"):
            if last is not None:
                at, value = current[last]
                if len(value) < MAX_FIELD:
                    current[last] = (at, value + " " + line.strip())
            continue
        name = field_name(line)
        if name is None:
            last = None
            continue
        if name in current and (name in _RECIPIENT_FIELDS or name in ("action", "status")):
            close()
        if not current:
            start = lineno
        if name not in current:
            current[name] = (lineno, line.split(":", 1)[1].strip())
        last = name
    close()

    out: list[RecipientStatus] = []
    for start, fields in blocks:
        recipient = None
        for name in _RECIPIENT_FIELDS:
            if name in fields:
                recipient = strip_address(fields[name][1])
                if recipient:
                    break
        if recipient is None and "action" not in fields:
            continue  # the per-message block (Reporting-MTA, Arrival-Date, ...)
        status = enhanced_at_start(fields["status"][1]) if "status" in fields else None
        comment = status_comment(fields["status"][1]) if status else None
        dtype: str | None = None
        diagnostic: str | None = None
        where = start
        if "diagnostic-code" in fields:
            where, raw = fields["diagnostic-code"]
            dtype, said = _value_after_type(raw)
            diagnostic = unflatten(said) if said else None
        # Fields may be there and empty ("Remote-MTA: DNS; ", "Action:"): no value.
        remote = fields.get("remote-mta")
        remote_host = first_word(_value_after_type(remote[1])[1]) if remote else None
        action = first_word(fields["action"][1].lower()) if "action" in fields else None
        attempt = fields.get("last-attempt-date")
        out.append(
            RecipientStatus(
                recipient,
                action,
                status,
                diagnostic,
                dtype,
                remote_host,
                where,
                comment,
                attempt[1] if attempt else None,
            )
        )
    return out


# Diagnostic-Code types whose text is an SMTP reply; "X-Unix; 255" is an exit status.
SMTP_TYPES = frozenset((None, "smtp", "esmtp", "x-smtp", "lmtp"))


def is_smtp(item: RecipientStatus) -> bool:
    return item.diagnostic_type in SMTP_TYPES
