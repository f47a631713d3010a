"""The user's filters of `parse` (--failures, --class, --reason, --provider, --domain) as
one predicate over findings: ParseOptions.keep.

A Filter is a plain frozen dataclass, so it pickles and travels to worker processes (or
a cluster) with the options; the rows, the JSON and every count see the same findings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smtpcode.records import Finding

# The classes --failures keeps: a delivery that did not happen, now or for good.
FAILURE_CLASSES = frozenset(("transient", "permanent"))


def recipient_domain(recipient: str | None) -> str | None:
    """The domain of an address, lower-cased ("a@Example.COM" -> "example.com")."""
    if not recipient:
        return None
    at = recipient.rfind("@")
    if at < 0:
        return None
    domain = recipient[at + 1 :].strip().strip(">").rstrip(".").lower()
    return domain or None


@dataclass(frozen=True)
class Filter:
    """Keeps a finding when it passes every criterion given; within one criterion, any
    of the values given passes (--reason a --reason b: a or b)."""

    classes: frozenset[str] = frozenset()
    reasons: frozenset[str] = frozenset()
    providers: frozenset[str] = frozenset()
    # Recipient domains; a domain also matches its subdomains (example.com keeps
    # mx.example.com's recipients too).
    domains: tuple[str, ...] = ()

    def __call__(self, finding: Finding) -> bool:
        if self.classes and finding.klass not in self.classes:
            return False
        if self.reasons and finding.reason not in self.reasons:
            return False
        if self.providers and (finding.provider or "") not in self.providers:
            return False
        if self.domains:
            domain = recipient_domain(finding.reply.recipient)
            if domain is None:
                return False
            return any(domain == d or domain.endswith("." + d) for d in self.domains)
        return True


def make_filter(
    failures: bool = False,
    classes: Iterable[str] = (),
    reasons: Iterable[str] = (),
    providers: Iterable[str] = (),
    domains: Iterable[str] = (),
) -> Filter | None:
    """The filter the options ask for; None when they ask for none (every finding kept,
    and the pipeline's fast path without a filter stays open)."""
    wanted = {c.lower() for c in classes}
    if failures:
        wanted = (wanted & FAILURE_CLASSES) if wanted else set(FAILURE_CLASSES)
        if not wanted:  # --failures --class success: nothing can pass
            wanted = {"(no class passes both)"}
    keep = Filter(
        classes=frozenset(wanted),
        reasons=frozenset(r.lower() for r in reasons),
        providers=frozenset(p.lower() for p in providers),
        domains=tuple(sorted({d.lower().strip().lstrip("@").rstrip(".") for d in domains})),
    )
    return keep if keep != Filter() else None
