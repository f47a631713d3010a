"""The human-readable part of a bounce: which recipients failed and what was said.

Every MTA and provider words its notice differently, so this reads the common shape
rather than each wording: the notice names a recipient on a line of its own (or after
a short label such as "Recipient address:" or "delivering your mail to"), and the
lines after it, up to the next recipient, tell what happened, often quoting the remote
server's reply ("Remote host said: 550 ...", "host mx[ip] said: ...", "<<< 550 ...",
"Remote Server returned '550 ...'"). The copy of the original message that follows the
notice is cut off first: addresses and numbers in it are not findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from smtpcode.extract.exim import Failure, read_failures
from smtpcode.extract.mime import is_mbox_from
from smtpcode.extract.postfix import split_in_reply_to
from smtpcode.extract.qmail import stage_command
from smtpcode.extract.reply_text import (
    EMBEDDED_REPLY,
    Codes,
    address_spans,
    command_in,
    enhanced_inside,
    find_reply,
    reply_start,
    unflatten,
)

# Where a notice ends and the returned message (or its headers) begins.
_ORIGINAL_STARTS = re.compile(
    r"copy of (?:the |your )?(?:original )?message"
    r"|(?:original|unsent|returned) message follows|message headers? follows?"
    r"|headers? (?:of the original message )?(?:is |are )?follow"
    r"|original message headers?|^-+ ?returned message|original (?:message|mail) info"
    r"|^-+ ?original message|^original message:?$"
    r"|en-t[eê]tes de message d'origine|original message was included",
    re.IGNORECASE,
)
# Header fields that begin the returned message when a notice pastes it inline.
_ORIGINAL_HEADERS = re.compile(
    r"(?:Return-Path:|Received:|DKIM-Signature:|Content-Type: message/rfc822)", re.I
)
# Labels before an address that make the line name a failed recipient.
_LABEL_WORDS = ("recipient", "deliver", "user", "address", "account", "mailbox", "rcpt", "to:")
# Words before an address that make it anything but a failed recipient.
_NOT_RECIPIENT = re.compile(
    r"contact|from|sender|generated|expanded|send (?:mail|an email)|postmaster at|reply|by\b",
    re.IGNORECASE,
)
_SENDMAIL_RECIPIENT = re.compile(
    r"[ \t]*[2-5][0-9][0-9][ -]<?[^\s<>@]{1,300}@[^\s<>@.][^\s<>@]{0,300}?>?\.\.\. "
)
# A line that ends like this introduces the sender, not a recipient.
_AFTER_SENDER = re.compile(r"(?:sent by|from|sender)\s*(?::\s*)?$", re.IGNORECASE)
_HEADER_LABELS = frozenset(
    [
        "from",
        "to",
        "cc",
        "bcc",
        "sender",
        "reply-to",
        "return-path",
        "message-id",
        "in-reply-to",
        "references",
        "subject",
        "date",
        "errors-to",
        "delivered-to",
        "envelope-to",
        "x-original-to",
        "original-recipient",
        "final-recipient",
        "x-actual-recipient",
        "x-failed-recipients",
    ]
)
# Whole words: "email from" in a reply's text is no MAIL FROM.
_TRANSCRIPT_COMMAND = re.compile(
    r"\b(?:RCPT TO|RCPT_TO|MAIL FROM|MAIL_FROM|DATA|end of data|EHLO|HELO)\b", re.I
)
# The longest reply text kept from a notice (and the most lines of it), and the longest
# notice read.
MAX_TEXT = 2000
MAX_REPLY_LINES = 200
MAX_NOTICE_LINES = 5000


@dataclass(frozen=True, slots=True)
class Notice:
    """What a notice says about one recipient."""

    recipient: str | None
    codes: Codes | None
    text: str | None  # the reply, or the notice's own words when no reply is quoted
    command: str | None
    line: int


def cut_original(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The notice without the copy of the original message that follows it."""
    seen_text = False
    for i, (_, line) in enumerate(lines[:MAX_NOTICE_LINES]):
        stripped = line.strip()
        if not stripped:
            continue
        if seen_text and _ORIGINAL_STARTS.search(stripped):
            return lines[:i]
        if seen_text and line[:1] not in (" ", "\t") and _ORIGINAL_HEADERS.match(line):
            return lines[:i]
        if is_mbox_from(line):
            return lines[:i]  # an mbox separator: another message starts
        seen_text = True
    return lines[:MAX_NOTICE_LINES]


