"""Bounce messages: RFC 3464 delivery status notifications and the non-standard notices
of the major MTAs and providers; one reply per recipient the bounce reports, in order.

The machine-readable report (message/delivery-status, wherever it sits) gives the
recipients and their status; the human-readable notice (bounce_text) fills in the
remote server's reply where the report lacks it, and is the only source when there is
no report. An email that is no bounce (no report, no mailer-daemon, no bounce wording)
is read like any text: its body line by line. Feedback reports (ARF) and auto-replies
report no delivery and yield nothing.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

from smtpcode.extract import esp_json, mime
from smtpcode.extract.bounce_text import Notice, cut_original, read_notice
from smtpcode.extract.dsn import (
    RecipientStatus,
    choose_enhanced,
    field_name,
    is_smtp,
    parse_blocks,
)
from smtpcode.extract.reply_text import all_addresses, read_reply
from smtpcode.extract.session import Session
from smtpcode.extract.timestamps import message_time
from smtpcode.extract.transcripts import Transcripts
from smtpcode.records import Reply

# The longest notice text kept for a recipient whose failure the notice only describes
# (a few KB: a Google Groups notice explains itself at length); the returned message
# after it is cut off first.
MAX_WORDS = 4096
# How much of each of the notice's first lines is searched for the MTA's signature.
MAX_SIGNATURE_LINE = 1000
# A bounce forwarded inside a bounce is opened this deep.
MAX_NESTING = 3
# Who sends bounces, and how they are titled.
_BOUNCE_SENDER = re.compile(
    r"mailer-daemon|postmaster|mail delivery|mail administrator|mdaemon|mmsc|"
    r"delivery subsystem|delivery system|ndr|bounce",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery|failure|failed|returned mail|returning message|"
    r"could not be delivered|not delivered|non remis|nicht zustellbar|rejected|"
    r"mail system error|error|notification|non-delivery|bounce",
    re.IGNORECASE,
)
# What only a notice about failed delivery says, in its first lines.
_BOUNCE_BODY = re.compile(
    r"could not be delivered|undeliverable|delivery (?:has )?failed|not be delivered|"
    r"delivery to the following recipient|permanent (?:fatal )?errors?|"
    r"unable to deliver|wasn't able to deliver|were unable to deliver|"
    r"following address(?:es)? (?:had|failed)|error delivering your mail",
    re.IGNORECASE,
)
# The software that wrote a notice, told by words only it uses. Checked in order on
# the first lines of the notice and the sender; the first match wins.
MTA_SIGNATURES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("postfix", r"this is the (?:mail system|postfix program) at host|x-postfix"),
        ("qmail", r"this is the qmail-send program"),
        ("exim", r"this message was created automatically by mail delivery software"),
        ("exchange", r"microsoft exchange|diagnostic information for administrators"),
        ("courier", r"running the courier mail server"),
        ("opensmtpd", r"this is the mailer-daemon, please do not reply"),
        # (Not "-+ transcript ... -+": tried at each dash of a long run of them, it
        # would rescan the run each time.)
        ("sendmail", r"- transcript of session follows -|the original message was received at"),
        ("dragonfly", r"dragonfly mail agent"),
        ("domino", r"domino|lotus notes"),
    )
)


def _is_bounce(
    part: mime.Part, statuses: list[RecipientStatus], notice: list[tuple[int, str]]
) -> bool:
    if statuses or "x-failed-recipients" in part.headers:
        return True
    if any(_BOUNCE_BODY.search(line) for _, line in notice[:60]):
        return True
    if part.content_type == "multipart/report":
        return part.params.get("report-type", "").lower() != "feedback-report"
    sender = part.headers.get("from", "") + " " + part.headers.get("return-path", "")
    if _BOUNCE_SENDER.search(sender):
        return True
    auto = part.headers.get("auto-submitted", "").lower()
    return bool(_BOUNCE_SUBJECT.search(part.headers.get("subject", ""))) and auto != "auto-replied"


def _mta(part: mime.Part, notice: list[tuple[int, str]]) -> str | None:
    # (Signatures are phrases near a line's start; a line of a megabyte is not read whole.)
    head = "\n".join(line[:MAX_SIGNATURE_LINE] for _, line in notice[:40])
    if any(name.startswith("x-postfix") for name in part.headers):
        return "postfix"
    for name, pattern in MTA_SIGNATURES:
        if pattern.search(head):
            return name
    return None


def _status_lines(leaves: list[mime.Part]) -> list[tuple[int, str]]:
    """All delivery status fields: their own parts, and fields pasted into text parts."""
    lines: list[tuple[int, str]] = []
    for leaf in leaves:
        if leaf.is_original:
            continue
        if leaf.content_type in mime.STATUS_TYPES:
            lines.extend(leaf.lines)
            lines.append((0, ""))
        elif leaf.content_type.startswith("text/") and any(
            field_name(line) in ("final-recipient", "original-recipient") for _, line in leaf.lines
        ):
            lines.extend(cut_original(leaf.lines))
            lines.append((0, ""))
    return lines


def _notice_lines(leaves: list[mime.Part]) -> list[tuple[int, str]]:
    texts = [p for p in leaves if p.content_type == "text/plain" and not p.is_original]
    if not texts:
        texts = [p for p in leaves if p.content_type == "text/html" and not p.is_original]
        return [line for p in texts for line in mime.html_to_lines(p.lines)]
    lines: list[tuple[int, str]] = []
    for p in texts:
        lines.extend(p.lines)
        lines.append((0, ""))
    return lines


def _transcript_errors(
    notice: list[tuple[int, str]], input_name: str | None, mta: str | None
) -> list[Reply] | None:
    """A postmaster notice quoting a whole session (" Out: 451 ...", " In: RCPT TO:<a>"):
    the failed replies in it, each with the command and recipient it concerns."""
    if not any(line.startswith((" Out: ", "Out: ")) for _, line in notice):
        return None
    family = Transcripts()
    session = Session(input_name)
    replies: list[Reply] = []
    for n, line in notice:
        raw = line.encode("utf-8", "replace")
        if family.claims(raw):
            replies += family.feed(raw, n, session)
        elif line[:1] in (" ", "\t") and line.strip() and not session.code:
            continue  # a folded client line ("     FROM:<a>")
        else:
            replies += session.flush()
    replies += session.flush()
    return [
        dataclasses.replace(r, reporter=mta, direction="outbound")
        for r in replies
        if r.basic and r.basic[0] in "45"
    ]


def _from_status(
    item: RecipientStatus, notes: dict[str, Notice], input_name: str | None, mta: str | None
) -> Reply:
    smtp = is_smtp(item)
    codes = read_reply(item.diagnostic) if item.diagnostic and smtp else None
    basic = codes.basic if codes else None
    said_enhanced = codes.enhanced if codes else None
    text = codes.text if codes else item.diagnostic
    command = None
    line = item.line
    note = notes.get((item.recipient or "").lower())
    if note is not None and note.codes is not None and note.codes.basic and basic is None:
        # The report lacks the remote server's reply; the notice quotes it.
        basic = note.codes.basic
        said_enhanced = said_enhanced or note.codes.enhanced
        text = note.text or text
        command = note.command
        line = note.line
    elif note is not None and note.command and note.codes and note.codes.basic == basic:
        command = note.command
    if text is None:
        # No Diagnostic-Code text: the Status field's comment, else the notice's words.
        text = item.status_text or (note.text if note is not None else None)
    return Reply(
        basic,
        choose_enhanced(item.status, said_enhanced),
        text,
        input_name,
        line,
        item.recipient,
        command,
        mta,
        item.remote_mta,
        message_time(item.last_attempt),
        direction="outbound",
    )


def extract(
    raw: list[bytes], first: int, input_name: str | None, depth: int = 0
) -> Iterator[Reply]:
    """The replies a message (whose first line is input line `first`) reports, each with
    a time: its recipient's Last-Attempt-Date, else the message's Date, else the
    report's Arrival-Date."""
    if not raw:
        return
    message = mime.parse(raw, first)
    when: str | None = None
    looked = False
    for reply in _extract(message, raw, first, input_name, depth):
        if reply.time is None:
            if not looked:
                when, looked = _message_time(message), True
            if when:
                reply = dataclasses.replace(reply, time=when)
        yield reply


