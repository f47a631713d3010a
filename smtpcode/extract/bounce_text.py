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
_TRANSCRIPT_COMMAND = re.compile(
    r"(?:RCPT TO|RCPT_TO|MAIL FROM|MAIL_FROM|\bDATA\b|end of data|\bEHLO\b|\bHELO\b)", re.I
)
# The longest reply text kept from a notice, and the longest notice read.
MAX_TEXT = 2000
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
        raw_lines = first[3:4] == "-"
        for _, more in block[i + 1 :]:
            s = more.strip()
            if not s:
                break
            if raw_lines:
                if s.startswith(code) and s[3:4] in ("-", " ", ""):
                    parts.append(s)
                    if s[3:4] != "-":
                        break
                    continue
                raw_lines = len(parts) == 1  # a wrapped flattened reply, not raw lines
                if raw_lines:
                    break
            if more[:1] in (" ", "\t") and len(more) - len(more.lstrip()) >= indent:
                parts.append(s)
                continue
            break
        multi = len(parts) > 1 and all(p[:3] == code for p in parts)
        joined = ("\n" if multi else " ").join(parts)
        said, command = split_in_reply_to(joined)
        if command is None:
            command = _command_before(block, i) or stage_command(
                " ".join(x for _, x in block[: i + 1])
            )
        said = (said if multi else unflatten(said))[:MAX_TEXT]
        found = find_reply(said)
        if found is None or found.basic is None:
            continue
        enhanced = found.enhanced or enhanced_inside(said)
        return Codes(found.basic, enhanced, said), command, n
    return None


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


def _words(address: str, block: list[tuple[int, str]]) -> str | None:
    """What a notice says about a recipient in its own words, without the address that
    heads the block."""
    lines = [x.strip() for _, x in block]
    if lines:
        head = lines[0]
        at = head.find(address)
        if at >= 0:
            lines[0] = head[at + len(address) :].lstrip(">\"':.,) ]")
    return " ".join(x for x in lines if x)[:MAX_TEXT] or None


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
            words = _words(address, block)
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
    return list(out.values())
