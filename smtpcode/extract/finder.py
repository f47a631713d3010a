"""The finder: reads the paragraphs of lines no line family took (see extract/scanner),
with the candidates of extract/candidates, and decides what is kept.

- A line that opens with a reply is what a server sent: assembled with its
  continuation lines by the session, as a raw transcript is; a line that opens with a
  command in a command's syntax is what the client sent.
- Other lines give their candidates, joined with the lines that go on with them (a
  multi-line reply, a bounce's "said:" quote folded over lines, an enhanced code on the
  next line).
- What a text repeats is counted once: the same reply printed again by a wrapper, a
  code echoed without its text ("responseCode: 535", "got code 550"), a status field
  beside the reply it summarises, a reply a family reported a few lines earlier (a
  bounce's "said:" text and its Diagnostic-Code). Lines of one shape ("host mx1[...]
  refused to talk to me: 554 ...", "host mx2[...] ...") are separate events.
- Rust lettre's codes spelt as enum names; a delivery notice that names its failed
  recipients without any code gives one reply with null codes per recipient.
"""

from __future__ import annotations

import dataclasses
import re
from collections import deque
from typing import TYPE_CHECKING, Any

from smtpcode.extract.candidates import (
    ENHANCED_AHEAD,
    REPLY_AT,
    Candidate,
    continues,
    line_candidates,
    open_line,
    plausible_opening,
)
from smtpcode.extract.postfix import split_in_reply_to
from smtpcode.extract.reader import decode
from smtpcode.extract.reply_text import NESTED_REPLY, all_addresses
from smtpcode.records import Reply

if TYPE_CHECKING:
    from smtpcode.extract.session import Session


# A paragraph longer than this is read in parts (a long run of lines no family knows).
MAX_PARAGRAPH = 200
# How many lines around a codeless notice a reply with codes stands for it.
NOTICE_REACH = 40
# How many lines back a reply counts as the same one printed again.
ECHO_WINDOW = 60
# Earlier replies each candidate is compared with (keeps a long paragraph linear).
MAX_SEEN = 128


def _opens_reply(text: str) -> bool:
    opened = open_line(text)
    return opened is not None and opened[1] == "reply"


# The most logical lines one line's escapes make: an escaped exception has a few dozen;
# a line of a megabyte of "\\n" would otherwise make half a million (and 70 MB).
MAX_UNESCAPED = 1000


def _unescape(text: str) -> list[str]:
    """A line's logical lines: JSON and Python escapes written out ("\\n" ends a line);
    beyond MAX_UNESCAPED of them, the rest is one last line."""
    if "\\" in text:
        text = (
            text.replace("\\r\\n", "\n")
            .replace("\\n", "\n")
            .replace("\\r", "")
            .replace('\\"', '"')
            .replace("\\/", "/")
            .replace("\\t", " ")
        )
    return text.split("\n", MAX_UNESCAPED)


# Rust lettre's Debug output writes a code as its three digits' names:
# "Code { severity: PermanentNegativeCompletion, category: MailSystem, detail: Four }".
_LETTRE = re.compile(
    r"severity:[ \t]*(\w{1,40}),[ \t]*category:[ \t]*(\w{1,20}),[ \t]*detail:[ \t]*(\w{1,10})"
)


_SEVERITY = {
    "PositiveCompletion": "2",
    "PositiveIntermediate": "3",
    "TransientNegativeCompletion": "4",
    "PermanentNegativeCompletion": "5",
}


_CATEGORY = {
    "Syntax": "0",
    "Information": "1",
    "Connections": "2",
    "Unspecified3": "3",
    "Unspecified4": "4",
    "MailSystem": "5",
}


_DETAIL = {
    name: str(k)
    for k, name in enumerate(
        ["Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine"]
    )
}


def _lettre_codes(logical: list[tuple[int, str]]) -> list[Candidate]:
    """Replies lettre's Debug output spells out, one per "Code { ... }", pretty-printed
    over lines or not."""
    if not any("severity:" in text for _, text in logical):
        return []
    joined = ""
    starts: list[tuple[int, int]] = []
    for n, text in logical:
        starts.append((len(joined), n))
        joined += text.strip() + " "
    found = []
    for m in _LETTRE.finditer(joined):
        digits = (_SEVERITY.get(m[1]), _CATEGORY.get(m[2]), _DETAIL.get(m[3]))
        if None in digits:
            continue
        code = "".join(d for d in digits if d)
        line = max(n for at, n in starts if at <= m.start())
        found.append(
            Candidate(code, None, m.group(), line, False, False, False, False, "", None, None)
        )
    return found


