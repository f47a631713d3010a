"""The input families `parse` reads, listed once: the scanner builds its line readers from
this list, and `--format`'s choices and the help text derive from it too. A cheap module
(no extractor is imported here), so that the command line can read it at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from smtpcode.i18n import N_, _


@dataclass(frozen=True)
class Family:
    # The family's name: the value of --format that reads only it.
    name: str
    # Where its line reader lives ("module:Class"); None: a whole-document reader.
    reader: str | None
    # What it reads, for the help text.
    reads: str
    # Other families that --format NAME also allows.
    also: tuple[str, ...] = ()
    # Not offered to --format: a fallback that reads inside other families' texts.
    fallback: bool = False


# The order matters only among families that could claim the same line: start-anchored
# transcript markers first, then raw replies, then the log formats, then the fallbacks.
FAMILIES: tuple[Family, ...] = (
    Family(
        "transcript",
        "smtpcode.extract.transcripts:Transcripts",
        N_("swaks, smtplib debug, PHPMailer, S:/C:, telnet and openssl s_client sessions"),
        also=("reply",),
    ),
    Family("reply", "smtpcode.extract.replies:RawReplies", N_("raw replies (250-.../250 ...)")),
    Family("postfix", "smtpcode.extract.postfix:Postfix", N_("Postfix logs")),
    Family("exim", "smtpcode.extract.exim:Exim", N_("Exim main and reject logs")),
    Family("sendmail", "smtpcode.extract.sendmail:Sendmail", N_("Sendmail logs")),
    Family("opensmtpd", "smtpcode.extract.opensmtpd:OpenSmtpd", N_("OpenSMTPD logs")),
    Family("qmail", "smtpcode.extract.qmail:Qmail", N_("qmail logs")),
    Family(
        "exchange", "smtpcode.extract.exchange:Exchange", N_("Exchange / Microsoft 365 NDR text")
    ),
    Family(
        "exception",
        "smtpcode.extract.client_errors:ClientErrors",
        N_("client exceptions (smtplib, nodemailer, JavaMail, PHP, .NET)"),
    ),
    Family(
        "json",
        "smtpcode.extract.esp_json:JsonLines",
        N_("JSON events of sending services (Amazon SES, SendGrid, Mailgun, ...)"),
    ),
    Family("dsn", "smtpcode.extract.dsn_fields:DsnFields", N_("DSN fields"), fallback=True),
    Family("embedded", "smtpcode.extract.embedded:Embedded", N_("replies in text"), fallback=True),
    Family("bounce", None, N_("bounce messages (RFC 3464 and others), one email or an mbox")),
)

# --format values: each names the line families it allows (empty: all).
FORMATS: dict[str, tuple[str, ...]] = {"auto": ()}
for _family in FAMILIES:
    if not _family.fallback:
        FORMATS[_family.name] = () if _family.reader is None else (_family.name, *_family.also)


def help_text() -> str:
    """What parse reads, one family a line."""
    return "\n".join(f"  {f.name:<11} {_(f.reads)}" for f in FAMILIES if not f.fallback)
