"""What an explanation shows, in order: shared by the plain and the Rich renderer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smtpcode.catalogue import Entry
    from smtpcode.records import Finding


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    value: str | tuple[str, ...]


def class_label(entry: Entry) -> str:
    from smtpcode.catalogue import get_catalogue

    cat = get_catalogue()
    if entry.kind == "basic":
        digit = cat.first_digit.get(entry.code[0])
        second = cat.second_digit.get(entry.code[1])
        label = f"{entry.code[0]}yz {digit.title}" if digit else entry.klass or ""
        if second is not None:
            label += f"; x{entry.code[1]}z {second.title}"
        return label
    if entry.code[0] in "245":
        cls = cat.enhanced_class(entry.code[0])
        if cls is not None:
            return f"{entry.code[0]}.X.X {cls.title}"
    return entry.klass or "any class"


def provider_name(entry: Entry) -> str:
    from smtpcode.provider_codes import get_layer

    return get_layer().name(entry.provider or "")


def heading(entry: Entry) -> str:
    status = entry.status if entry.defined else "undefined"
    if entry.provider is not None:
        status = f"{status}: {provider_name(entry)}"
    return f"{entry.code}  {entry.title}  ({status})"


_EMITS = {
    "receiver": "the receiving system",
    "sender": "the sender's own mail system (not the recipient's)",
    "relay": "a relay or filtering service between sender and recipient",
}
_RETRY = {
    "yes": "yes: the queue retries by itself",
    "after-fix": "not unchanged: retry once the cause is fixed",
    "no": "no: retrying will not succeed",
}


def vendor_rows(entry: Entry) -> list[Row]:
    """What only a provider's entry has: who says it, retry, the registry note, help."""
    rows = [Row("Provider", f"{provider_name(entry)}; written by {_EMITS[entry.emits or '']}")]
    rows.append(Row("Retry", _RETRY[entry.client_retry or ""]))
    if entry.registry_differs:
        note = f"{provider_name(entry)} uses this code in its own sense, not the registry's"
        rows.append(Row("Note", note))
    if entry.help:
        rows.append(Row("Help", " ".join(entry.help)))
    return rows


def entry_rows(entry: Entry) -> list[Row]:
    rows = [
        Row("Class", class_label(entry)),
        Row("Meaning", entry.description),
        Row("When you see it", entry.when),
    ]
    if entry.fix:
        rows.append(Row("How to fix", entry.fix))
    if entry.commands:
        rows.append(Row("After commands", ", ".join(entry.commands)))
    if entry.associated:
        label = "Comes with" if entry.provider is not None else "Basic codes"
        rows.append(Row(label, ", ".join(entry.associated)))
    if entry.rfcs:
        rows.append(Row("RFCs", "; ".join(entry.rfcs)))
    if entry.related:
        rows.append(Row("Related", ", ".join(entry.related)))
    if entry.provider is not None:
        rows += vendor_rows(entry)
    return rows


def diagnosis_rows(finding: Finding) -> list[Row]:
    """The reply-level facts, shown when the query was a whole reply or came from parse."""
    rows: list[Row] = []
    r = finding.reply
    # The diagnosis leads: it is the answer; the reply it was read from comes next.
    if finding.summary:
        rows.append(Row("Diagnosis", finding.summary))
    if r.text is not None:
        rows.append(Row("Reply", r.text))
    rows.append(Row("Reason", finding.reason))
    if finding.provider:
        rows.append(Row("Provider", finding.provider))
    if r.reporter:
        rows.append(Row("Reported by", r.reporter))
    if r.remote_host or finding.remote_mta:
        remote = " ".join(
            x
            for x in (r.remote_host, f"({finding.remote_mta})" if finding.remote_mta else None)
            if x
        )
        rows.append(Row("Answered by", remote))
    if r.recipient:
        rows.append(Row("Recipient", r.recipient))
    if r.command:
        rows.append(Row("Command", r.command))
    if finding.hard_bounce is not None and finding.klass not in ("success", "intermediate"):
        rows.append(Row("Bounce", "hard" if finding.hard_bounce else "soft"))
    if finding.advice:
        rows.append(Row("What to do", finding.advice))
    return rows


def finding_title(finding: Finding) -> str:
    codes = " ".join(c for c in (finding.reply.basic, finding.reply.enhanced) if c)
    if not codes and finding.vendor_entry is not None:
        return finding.vendor_entry.code  # a provider's token explained on its own
    return codes or "reply"


def entries_of(finding: Finding) -> list[Entry]:
    """The meanings to show: the codes', then the provider's own (once, if it is a code's)."""
    found = [e for e in (finding.basic_entry, finding.enhanced_entry) if e is not None]
    vendor = finding.vendor_entry
    if vendor is not None and all(e is not vendor for e in found):
        found.append(vendor)
    return found


def list_row(entry: Entry) -> tuple[str, str, str, str]:
    """One row of `list` / `search`: code, title, class and status."""
    return entry.code, entry.title, entry.klass or "any", entry.status