# A notice that a message could not be delivered to a recipient it names, with no code
# at all (a content filter's "Unable to deliver message to <x>", a list manager's
# notice, a webmail's bounce text): each named recipient is a finding with null codes,
# and diagnosis reads the reason from the words.
_UNDELIVERED = re.compile(
    r"(?:unable to deliver (?:the |your |this )?(?:message|mail|e-?mail) to"
    r"|(?:could|can|cannot|can't) ?not be delivered to"
    r"|was not delivered to|wasn't delivered to|undeliverable to"
    r"|delivery to the following recipients? (?:has )?failed(?: permanently)?"
    r"|delivery has failed to these recipients(?: or groups)?"
    r"|failed to deliver (?:the |your )?(?:message|mail|e-?mail) to"
    r"|permanent(?:ly)? (?:delivery )?fail(?:ed|ure) (?:to|for)"
    r"|delivery (?:failed|failure) (?:to|for))",
    re.IGNORECASE,
)


# How many lines after the notice may list its recipients.
_NOTICE_LINES = 6


def notice_open(lines: list[tuple[int, bytes]], line: bytes) -> bool:
    """Whether a line naming an address belongs to a codeless delivery notice just
    before it ("Unable to deliver message to the following recipients:"), whoever else
    would claim a line that holds only an address."""
    if b"@" not in line:
        return False
    for _, raw in lines[-_NOTICE_LINES:]:
        if b"eliver" in raw and _UNDELIVERED.search(decode(raw)):
            return True
    return False


def _codeless_bounces(logical: list[tuple[int, str]], input_name: str | None) -> list[Reply]:
    """One reply with null codes per recipient a codeless delivery notice names."""
    out: list[Reply] = []
    named: set[str] = set()
    for k, (n, text) in enumerate(logical):
        m = _UNDELIVERED.search(text)
        if m is None:
            continue
        window = [text[m.end() :]] + [t for _, t in logical[k + 1 : k + 1 + _NOTICE_LINES]]
        said = " ".join(t.strip() for t in [text, *window[1:]] if t.strip())[:1000]
        for part in window:
            for address in all_addresses(part):
                address = address.strip("<>.,;:'\"")
                if address.lower() in named:
                    continue
                named.add(address.lower())
                out.append(Reply(None, None, said, input_name, n, address))
            if out and not part.strip():
                break
    return out


