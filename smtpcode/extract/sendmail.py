"""Sendmail logs: `to=<a>, ..., relay=mx. [ip], dsn=5.1.1, stat=User unknown` delivery
lines (`stat=Deferred: 421 4.7.0 ...` quotes the remote reply), `reply=` where the
version logs it, and the server's own refusals `ruleset=check_rcpt, ..., reject=550 ...`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtpcode.codes import valid_enhanced
from smtpcode.extract.base import LineFamily
from smtpcode.extract.reader import decode
from smtpcode.extract.reply_text import (
    all_addresses,
    field_after,
    find_reply,
    first_word,
    read_reply,
    unflatten,
)
from smtpcode.extract.timestamps import line_time
from smtpcode.records import Reply

if TYPE_CHECKING:
    from smtpcode.extract.session import Session

MTA = "sendmail"
# Recipients logged on one line share one result; more than this are not listed one by one.
MAX_RECIPIENTS = 100
_RULESETS = {"check_rcpt": "RCPT", "check_mail": "MAIL", "check_data": "DATA", "check_eoh": "DATA"}


def _field(text: str, name: str) -> str | None:
    return field_after(text, name, ", ")


class Sendmail(LineFamily):
    name = "sendmail"

    def claims(self, line: bytes) -> bool:
        return b"sm-mta" in line or b"sendmail[" in line or b"sm-msp-queue" in line

    def feed(self, line: bytes, lineno: int, session: Session) -> list[Reply]:
        if b"stat=" not in line and b"reject=" not in line and b"reply=" not in line:
            return []
        text = decode(line)
        if " reject=" in text:
            return self._reject(text, lineno, session)
        dsn = _field(text, " dsn=")
        stat = text[text.find("stat=") + 5 :] if "stat=" in text else ""
        said = text[text.find("reply=") + 6 :] if "reply=" in text else None
        if said is not None:
            stat = stat[: stat.find(", reply=")] if ", reply=" in stat else stat
        if stat.startswith("Deferred: "):
            stat = stat[10:]
        found = read_reply(said) if said else find_reply(stat)
        basic = found.basic if found else None
        enhanced = (found.enhanced if found else None) or valid_enhanced(dsn)
        body = (found.text if found and found.basic else None) or stat.strip() or None
        relay = _field(text, " relay=")
        host = first_word(relay) if relay and not relay.startswith("[") else None
        host = host.rstrip(".") or None if host else None
        to = _field(text, " to=") or ""
        recipients: list[str | None] = [*all_addresses(to)[:MAX_RECIPIENTS]] or [None]
        when = line_time(text, session.clock)
        return [
            Reply(
                basic,
                enhanced,
                unflatten(body) if body else None,
                session.input,
                lineno,
                rcpt,
                None,
                MTA,
                host,
                when,
                direction="outbound",
            )
            for rcpt in recipients
        ]

    def _reject(self, text: str, lineno: int, session: Session) -> list[Reply]:
        codes = read_reply(text[text.find(" reject=") + 8 :])
        if codes.basic is None and codes.enhanced is None:
            return []
        ruleset = _field(text, "ruleset=")
        command = _RULESETS.get(ruleset or "")
        arg = _field(text, " arg1=") or ""
        recipient = all_addresses(arg)[:1] if command == "RCPT" else []
        # A ruleset's rejection: the local server refusing a client.
        return [
            codes.reply(
                session.input,
                lineno,
                recipient[0] if recipient else None,
                command,
                MTA,
                None,
                line_time(text, session.clock),
                direction="inbound",
            )
        ]