def _message_time(message: mime.Part) -> str | None:
    found = message_time(message.headers.get("date"))
    if found is not None:
        return found
    for leaf in message.leaves():
        if leaf.content_type in ("message/delivery-status", "message/global-delivery-status"):
            for _, line in leaf.lines:
                if line[:13].lower() == "arrival-date:":
                    return message_time(line[13:])
    return None


def _extract(
    message: mime.Part, raw: list[bytes], first: int, input_name: str | None, depth: int
) -> Iterator[Reply]:
    leaves = message.leaves()
    headers = message.headers
    if message.content_type == "text/plain" and field_name(next(iter(headers), "") + ":"):
        # A bare report: its "headers" are delivery status fields.
        statuses = parse_blocks(
            [(first + i, line.decode("utf-8", "replace")) for i, line in enumerate(raw)]
        )
    else:
        statuses = parse_blocks(_status_lines(leaves))
    notice = _notice_lines(leaves)
    if not _is_bounce(message, statuses, notice):
        yield from _plain_email(notice, leaves, input_name)
        return
    mta = _mta(message, notice)

    if not statuses:
        errors = _transcript_errors(notice, input_name, mta)
        if errors is not None:
            yield from errors
            return
        for leaf in leaves:
            found = _json_body(leaf, input_name)
            if found is not None:
                # A sending service's notification mailed as JSON (Amazon SES via SNS).
                yield from found
                return

    ignore = frozenset(
        a.lower()
        for name in ("from", "to", "return-path", "sender")
        for a in all_addresses(headers.get(name, ""))
    )
    notes = read_notice(notice, ignore)
    if not statuses and not any(n.recipient or n.codes for n in notes) and depth < MAX_NESTING:
        # Nothing in the notice itself: a bounce forwarded inside this one, if any.
        for start, inner in _inner_messages(leaves):
            found = list(extract(inner, start, input_name, depth + 1))
            if found:
                yield from found
                return
    if statuses:
        by_address = {(n.recipient or "").lower(): n for n in notes if n.recipient}
        paired = len(notes) == len(statuses)
        for i, item in enumerate(statuses):
            key = (item.recipient or "").lower()
            if key not in by_address and paired:
                # The report and the notice name the recipient differently (an alias, a
                # pipe, a malformed address): the same count pairs them in order.
                by_address[key] = notes[i]
            yield _from_status(item, by_address, input_name, mta)
        return

    if not any(n.recipient for n in notes):
        failed = all_addresses(headers.get("x-failed-recipients", "")) or _original_to(leaves)
        if failed:
            common = notes[0] if notes else None
            if common is None:
                words = " ".join(x.strip() for _, x in cut_original(notice) if x.strip())
                common = Notice(None, None, words[:MAX_WORDS] or None, None, first)
            for address in failed:
                yield _notice_reply(
                    Notice(
                        address,
                        common.codes if common else None,
                        common.text if common else None,
                        common.command if common else None,
                        common.line if common else first,
                    ),
                    input_name,
                    mta,
                )
            return
    for note in notes:
        yield _notice_reply(note, input_name, mta)