class Finder:
    """Reads the paragraphs of lines no family took, for one input."""

    def __init__(self, session: Session) -> None:
        self.session = session
        # Replies found here lately: (basic, enhanced, text key) -> line.
        self._recent: dict[tuple[str | None, str | None, str], int] = {}
        self._recent_basics: dict[str, int] = {}
        # Replies reported lately by anyone: [who, reply, its text key once worked out].
        self._emitted: deque[list[Any]] = deque(maxlen=64)
        # Who reported a reply last when it was not the reader before: (who, line).
        self._last_foreign: tuple[str, int] | None = None
        # Recipients a codeless notice named, each a reply with null codes.
        self._codeless: list[Reply] = []

    def codeless_left(self) -> list[Reply]:
        """The codeless notices' recipients that no reply with codes reported."""
        left, self._codeless = self._codeless, []
        return left

    def unechoed(self, replies: list[Reply], source: str) -> list[Reply]:
        """The replies a family found, less those another reader reported a few lines
        earlier: a bounce's "said:" text and its Diagnostic-Code, an exception and the
        reply it wraps printed again. A family repeating itself (a transcript's "250 OK"
        for each recipient) is not an echo."""
        kept = []
        for reply in replies:
            if not self.is_echo(reply, source):
                kept.append(reply)
        self.noted(replies, source)
        return kept

    def foreign_near(self, source: str, line: int) -> bool:
        """Whether a reader other than `source` reported a reply in the last lines (a
        cheap test before looking for echoes on a big log's hot path)."""
        last = self._last_foreign
        return last is not None and last[0] != source and line - last[1] <= ECHO_WINDOW

    def noted(self, replies: list[Reply], source: str) -> None:
        """Replies a family reported, for the echoes of them that may follow."""
        emitted = self._emitted
        for reply in replies:
            emitted.append([source, reply, None])
        if self._codeless:
            coded = [r for r in replies if r.basic or r.enhanced]
            if coded:
                # A notice's text and the reply it reports (Gmail's "wasn't delivered
                # to x ... The response from the remote server was: 550 ..."): the reply.
                near = (coded[0].line or 0) - NOTICE_REACH
                named = {r.recipient for r in coded}
                self._codeless = [
                    r for r in self._codeless if r.recipient not in named and (r.line or 0) < near
                ]
        if replies and (self._last_foreign is None or self._last_foreign[0] != source):
            self._last_foreign = (source, replies[-1].line or 0)

    def _goes_on_with_last(self, reply: Reply, source: str) -> bool:
        """Whether a reply is the rest of the one another reader reported just before,
        which a log line wrapped over lines left open ("... Please try" then
        "550-5.1.1 double-checking ...")."""
        if not self._emitted:
            return False
        who, last = self._emitted[-1][0], self._emitted[-1][1]
        return (
            who != source
            and last.basic is not None
            and (last.basic, last.enhanced) == (reply.basic, reply.enhanced)
            and 0 <= (reply.line or 0) - (last.line or 0) <= 3
            and _open_ended(last)
        )

    def is_echo(self, reply: Reply, source: str) -> bool:
        """Whether another reader reported this reply a few lines earlier."""
        if reply.basic is None and reply.enhanced is None:
            return False
        line = reply.line or 0
        if self._goes_on_with_last(reply, source):
            return True
        key = _text_key(reply.text or "")
        for entry in self._emitted:
            who, seen = entry[0], entry[1]
            if who == source or line - (seen.line or 0) > ECHO_WINDOW:
                continue
            if (
                reply.basic is None
                and not key
                and seen.basic is not None
                and (seen.recipient is None or seen.recipient == reply.recipient)
            ):
                return True  # a delivery status block's bare Status beside its reply
            if (seen.basic, seen.enhanced) != (reply.basic, reply.enhanced):
                continue
            seen_key = entry[2]
            if seen_key is None:  # worked out when first needed, then kept
                seen_key = entry[2] = _text_key(seen.text or "")
            if key.startswith(seen_key) or seen_key.startswith(key):
                return True
            # A piece of a reply quoted again ("... rate of 550-5.7.1 unsolicited mail").
            piece = key[:30]
            if len(key) > 30 and len(piece.rsplit(" ", 1)[0]) >= 20:
                piece = piece.rsplit(" ", 1)[0]  # whole words: "...rate of 550-5.7.1 ..."
            if len(piece) >= 20 and piece in _normal(seen.text or ""):
                return True
        return False

    def paragraph(self, lines: list[tuple[int, bytes]]) -> list[Reply]:
        session = self.session
        items: list[Reply | Candidate] = []
        logical: list[tuple[int, str]] = []
        for n, raw in lines:
            for part in _unescape(decode(raw)):
                logical.append((n, part))
        logical = _unfolded(logical)
        reporter = _reporter(lines)
        if reporter is not None and session.mta is None:
            session.mta = reporter
        if (session.code is not None or session.held is not None) and (
            not logical or not _opens_reply(logical[0][1])
        ):
            # What the lines before left pending ends here; it may be the rest of a reply
            # a family already reported (a log line wrapped over lines).
            pending = session.flush()
            items += [r for r in pending if not self._goes_on_with_last(r, "pending")]
            self.noted(pending, "pending")
        i = 0
        while i < len(logical):
            n, text = logical[i]
            i += 1
            opened = open_line(text)
            if opened is not None and opened[1] == "reply":
                said = text[opened[0] :].rstrip()
                m = REPLY_AT.match(said)
                following = logical[i][1].lstrip() if i < len(logical) else ""
                if len(said) == 3 and ENHANCED_AHEAD.match(following):
                    m = None  # "...Refused: 550" then "5.7.1 ...": read as one, below
                elif NESTED_REPLY.match(said):
                    m = None  # "220-laposte 421 4.2.1 ...": the banner is context
                if m is not None and plausible_opening(said, text[: opened[0]]):
                    code, sep, rest = m.group(1), m.group(2) or "", m.group(3) or ""
                    rest = rest.rstrip("\"'`")
                    if rest[:4] in (code + " ", code + "-"):
                        rest = rest[4:]  # the code said twice: "550 550 5.1.1"
                    session.in_data = False
                    items += session.server_line(code, sep, rest, n)
                    continue
            if opened is not None and opened[1] == "verb":
                items += session.client_line(text[opened[0] :].strip())
                continue
            items += session.flush()
            ahead = logical[i][1] if i < len(logical) else None
            found = line_candidates(text, n, opened, ahead)
            for k, c in enumerate(found):
                # Lines that go on with the same reply: "535-5.7.8 ..." then
                # "535 5.7.8 ...", or Gmail's "5.7.8 https://..." continuations; they
                # belong to the line's last reply, not to a code echoed before it.
                last = k == len(found) - 1
                at = text.find(c.text[:20])
                opener = text[at - 1 : at] if at > 0 else ""
                while last and i < len(logical) and continues(logical[i][1], c.basic, c.enhanced):
                    more = logical[i][1].strip()
                    if opener in ("'", '"', "`") and opener in more:
                        more = more[: more.index(opener)]  # where the quote closes
                    c = c._replace(text=f"{c.text}\n{more}")
                    i += 1
                items.append(c)
        items += _lettre_codes(logical)
        if not items and "@" in "".join(t for _, t in logical):
            # Held back until the input ends: a report of the same recipient with its
            # codes (a delivery status part after the notice's text) replaces them.
            recent = [e[1] for e in self._emitted if e[1].basic or e[1].enhanced]
            if not recent or (recent[-1].line or 0) < lines[0][0] - NOTICE_REACH:
                self._codeless += _codeless_bounces(logical, session.input)
        # A reply still being assembled stays pending: the next lines, whoever reads
        # them, may go on with it.
        kept = self._decide(_join_continued(items), reporter)
        for reply in kept:
            self._remember(reply)
        self.noted(kept, "finder")
        return kept

    # -- what is kept --------------------------------------------------------------------

    def _decide(self, items: list[Reply | Candidate], reporter: str | None) -> list[Reply]:
        kept: list[Reply] = []
        seen = [(line, pair[0], pair[1], pair[2], "") for pair, line in self._recent.items()]
        candidates = [c for c in items if isinstance(c, Candidate)]
        replies = [r for r in items if isinstance(r, Reply)]
        full_basics = {c.basic for c in candidates if not c.code_only and c.basic}
        full_basics |= {r.basic for r in replies if r.basic}
        full_basics |= set(self._recent_basics)
        paired_enhanced = {c.enhanced for c in candidates if c.basic and c.enhanced}
        paired_enhanced |= {r.enhanced for r in replies if r.basic and r.enhanced}
        for c in items:
            if isinstance(c, Reply):
                kept.append(c)  # a transcript's reply: said once each time
                if candidates:  # what a candidate after it may repeat
                    seen.append((c.line or 0, c.basic, c.enhanced, _text_key(c.text or ""), ""))
                continue
            if c.code_only and c.basic in full_basics:
                continue  # "(535)", "code=550" beside the reply's own text
            if c.bare and c.enhanced in paired_enhanced and c.basic is None:
                continue  # a status field beside the reply it summarises
            key = _text_key(c.text)
            if not c.heard and any(
                (b, e) == (c.basic, c.enhanced)
                and c.line - line <= ECHO_WINDOW
                and (key.startswith(k) or k.startswith(key))
                and (not c.shape or c.shape != shape)
                for line, b, e, k, shape in seen[-MAX_SEEN:]
            ):
                continue  # the same reply printed again
            seen.append((c.line, c.basic, c.enhanced, key, c.shape))
            reply = Reply(
                c.basic,
                c.enhanced,
                c.text,
                self.session.input,
                c.line,
                c.recipient,
                c.command,
                reporter,
            )
            if c.heard or not self.is_echo(reply, "finder"):
                kept.append(reply)
        return kept

    def _remember(self, reply: Reply) -> None:
        line = reply.line or 0
        self._recent[(reply.basic, reply.enhanced, _text_key(reply.text or ""))] = line
        if reply.basic:
            self._recent_basics[reply.basic] = line
        if len(self._recent) > 256:
            floor = line - ECHO_WINDOW
            self._recent = {k: v for k, v in self._recent.items() if v >= floor}
            self._recent_basics = {k: v for k, v in self._recent_basics.items() if v >= floor}