def _anchor(line: str, ignore: frozenset[str], previous: str) -> str | None:
    """The recipient a notice line names, or None. `previous` is the last non-blank
    line before it ("A message sent by" makes the next address the sender)."""
    spans = address_spans(line) if "@" in line else []
    if not spans or "." not in line[spans[0][0] : spans[0][1]].split("@", 1)[1]:
        return None
    m_start, m_end = spans[0]
    address = line[m_start:m_end].strip(".")
    if address.lower() in ignore or any(c in address for c in "=&?"):
        return None  # the sender, or an address inside a URL
    prefix = line[:m_start].strip().strip("<(\"'*>[ \t")
    if not prefix and _AFTER_SENDER.search(previous[-60:]):
        return None
    code = EMBEDDED_REPLY.search(line)
    if code is not None and code.start() < m_start:
        # Quoted inside a reply; but sendmail names the recipient first in its own:
        # "550 <a@b>... User unknown".
        return address if _SENDMAIL_RECIPIENT.match(line) else None
    if not prefix:
        return address
    low = prefix.lower()
    if ">>>" in low or "<<<" in low or "rcpt to" in low:
        return address if "rcpt" in low else None
    if _NOT_RECIPIENT.search(low):
        return None
    if low.split(":", 1)[0].strip() in _HEADER_LABELS:
        return None  # "To: a@b", "Final-Recipient: rfc822; a@b": fields, not the notice
    words = len(low.split())
    if low.endswith(":") and words <= 7:
        return address
    if any(w in low for w in _LABEL_WORDS) and words <= 12:
        return address
    return None


def _reply_in_block(block: list[tuple[int, str]]) -> tuple[Codes, str | None, int] | None:
    """The first reply quoted in a recipient's lines, its command and line number.

    The reply runs on over the lines that continue it: "550-..." lines up to the final
    "550 ..." one, or the indented lines a notice wrapped it onto.
    """
    for i, (n, line) in enumerate(block):
        at = reply_start(line)
        if at < 0:
            continue
        first = line[at:].strip()
        code = first[:3]
        indent = len(line) - len(line.lstrip())
        parts = [first]
        size = len(first)
        raw_lines = first[3:4] == "-"
        for j in range(i + 1, len(block)):
            if len(parts) >= MAX_REPLY_LINES or size >= MAX_TEXT:
                break  # all that is kept of a reply (and each line may start one)
            more = block[j][1]
            s = more.strip()
            if not s:
                # Some MTAs (DragonFly's dma) put a blank line after each line of a
                # multi-line reply: the reply goes on if the next line continues it.
                if raw_lines and _continues(block, j + 1, code):
                    continue
                break
            if raw_lines:
                if s.startswith(code) and s[3:4] in ("-", " ", ""):
                    parts.append(s)
                    size += len(s)
                    if s[3:4] != "-":
                        break
                    continue
                raw_lines = len(parts) == 1  # a wrapped flattened reply, not raw lines
                if raw_lines:
                    break
            if more[:1] in (" ", "\t") and len(more) - len(more.lstrip()) >= indent:
                parts.append(s)
                size += len(s)
                continue
            break
        multi = len(parts) > 1 and all(p[:3] == code for p in parts)
        joined = ("\n" if multi else " ").join(parts)
        said, command = split_in_reply_to(joined)
        said = (said if multi else unflatten(said))[:MAX_TEXT]
        found = find_reply(said)
        if found is None or found.basic is None:
            continue
        if command is None:
            # (Only for the reply found: joining the lines above each candidate line
            # would cost the square of the block's length.)
            command = _command_before(block, i) or stage_command(
                " ".join(x for _, x in block[: i + 1])
            )
        enhanced = found.enhanced or enhanced_inside(said)
        return Codes(found.basic, enhanced, said), command, n
    return None


# How many blank lines may separate two lines of one reply (see _reply_in_block).
MAX_BLANKS = 4


def _continues(lines: list[tuple[int, str]], start: int, code: str) -> bool:
    """Whether the first non-blank line from `start` on (within MAX_BLANKS lines) is a
    line of a reply with this code."""
    for _, line in lines[start : start + MAX_BLANKS]:
        s = line.strip()
        if s:
            return s.startswith(code) and s[3:4] in ("-", " ", "")
    return False


def _command_before(block: list[tuple[int, str]], i: int) -> str | None:
    """The command named just before a reply: ">>> RCPT TO:<a>", "after end of data"."""
    for _, line in reversed(block[max(0, i - 3) : i + 1]):
        found = None
        for m in _TRANSCRIPT_COMMAND.finditer(line):
            found = m.group(0)
        if found:
            low = found.lower().replace("_", " ")
            if low == "end of data":
                return "DATA"
            return command_in(low.upper())
    return None


def _enhanced_only(block: list[tuple[int, str]]) -> tuple[Codes, int] | None:
    for n, line in block:
        found = find_reply(line)
        if found is not None and found.enhanced:
            return Codes(None, found.enhanced, found.text), n
    return None


def _words(address: str, block: list[tuple[int, str]], lead_in: str | None) -> str | None:
    """What a notice says about a recipient in its own words, without the address that
    heads the block. Many notices say it before the address instead: on the address's
    own line ("Unknown user: a@b") or in the paragraph above it ("The user(s) account is
    disabled.", "User not listed in public Name & Address Book"), given as `lead_in`.
    """
    lines = [x.strip() for _, x in block]
    before = ""
    if lines:
        head = lines[0]
        at = head.find(address)
        if at >= 0:
            before = head[:at].strip().strip("<(\"'*>[ \t").rstrip(":").strip()
            lines[0] = head[at + len(address) :].lstrip(">\"':.,) ]")
    after = " ".join(x for x in lines if x and not _is_rule(x))[:MAX_TEXT]
    if after:
        return after
    if len(before.split()) >= 2 and not _NOT_RECIPIENT.search(before):
        return before[:MAX_TEXT]
    return lead_in


