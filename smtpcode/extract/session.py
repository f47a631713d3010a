"""What one input has shown so far: the multi-line reply being assembled and the command
it answers. Shared by the families that see both sides of a conversation (raw replies,
transcripts) and used by the others to keep the output in input order.
"""

from __future__ import annotations

import dataclasses

from smtpcode.extract.reply_text import COMMANDS, enhanced_at_start, first_address
from smtpcode.extract.timestamps import Clock
from smtpcode.records import Reply

# Accepted recipients remembered per transaction; a session with more is unusual and
# the list only serves to name the one recipient an end-of-DATA reply concerns.
MAX_ACCEPTED = 100
# What a multi-line reply keeps: RFC 5321 servers send a few dozen short lines; the
# lines beyond these bounds are read and dropped, and the reply says it was cut
# (Reply.truncated). Without a bound, 300 lines of 1 MB would all be held at once.
MAX_REPLY_LINES = 200
MAX_REPLY_TEXT = 64 * 1024
# How many lines back a reply counts as the same one printed again (seen_recently).
DEDUPE_WINDOW = 3


class Session:
    """The state of one input: pending reply lines, last command, recipients."""

    __slots__ = (
        "accepted",
        "clock",
        "code",
        "command",
        "cut",
        "direction",
        "held",
        "held_cut",
        "held_last",
        "held_lines",
        "held_more",
        "held_size",
        "in_data",
        "input",
        "last",
        "last_line",
        "lines",
        "mta",
        "rcpt",
        "remote_host",
        "size",
        "start",
    )

    def __init__(self, input_name: str | None, when: float | None = None) -> None:
        self.input = input_name
        # The year of log lines that give none: the file's (its mtime), or now.
        self.clock = Clock(when)
        self.code: str | None = None  # the code of the multi-line reply being assembled
        self.lines: list[str] = []
        self.size = 0  # characters in lines
        self.cut = False  # lines were dropped or cut short (the bounds above)
        self.start = 0
        self.mta: str | None = None  # the software whose transcript this is, where known
        # The server a client transcript shows it connected to, and the direction its
        # replies have (a transcript is the client's view: "outbound").
        self.remote_host: str | None = None
        self.direction: str | None = None
        self.command: str | None = None
        self.rcpt: str | None = None
        self.accepted: list[str] = []
        self.in_data = False  # between a 354 and the lone "." that ends the message
        self.last: Reply | None = None  # the last reply reported, on line last_line
        self.last_line = 0
        # A reply that later lines may still complete (an exception's properties, a
        # delivery status block's fields); emitted by the next flush.
        self.held: Reply | None = None
        # Reply lines that continue the held reply's text (see continue_held), kept in a
        # list and joined once: adding each to the text would copy it every time.
        self.held_more: list[str] = []
        self.held_last = ""  # the last of them, kept or not
        self.held_lines = 0  # lines of the held text, with those in held_more
        self.held_size = 0  # characters of the same
        self.held_cut = False

    def hold(self, reply: Reply) -> list[Reply]:
        """Keep a reply back until the lines that complete it have been read."""
        out = self.flush()
        self.held = reply
        text = reply.text or ""
        self.held_lines = text.count("\n") + 1
        self.held_size = len(text)
        self.held_last = text[text.rfind("\n") + 1 :]
        return out

    def held_last_line(self) -> str:
        """The last line of the held reply's text, with the lines that continue it."""
        if self.held_more or self.held_cut:
            return self.held_last
        text = self.held.text if self.held is not None else None
        return text[text.rfind("\n") + 1 :] if text else ""

    def continue_held(self, line: str) -> None:
        """One more line of the held reply's text; beyond the bounds it is dropped."""
        self.held_last = line
        if self.held_lines >= MAX_REPLY_LINES or self.held_size >= MAX_REPLY_TEXT:
            self.held_cut = True
            return
        if self.held_size + len(line) > MAX_REPLY_TEXT:
            line = line[: MAX_REPLY_TEXT - self.held_size]
            self.held_cut = True
        self.held_more.append(line)
        self.held_lines += 1
        self.held_size += len(line) + 1

    # -- the client side ------------------------------------------------------------

    def client_line(self, text: str) -> list[Reply]:
        """A line the client sent: remember the command the next reply answers."""
        out = self.flush()
        if self.in_data:
            if text.strip() == ".":
                self.in_data = False
            return out
        words = text.split(None, 1)
        if not words:
            return out
        verb = words[0].split(":", 1)[0].upper()
        if verb in COMMANDS:
            self.command = verb
            if verb == "RCPT":
                self.rcpt = first_address(text)
            elif verb in ("MAIL", "RSET", "EHLO", "HELO", "LHLO"):
                self.accepted = []
                self.rcpt = None
        return out

    # -- the server side ------------------------------------------------------------

    def server_line(self, code: str, sep: str, rest: str, lineno: int) -> list[Reply]:
        """One reply line "NNN-text" or "NNN text"; returns the replies it completes."""
        out: list[Reply] = []
        if self.held is not None or (self.code is not None and code != self.code):
            out = self.flush()
        if self.code is None:
            self.code = code
            self.start = lineno
        size = self.size
        if len(self.lines) < MAX_REPLY_LINES and size < MAX_REPLY_TEXT:
            line = f"{code}{sep}{rest}" if sep else code
            if size + len(line) > MAX_REPLY_TEXT:
                line = line[: MAX_REPLY_TEXT - size]
                self.cut = True
            self.lines.append(line)
            self.size = size + len(line) + 1
        else:
            self.cut = True
        if sep != "-":
            out += self.flush()
        return out

    def flush(self) -> list[Reply]:
        """The pending replies: the one being assembled (complete or not: a server may
        stop mid-reply) and the one held back."""
        out = self._assembled()
        if self.held is not None:
            held, self.held = self.held, None
            if self.held_more or self.held_cut:
                text = "\n".join([held.text or "", *self.held_more])
                held = dataclasses.replace(
                    held, text=text, truncated=held.truncated or self.held_cut
                )
                self.held_more = []
                self.held_cut = False
            self.held_lines = self.held_size = 0
            if held.basic or held.enhanced:
                out.append(held)
        return out

    def _assembled(self) -> list[Reply]:
        code = self.code
        if code is None:
            return []
        lines = self.lines
        first = lines[0]
        reply = Reply(
            basic=code,
            enhanced=enhanced_at_start(first[4:]) if len(first) > 4 else None,
            text="\n".join(lines),
            input=self.input,
            line=self.start,
            recipient=self._recipient(),
            command=self.command,
            reporter=self.mta,
            remote_host=self.remote_host,
            direction=self.direction,
            truncated=self.cut,
        )
        self.code = None
        self.lines = []
        self.size = 0
        self.cut = False
        if code == "354" and self.command in ("DATA", "BDAT"):
            self.in_data = True
        elif (
            code[0] == "2"
            and self.command == "RCPT"
            and self.rcpt
            and len(self.accepted) < MAX_ACCEPTED
        ):
            self.accepted.append(self.rcpt)
        return [reply]

    def _recipient(self) -> str | None:
        if self.command == "RCPT":
            return self.rcpt
        if self.command in ("DATA", "BDAT") and len(self.accepted) == 1:
            return self.accepted[0]
        return None

    # -- duplicates -----------------------------------------------------------------

    def seen_recently(self, reply: Reply, lineno: int, window: int = DEDUPE_WINDOW) -> bool:
        """Whether the same reply was reported a few lines earlier.

        Clients print one failure several ways (an exception's repr, its str and its
        traceback line; PHPMailer's debug line and its error line); that is one reply.
        """
        last = self.last
        if last is None or lineno - self.last_line > window:
            return False
        if reply.basic != last.basic or reply.enhanced != last.enhanced or reply.text != last.text:
            return False
        # One rendering may name the recipient where another does not.
        return (
            reply.recipient is None or last.recipient is None or reply.recipient == last.recipient
        )

    def note(self, replies: list[Reply], lineno: int) -> None:
        if replies:
            self.last = replies[-1]
            self.last_line = lineno