# Where a bounce quotes what a server said; the quote may be folded over several lines
# up to the "(in reply to ... command)" that ends it.
_SAID = ("said:", "refused to talk to me:")


_FOLDED_LINES = 12


# Programs whose log lines name them ("msmtp: ", "postfix/smtp[812]: ", Haraka's
# "[outbound]", Stalwart's "smtp::inbound"), for the replies read in their lines.
_PROGRAMS = re.compile(
    rb"\b(msmtp|fetchmail|posttls-finger|maddy|haraka|amavis|amavisd|postal|stalwart"
    rb"|opensmtpd|smtpd|exim|sendmail|postfix)(?:/[\w-]{1,20})?(?:\[[0-9]{1,10}\])?:[ \t]"
    rb"|(\[outbound\]|\[core\] [SC]:)|(smtp::(?:in|out)bound)"
)


def _reporter(lines: list[tuple[int, bytes]]) -> str | None:
    """The program a paragraph's lines are the log of, where they name it."""
    for _, raw in lines[:20]:
        m = _PROGRAMS.search(raw, 0, 300)
        if m is not None:
            if m.group(2):
                return "haraka"
            if m.group(3):
                return "stalwart"
            name = m.group(1).decode()
            return {"amavisd": "amavis", "smtpd": "opensmtpd"}.get(name, name)
    return None