def _is_rule(line: str) -> bool:
    """A line drawn across the notice: "-----", "=====", "*****"."""
    return len(line) >= 3 and not line.strip("-=*_~#+ ")


# The most lines of the paragraphs above the first recipient read as its explanation.
MAX_LEAD_IN = 12


def _lead_in(preamble: list[tuple[int, str]]) -> str | None:
    """The paragraph just above the first recipient a notice names, when it explains the
    failure: the last paragraph, or the one before it when the last only introduces the
    list ("The following recipients did not receive this message:"). Lines that did not
    decode, and rules, are left out."""
    paragraphs: list[list[str]] = [[]]
    for _, line in preamble[-4 * MAX_LEAD_IN :]:
        s = line.strip()
        if not s or _is_rule(s) or "\ufffd" in s:
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        paragraphs[-1].append(s)
    paragraphs = [p for p in paragraphs if p]
    while paragraphs and paragraphs[-1][-1].endswith(":"):
        paragraphs.pop()  # it introduces the list of recipients
    if not paragraphs or len(paragraphs[-1]) > MAX_LEAD_IN:
        return None
    words = " ".join(paragraphs[-1])
    if EMBEDDED_REPLY.search(words) or "@" in words:
        return None  # a reply, or the notice's greeting to the sender: read elsewhere
    return words[:MAX_TEXT] or None


def read_notice(lines: list[tuple[int, str]], ignore: frozenset[str]) -> list[Notice]:
    """The recipients a notice names, each with the reply quoted for it, in order.

    `ignore` holds addresses that are not recipients (the bounce's sender and its
    addressee). A recipient named twice (notices in two languages) is reported once.
    """
    notice = cut_original(lines)
    blocks: list[tuple[str | None, int, list[tuple[int, str]]]] = [(None, 0, [])]
    previous = ""
    for n, line in notice:
        address = _anchor(line, ignore, previous)
        if line.strip():
            previous = line
        if address is not None and address.lower() != (blocks[-1][0] or "").lower():
            blocks.append((address, n, [(n, line)]))
            continue
        blocks[-1][2].append((n, line))

    preamble = blocks[0][2]
    common = _reply_in_block(preamble)
    lead_in = _lead_in(preamble) if common is None else None
    out: dict[str, Notice] = {}
    for address, n, block in blocks[1:]:
        if address is None:
            continue
        found = _reply_in_block(block)
        if found is not None:
            codes, command, at = found
            notice_ = Notice(address, codes, codes.text, command, at)
        else:
            enhanced = _enhanced_only(block)
            words = _words(address, block, lead_in)
            if enhanced is not None:
                codes, at = enhanced
                notice_ = Notice(address, codes, words, None, at)
            elif common is not None:
                codes, command, at = common
                notice_ = Notice(address, codes, codes.text, command, at)
            else:
                notice_ = Notice(address, None, words, None, n)
        key = address.lower()
        seen = out.get(key)
        if seen is None or (seen.codes is None and notice_.codes is not None):
            out[key] = notice_
    if not out and common is not None:
        codes, command, at = common
        return [Notice(None, codes, codes.text, command, at)]
    failures = read_failures(notice)
    if failures:
        return _with_failures(list(out.values()), failures)
    return list(out.values())


def _with_failures(notes: list[Notice], failures: list[Failure]) -> list[Notice]:
    """The recipients of an Exim notice, as its list of failed addresses gives them.

    The list is the authority on which addresses failed and why: a failure without a
    reply code (a local delivery, a routing or retry failure) keeps the lines under its
    address as its text; a reply the notice quotes keeps the command Exim names.
    """
    out: list[Notice] = []
    for failure in failures:
        key = failure.recipient.lower()
        note = next(
            (n for n in notes if n.recipient and n.recipient.lower() == key),
            None,
        ) or next((n for n in notes if n.recipient and n.recipient.lower() in key), None)
        if note is None:
            found = _reply_in_block(list(failure.block))
            if found is not None:
                codes, command, at = found
                note = Notice(failure.recipient, codes, codes.text, command, at)
        if note is not None and note.codes is not None and note.codes.basic:
            out.append(note if note.command else _with_command(note, failure.command))
            continue
        out.append(
            Notice(
                note.recipient if note is not None else failure.recipient,
                note.codes if note is not None else None,
                failure.text,
                failure.command or (note.command if note is not None else None),
                failure.line,
            )
        )
    return out


def _with_command(note: Notice, command: str | None) -> Notice:
    return Notice(note.recipient, note.codes, note.text, command, note.line)