def _json_body(leaf: mime.Part, input_name: str | None) -> list[Reply] | None:
    """The replies of a text part that holds a JSON notification, or None if it does not."""
    if leaf.is_original or not leaf.content_type.startswith("text/"):
        return None
    lines = [(n, line) for n, line in leaf.lines if line.strip()]
    if not lines or lines[0][1].lstrip()[:1] not in ("{", "["):
        return None
    # Mailers fold long lines: a line that starts with a space continues the one before.
    text = "".join(("" if line[:1] == " " else "\n") + line for _, line in lines)
    return esp_json.extract_document(text.encode("utf-8", "replace"), lines[0][0], input_name)


def _inner_messages(leaves: list[mime.Part]) -> Iterator[tuple[int, list[bytes]]]:
    """Messages inside this one: returned messages, and one pasted into a text part
    after an mbox "From " line."""
    for leaf in leaves:
        if leaf.is_original and leaf.raw is not None:
            yield leaf.raw
        elif leaf.content_type == "text/plain":
            lines = leaf.lines
            for i in range(1, len(lines)):
                if mime.is_mbox_from(lines[i][1]):
                    rest = lines[i + 1 :]
                    if rest:
                        yield rest[0][0], [line.encode("utf-8", "replace") for _, line in rest]
                    break


def _original_to(leaves: list[mime.Part]) -> list[str]:
    """The recipient of the returned message when the notice names none: its To field,
    if it holds exactly one address."""
    for leaf in leaves:
        if leaf.is_original and leaf.raw is not None:
            headers, _, _ = mime.split_headers(leaf.raw[1])
            to = all_addresses(headers.get("to", ""))
            cc = headers.get("cc")
            return to if len(to) == 1 and not cc else []
    for leaf in leaves:
        if leaf.content_type == "text/plain" and not leaf.is_original:
            rest = leaf.lines[len(cut_original(leaf.lines)) :]
            fields = [all_addresses(line[3:]) for _, line in rest if line.lower().startswith("to:")]
            if len(fields) == 1 and len(fields[0]) == 1:
                return fields[0]
    return []


def _notice_reply(note: Notice, input_name: str | None, mta: str | None) -> Reply:
    codes = note.codes
    return Reply(
        codes.basic if codes else None,
        codes.enhanced if codes else None,
        note.text,
        input_name,
        note.line,
        note.recipient,
        note.command,
        mta,
        direction="outbound",
    )


def _plain_email(
    notice: list[tuple[int, str]], leaves: list[mime.Part], input_name: str | None
) -> Iterator[Reply]:
    """An email that reports no delivery: its text read line by line, like any input."""
    from smtpcode.extract.scanner import Scanner

    lines = cut_original(notice)
    numbered = [(n, line.encode("utf-8", "replace")) for n, line in lines if n]
    yield from Scanner(input_name).scan_numbered(numbered)