def continues_reply(last: bytes, line: bytes) -> bool:
    """Whether a line goes on with a reply the paragraph's last line left open: "535-5.7.8
    ... Learn more at" then "535 5.7.8 https://..." (a reply a client's exception quotes)."""
    head = line.lstrip(b" \t\"'")
    if len(head) < 4 or head[3:4] not in (b" ", b"-") or not head[:3].isdigit():
        return False
    return head[:3] + b"-" in last


def said_block_open(lines: list[tuple[int, bytes]]) -> bool:
    """Whether the last lines hold a "host X said:" quote not yet ended by its "(in reply
    to ... command)": the lines after it belong to it, whoever else would claim them."""
    for k in range(len(lines) - 1, max(-1, len(lines) - 1 - _FOLDED_LINES), -1):
        raw = lines[k][1]
        if b"in reply to" in raw or not raw.strip():
            return False
        if b"said:" in raw or b"refused to talk to me:" in raw:
            return True
    return False


def _unfolded(logical: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Bounce quotes folded over lines ("said: 550" / "5.7.0 Blocked - see" / "... (in
    reply to end of DATA command)") joined back into one line each."""
    out: list[tuple[int, str]] = []
    k = 0
    while k < len(logical):
        n, text = logical[k]
        k += 1
        if any(m in text for m in _SAID) and "in reply to" not in text:
            end = k
            while end < len(logical) and end - k < _FOLDED_LINES:
                nxt = logical[end][1]
                if not nxt.strip():
                    break
                end += 1
                if "in reply to" in nxt or nxt.rstrip().endswith("command)"):
                    break
            if end > k and "in reply to" in logical[end - 1][1]:
                text = " ".join([text.rstrip(), *(t.strip() for _, t in logical[k:end])])
                k = end
        out.append((n, text))
    return out


def _open_ended(reply: Reply | Candidate) -> bool:
    """Whether a reply's last line says more lines follow ("550-5.7.1 ...")."""
    basic, text = reply.basic, reply.text
    if basic is None or not text:
        return False
    at = text.rfind(basic)
    return at >= 0 and text[at + 3 : at + 4] == "-"


def _join_continued(items: list[Reply | Candidate]) -> list[Reply | Candidate]:
    """A reply folded over lines by a bounce or a log ("... 550-5.7.1 likely ... 550
    5.7.1 for more ..."): the candidates that go on with an open reply join it."""
    out: list[Reply | Candidate] = []
    for item in items:
        prev = out[-1] if out else None
        if (
            isinstance(item, Candidate)
            and prev is not None
            and item.basic is not None
            and (item.basic, item.enhanced) == (prev.basic, prev.enhanced)
            and not (isinstance(prev, Candidate) and prev.code_only)
            and _open_ended(prev)
            and abs(item.line - (prev.line or 0)) <= 8
        ):
            joined = f"{prev.text}\n{item.text}"
            if isinstance(prev, Reply):
                out[-1] = dataclasses.replace(prev, text=joined)
            else:
                out[-1] = prev._replace(text=joined)
            continue
        out.append(item)
    return out


_TUPLE_START = re.compile(r"\A([2-5][0-9][0-9]),[ \t]*[bu]?['\"]")


def _text_key(text: str) -> str:
    """What two printings of one reply share: the codes and first words, whatever the
    quoting, the line breaks and the "(in reply to ...)" after it."""
    text = split_in_reply_to(text)[0] if "(in reply to " in text else text
    text = _TUPLE_START.sub(r"\1 ", text)  # "501, '5.1.5 ..." as "501 5.1.5 ..."
    key = re.sub(r" ?\([0-9.]{1,12}\)", "", _normal(text[:200])).rstrip(".…")[:48]
    return key[:3] + " " + key[4:] if key[3:4] == "-" else key


def _normal(text: str) -> str:
    spaced = re.sub(r"[\s\"'`\\]+", " ", text[:4000]).strip().lower()
    return re.sub(r"\b([2-5][0-9][0-9])-", r"\1 ", spaced)  # "550-5.7.1" as "550 5.7.1"
