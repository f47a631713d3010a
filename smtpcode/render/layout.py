"""What an explanation shows, in order: shared by the plain and the Rich renderer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from smtpcode.i18n import N_, _

if TYPE_CHECKING:
    from smtpcode.catalogue import Entry
    from smtpcode.records import Finding
    from smtpcode.tally import GroupLine, Tally


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
    return entry.klass or _("any class")


def provider_name(entry: Entry) -> str:
    from smtpcode.provider_codes import get_layer

    return get_layer().name(entry.provider or "")


def heading(entry: Entry) -> str:
    status = entry.status if entry.defined else "undefined"  # a value, as --status takes it
    if entry.provider is not None:
        status = f"{status}: {provider_name(entry)}"
    return f"{entry.code}  {entry.title}  ({status})"


_EMITS = {
    "receiver": N_("the receiving system"),
    "sender": N_("the sender's own mail system (not the recipient's)"),
    "relay": N_("a relay or filtering service between sender and recipient"),
}
_RETRY = {
    "yes": N_("yes: the queue retries by itself"),
    "after-fix": N_("not unchanged: retry once the cause is fixed"),
    "no": N_("no: retrying will not succeed"),
}


def vendor_rows(entry: Entry) -> list[Row]:
    """What only a provider's entry has: who says it, retry, the registry note, help."""
    who = _(_EMITS[entry.emits or ""])
    written = _("{provider}; written by {who}").format(provider=provider_name(entry), who=who)
    rows = [Row(_("Provider"), written)]
    rows.append(Row(_("Retry"), _(_RETRY[entry.client_retry or ""])))
    if entry.registry_differs:
        note = _("{provider} uses this code in its own sense, not the registry's").format(
            provider=provider_name(entry)
        )
        rows.append(Row(_("Note"), note))
    if entry.help:
        rows.append(Row(_("Help"), " ".join(entry.help)))
    return rows


def entry_rows(entry: Entry) -> list[Row]:
    rows = [
        Row(_("Class"), class_label(entry)),
        Row(_("Meaning"), entry.description),
        Row(_("When you see it"), entry.when),
    ]
    if entry.fix:
        rows.append(Row(_("How to fix"), entry.fix))
    if entry.commands:
        rows.append(Row(_("After commands"), ", ".join(entry.commands)))
    if entry.associated:
        label = _("Comes with") if entry.provider is not None else _("Basic codes")
        rows.append(Row(label, ", ".join(entry.associated)))
    if entry.rfcs:
        rows.append(Row(_("RFCs"), "; ".join(entry.rfcs)))
    if entry.related:
        rows.append(Row(_("Related"), ", ".join(entry.related)))
    if entry.provider is not None:
        rows += vendor_rows(entry)
    return rows


def diagnosis_rows(finding: Finding) -> list[Row]:
    """The reply-level facts, shown when the query was a whole reply or came from parse."""
    rows: list[Row] = []
    r = finding.reply
    # The diagnosis leads: it is the answer; the reply it was read from comes next.
    if finding.summary:
        rows.append(Row(_("Diagnosis"), finding.summary))
    if r.text is not None:
        rows.append(Row(_("Reply"), r.text))
    rows.append(Row(_("Reason"), finding.reason))
    if finding.provider:
        rows.append(Row(_("Provider"), finding.provider))
    if r.reporter:
        rows.append(Row(_("Reported by"), r.reporter))
    if r.remote_host or finding.remote_mta:
        remote = " ".join(
            x
            for x in (r.remote_host, f"({finding.remote_mta})" if finding.remote_mta else None)
            if x
        )
        rows.append(Row(_("Answered by"), remote))
    if r.recipient:
        rows.append(Row(_("Recipient"), r.recipient))
    if r.command:
        rows.append(Row(_("Command"), r.command))
    if finding.hard_bounce is not None and finding.klass not in ("success", "intermediate"):
        rows.append(Row(_("Bounce"), _("hard") if finding.hard_bounce else _("soft")))
    if finding.advice:
        rows.append(Row(_("What to do"), finding.advice))
    return rows


def finding_title(finding: Finding) -> str:
    codes = " ".join(c for c in (finding.reply.basic, finding.reply.enhanced) if c)
    if not codes and finding.vendor_entry is not None:
        return finding.vendor_entry.code  # a provider's token explained on its own
    return codes or _("reply")


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


def summary_heading(summary: Tally) -> str:
    """ "216 replies in 2 inputs, 110 failures (50.9 %), 2026-11-29T00:38:03 to ..."."""
    n = summary.findings
    text = (_("{n} replies") if n != 1 else _("{n} reply")).format(n=n)
    if summary.inputs > 1:
        text += _(" in {n} inputs").format(n=summary.inputs)
    if n:
        failures = summary.failures()
        many = _(", {n} failures ({share} %)") if failures != 1 else _(", {n} failure ({share} %)")
        text += many.format(n=failures, share=f"{failures * 100 / n:.1f}")
    if summary.first_time and summary.last_time:
        text += _(", {first} to {last}").format(first=summary.first_time, last=summary.last_time)
    if summary.partial:
        text += _(" (partial: interrupted, only what was read until then)")
    return text


# The names of the summary's tables and groupings (Tally.tables(), --group-by), shown
# in the current language; the JSON keeps the English.
_NAMES = {
    "code": N_("code"),
    "class": N_("class"),
    "reason": N_("reason"),
    "provider": N_("provider"),
    "domain": N_("domain"),
    "recipient": N_("recipient"),
    "failing recipient": N_("failing recipient"),
}


def table_name(name: str) -> str:
    """A table's or grouping's name as shown: "failing recipient", in German
    "Empfänger mit Fehlern"."""
    return _(_NAMES.get(name, name))


def capital(text: str) -> str:
    """The first letter in upper case, the rest as it is (str.capitalize would lower the
    capitals of German nouns)."""
    return text[:1].upper() + text[1:]


def shown_key(key: str) -> str:
    """A counted value as shown: itself, or "(none)" in the current language."""
    from smtpcode.tally import NONE

    return _("(none)") if key == NONE else key


def group_columns(by: str) -> list[str]:
    return [
        table_name(by),
        _("count"),
        _("share"),
        _("failures"),
        _("first"),
        _("last"),
        _("most common reply"),
    ]


def group_cells(line: GroupLine) -> list[str]:
    return [
        shown_key(line.key),
        str(line.count),
        f"{line.share * 100:.1f} %",
        str(line.failures),
        line.first or "-",
        line.last or "-",
        line.reply,
    ]


def first_sentence(text: str) -> str:
    end = text.find(". ")
    return text[: end + 1] if end > 0 else text


def brief(finding: Finding) -> list[str]:
    """`explain --brief`: one short paragraph per code (title, class, what it means in
    one sentence, the first fix in one sentence), after the diagnosis of a whole reply."""
    out: list[str] = []
    if finding.reply.text is not None and finding.summary:
        out.append(finding.summary)
    for entry in entries_of(finding):
        klass = entry.klass or _("any class")
        text = f"{entry.code}  {entry.title} ({klass}). {first_sentence(entry.description)}"
        if entry.fix:
            text += " " + _("Fix: {step}").format(step=first_sentence(entry.fix[0]))
        out.append(text)
    return out


def matched_in(why: str) -> str:
    """ "title, meaning" (browse.SearchResult.why, the names of browse.FIELD_NAMES) in
    the current language; the JSON's "matched" keeps the English names."""
    return ", ".join(_(name) for name in why.split(", ")) if why else ""
