"""Replies wherever people paste them: every reply-shaped span is a candidate, and what
surrounds it decides whether it is a reply.

Two readings of a line (smtpcode.extract.finder applies them to paragraphs):

- A reply that opens a line once its decoration is set aside (quote marks, a timestamp,
  bracketed tags, "smtp:", "S:", "<", "Got:", "└──"): open_line() and
  plausible_opening().
- A reply inside a sentence, an exception's text or a JSON fragment: each code that
  stands alone is a candidate, paired with the enhanced code after it ("550 5.1.1",
  "550-5.1.1", "(550, b'5.1.1", "550 cuda_nsu 5.1.1", "550 Denied (#5.7.1)"), and kept
  only when its context says reply: the words before it ("said:", "error:", a quote or a
  separator), SMTP wording after it, an enhanced code that agrees with it
  (line_candidates(), reply_in_line()). A relay's status or a remote banner in front
  of the reply it quotes is context, not a second reply.

Every pattern here is linear on adversarial input (bounded repeats, no nested ones), and
the work per line is bounded (MAX_TRIES, MAX_PER_LINE).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from smtpcode.extract.postfix import split_in_reply_to
from smtpcode.extract.reply_text import (
    COMMANDS,
    Codes,
    command_in,
    first_address,
)

# Bounds that keep a hostile input linear: the text a candidate is judged by and keeps,
# candidates per line, codes looked at per line.
MAX_REPLY_TEXT = 4000
MAX_PER_LINE = 50
MAX_TRIES = 400  # codes looked at per line
_JUDGED = 400  # characters after a code that its context is read from

# -- what opens a line ----------------------------------------------------------------

# Decoration before what a line says: one token at a time. Bracketed tags, "word:" tags,
# timestamps, arrows and quote marks, level names in capitals.
_DECORATION = re.compile(
    r"""[ \t]*+(?:
        \[[^\]\n]{0,100}\]
      | \([^)\n]{0,60}\)
      | [A-Za-z][\w./-]{0,40}(?:\[\d{1,10}\])?:(?=[ \t]|\Z)
      | \d[\d./:,T+Z-]{0,30}(?![\w])
      | \#(?=[ \t])
      | (?:<<<|>>>|<<|>>|<--|-->|->|<-|[<>|*=~»›-]|[\u2500-\u257f]{1,4}|\u2022)
        (?=[ \t\d\w\u2500-\u257f]|\Z)
      | [A-Z]{3,10}(?=[ \t])
    )""",
    re.VERBOSE,
)
_MAX_DECORATION = 12
REPLY_AT = re.compile(r"([2-5][0-9][0-9])(?:([ -])(.*)|[ \t]*)\Z", re.DOTALL)
_ENHANCED_AT = re.compile(r"#?([245]\.[0-9]{1,3}\.[0-9]{1,3})(?![0-9]|\.[0-9]|[\w])")
# A command as a client sends it (not "RCPT TO fails with ..." in a sentence).
_COMMAND_LINE = re.compile(
    r"(?:MAIL FROM:|RCPT TO:|(?:EHLO|HELO|LHLO) [^ ]+[ \t]*\Z|AUTH\b|BDAT\b"
    r"|(?:DATA|QUIT|RSET|NOOP|STARTTLS|HELP|TURN|ETRN|VRFY|EXPN)\b)",
    re.IGNORECASE,
)
# The status on the line after a code, even glued to its text ("5.7.1Unauthorized").
ENHANCED_AHEAD = re.compile(r"#?([245]\.[0-9]{1,3}\.[0-9]{1,3})(?![0-9]|\.[0-9])")


def is_command(text: str) -> bool:
    """Whether a line is a command as a client types it ("mail from:<a@b>", "QUIT")."""
    return _COMMAND_LINE.match(text) is not None


_VERB_AT = re.compile(r"([A-Za-z]{4,8})(?=[ \t:]|\Z)")

# -- codes inside text ----------------------------------------------------------------

# A basic code that stands alone: not part of a number, a word, a version, an address,
# a time or a date, and followed by what follows a reply code.
_BASIC = re.compile(
    r"(?<![\w.\\/@%$+&])(?<!\w,)(?<!\S:)(?<![A-Za-z0-9]-)"
    r"([2-5][0-9][0-9])"
    r"(?=-(?:[2-5]\.[0-9]|[2-5][0-9][0-9][ -]|[^0-9])|[ \t:,;'\")\]}>`]|\.(?![0-9])|\Z)"
)
_ENHANCED = re.compile(r"(?<![\w.\\/@])#?([245]\.[0-9]{1,3}\.[0-9]{1,3})(?![0-9]|\.[0-9]|[\w])")
# Between a basic code and its enhanced code: separators, a quote or a bytes literal's
# opening, the code said twice, one vendor token (Barracuda's "550 cuda_nsu 5.1.1").
_PAIR = re.compile(
    r"[ \t:,)\-]{0,4}(?:[bu]?['\"])?[ \t]{0,2}"
    r"(?:([2-5][0-9][0-9])[ -][ \t]{0,2})?"
    r"(?:[a-z_]{2,20}[ \t]{1,2})?"
    r"#?([245]\.[0-9]{1,3}\.[0-9]{1,3})(?![0-9]|\.[0-9]|[\w])"
)
# An enhanced code a reply's text marks after it: qmail's "(#5.7.1)", "[#4.1.9]".
_MARKED = re.compile(r"[(\[]#([245]\.[0-9]{1,3}\.[0-9]{1,3})[)\]]")

# Words before a code that make it a reply; punctuation alone (a quote, a colon) only
# does with SMTP wording after the code.
_INTRODUCED = re.compile(
    r"(?:said|reply|replied|response|responded(?: with)?|answer(?:ed)?|error|err|errors"
    r"|failed|failure|fail|reason|message|msg|returned|returns|return|got|get|getting"
    r"|receive|received|receiving|smtp|diagnostic-code|stat|smtpmsg|reject"
    r"|rejected|refused|denied|exception|deferred|bounced|bounce|server|says|saying"
    r"|smtpreply|detail|details|info|result|Fatal\w{0,10}|Error\w{0,20}|talk to me)"
    r"""[ \t]*[:;=>-]?[ \t]*["'`(\[]?[ \t]*\Z"""
    r"""|(?:=>|->|-->|<--|<<<|>>>|<<|<|└──|S:)[ \t]*\Z""",
    re.IGNORECASE,
)
_PUNCTUATED = re.compile(r"""[:;"'`(\[>*|,][ \t]*\Z""")
# A log's key=value field other than a reply's: "S=517" (a size), "pid=554".
_OTHER_FIELD = re.compile(r"(?<![\w-])([A-Za-z_][\w-]{0,20})=[\"']?\Z")
_REPLY_FIELDS = frozenset(
    [
        "stat",
        "code",
        "smtpstatus",
        "reply",
        "response",
        "error",
        "err",
        "msg",
        "message",
        "reason",
        "smtpmsg",
        "smtpcode",
        "smtp_code",
        "smtp-code",
        "diag",
        "diagnostic",
    ]
)
# Transcript markers before a reply: what the server sent, each time it sent it.
_HEARD = re.compile(r"(?:<<<|<<|<-|<~|\bS:|\bServer:|\bSERVER:|-> CLIENT:)[ \t]*\Z")
# Words before a code that make it something else: a port, a line number, a version,
# an HTTP status, a code that was expected rather than received.
_NOT_A_REPLY = re.compile(
    r"(?:\b(?:port|ports|line|lines|version|versions|ver|rev|release|v|http|https|pid|uid"
    r"|gid|id|expected|expecting|expect|expects|status|statuscode|http_code|page|issue|pr"
    r"|number|no|nr|size|length|timeout|after|top|over|under|than|about|around|only|of"
    r"|and|or|to be|was|were|sent|send|sending|has|have|had|by|from|in|at|on|per|each"
    r"|every|all|code)\b"
    r"|HTTP/[0-9.]{1,3}|#)[ \t]*[:=]?[ \t]*[\"'`(]?[ \t]*\Z",
    re.IGNORECASE,
)
# After "code" a number is a reply when nothing else says what it is: "got code 550",
# "SMTP code: 554"; but "expected response code 250" is the one the client wanted.
_CODE_WORD = re.compile(
    r"(?:(?:got|received|returned|smtp|reply|response|error|with)[ \t]*code"
    r"|responsecode|smtpstatus|smtpcode|code=)[ \t]*[:=]?[ \t]*[\"'(]?[ \t]*\Z",
    re.IGNORECASE,
)
_EXPECTED = re.compile(r"expect\w{0,3}\W{0,4}(?:\w{1,10}\W{1,4}){0,3}\Z", re.IGNORECASE)
# Nouns that make the number before them a count.
COUNTED = frozenset(
    [
        "emails",
        "email",
        "messages",
        "mails",
        "people",
        "users",
        "recipients",
        "errors",
        "series",
        "ms",
        "msec",
        "s",
        "sec",
        "secs",
        "seconds",
        "minutes",
        "hours",
        "days",
        "weeks",
        "months",
        "years",
        "mb",
        "kb",
        "gb",
        "bytes",
        "byte",
        "lines",
        "times",
        "px",
        "chars",
        "characters",
        "items",
        "records",
        "requests",
        "points",
        "percent",
        "per",
        "dollars",
        "euros",
        "words",
        "tries",
        "attempts",
        "retries",
        "connections",
        "domains",
        "accounts",
        "tests",
        "passed",
        "failed",
        "and",
        "or",
        "to",
        "of",
        "x",
        "steps",
        "files",
        "packages",
        "bit",
        "bits",
    ]
)
# Nouns after a code that talk about it rather than quote it: "the 550 error means".
_MENTIONS = frozenset(
    ["error", "errors", "code", "codes", "bounce", "bounces", "responses", "replies", "series"]
)
# What an HTTP status says after its number.
_HTTP_PHRASE = re.compile(
    r"[ \t]*(?:bad request|unauthorized|forbidden|not found|method not allowed|not acceptable"
    r"|request timeout|conflict|gone|payload too large|unprocessable|too many requests"
    r"|internal server error|server error|bad gateway|gateway timeout|not implemented\b(?!:)"
    r"|service unavailable\b(?![;:])|created|no content|moved permanently|found\b|see other"
    r"|not modified|temporary redirect|permanent redirect|accepted\b(?! for))",
    re.IGNORECASE,
)
# Words that a reply's text uses and prose about counts seldom does.
_SMTP_WORDS = re.compile(
    r"\b(?:ok|okay|ready|esmtp|smtp|service|user|users|mailbox|mailboxes|recipient|sender"
    r"|address|rejected|reject|denied|refused|unknown|relay|relaying|authentication|auth"
    r"|authenticated|unauthenticated|login|password|credentials|spam|blocked|blacklisted"
    r"|blocklist|listed|policy|try|later|temporarily|temporary|greylist\w*|greylisting"
    r"|quota|full|exceeded|syntax|command|unrecognized|failed|failure|access|unavailable"
    r"|permission|permissions|permitted|accepted|accepting|queued|bye|closing|go ahead"
    r"|start|tls|starttls|hello|helo|ehlo|requested|action|mail|domain|host|local|invalid"
    r"|disabled|limit|limits|rate|too many|connection|dns|reverse|spf|dkim|dmarc"
    r"|verification|callout|protocol|granted|flushed|error|not|no such|exist|exists"
    r"|allowed|message|denied|internal|unable|cannot|can't|must|need|required|rcpt|data"
    r"|transaction|timeout|sending|unsolicited|prohibited|forbidden|welcome|server)\b",
    re.IGNORECASE,
)
# Words of a delivery status's text that prose about software versions does not use.
_MAIL_WORDS = re.compile(
    r"\b(?:mailbox|mailboxes|recipient|recipients|sender|relay|relaying|rejected|denied"
    r"|refused|unknown|address|spam|blocked|blacklisted|blocklist|listed|policy"
    r"|authentication|authenticated|unauthenticated|credentials|password|quota|full"
    r"|greylist\w*|greylisting|unavailable|temporar\w*|lookup|deliver\w*|undeliverable"
    r"|smtp|e?mail|domain|host|dns|spf|dkim|dmarc|tls|access|service|try again|rate"
    r"|limit|exceeded|accepted|queued|ok|rcpt|user|message|sending|connection)\b",
    re.IGNORECASE,
)
# Enhanced codes the registry defines (RFC 3463 and later): the highest detail of each
# subject. A bare enhanced code outside them is a version number more often than not.
_REGISTRY_DETAIL = {0: 0, 1: 10, 2: 4, 3: 6, 4: 7, 5: 6, 6: 10, 7: 30}
# Words before a bare enhanced code that make it a status.
_STATUS_BEFORE = re.compile(
    r"(?:dsn=|status=|status:|status\"?:[ \t]*\"|code\"?:[ \t]*\"|#|\(#|\[#|smtp;|said:"
    r"|error:|reply:|response:|code:|err:)[ \t]*\Z",
    re.IGNORECASE,
)
_VERSION_BEFORE = re.compile(
    r"(?:\b(?:version|versions|ver|v|release|from|to|and|php|python|node|ruby|java"
    r"|upgrade|upgraded|bump|bumped|update|updated|install|installed|using|on|of|in)"
    r"|[@=v])[ \t]*[`'\"]?[ \t]*\Z",
    re.IGNORECASE,
)


class Candidate(NamedTuple):
    basic: str | None
    enhanced: str | None
    text: str
    line: int
    # Only the code, no text ("(535)", "code=550"): an echo when the text has the reply.
    code_only: bool
    # Whether an enhanced code stands alone here (a status field, qmail's "(#5.1.2)").
    bare: bool
    # Whether the code is followed by "-": more lines of the same reply follow.
    dash: bool
    # Whether a transcript marker stands before it ("SMTP<< 220"): said each time.
    heard: bool
    # The words before it, names and numbers left out: two lines of one shape ("host
    # mx1[...] refused to talk to me: 554 ...", "host mx2[...] ...") are two events.
    shape: str
    command: str | None
    recipient: str | None


def _registry(enhanced: str) -> bool:
    _, subject, detail = enhanced.split(".")
    top = _REGISTRY_DETAIL.get(int(subject))
    return top is not None and int(detail) <= top


def open_line(text: str) -> tuple[int, str] | None:
    """Where what the line says starts once its decoration is set aside, and whether it
    is a reply ("reply"), an enhanced status ("status") or a command ("verb")."""
    pos = 0
    end = len(text)
    for _ in range(_MAX_DECORATION):
        while pos < end and text[pos] in " \t":
            pos += 1
        if pos >= end:
            return None
        c = text[pos]
        if c in "2345":
            if REPLY_AT.match(text, pos):
                return pos, "reply"
            if _ENHANCED_AT.match(text, pos):
                return pos, "status"
        elif c.isalpha() and c.isupper():
            v = _VERB_AT.match(text, pos)
            if v is not None and v.group(1) in COMMANDS and _COMMAND_LINE.match(text, pos):
                return pos, "verb"
        m = _DECORATION.match(text, pos)
        if m is None or m.end() == pos:
            return None
        pos = m.end()
    return None


# Tags before a number at a line's start that say it is something else.
_OTHER_TAGS = frozenset(
    [
        "port",
        "line",
        "lines",
        "status",
        "statuscode",
        "code",
        "id",
        "pid",
        "uid",
        "size",
        "count",
        "total",
        "timeout",
        "version",
        "errorcode",
        "http",
        "httpcode",
    ]
)
# What may follow a reply's code: "-", a blank then text, or nothing.
_TEXT_AFTER = re.compile(r"[ \t]*(?:-|\Z|[^\s\d,;)}\]])")
# The basic codes servers send (RFC 5321 and its extensions, and the few others in
# common use): a code outside them counts only with an enhanced code beside it.
SMTP_BASIC = frozenset(
    [
        "211",
        "214",
        "220",
        "221",
        "235",
        "250",
        "251",
        "252",
        "253",
        "334",
        "354",
        "421",
        "422",
        "431",
        "432",
        "450",
        "451",
        "452",
        "453",
        "454",
        "455",
        "458",
        "459",
        "471",
        "473",
        "500",
        "501",
        "502",
        "503",
        "504",
        "505",
        "510",
        "511",
        "512",
        "513",
        "521",
        "523",
        "530",
        "531",
        "534",
        "535",
        "538",
        "541",
        "550",
        "551",
        "552",
        "553",
        "554",
        "555",
        "556",
        "557",
        "571",
        "572",
    ]
)


def plausible_opening(said: str, decoration: str) -> bool:
    """A code that opens a line after decoration is a reply unless what follows makes it
    a count ("250 emails were sent"), an HTTP status or a bare number in a field."""
    rest = said[3:]
    tag = decoration.strip().rstrip(":= ").rsplit(None, 1)
    if tag and tag[-1].lower().strip("\"'`{[(") in _OTHER_TAGS:
        return False
    if _ENHANCED_AT.match(rest.lstrip(" -")):
        return True
    if said[:3] not in SMTP_BASIC:
        return False  # a number in a column ("308 T: remote_smtp"): a pid, a count
    if not rest.strip():
        return bool(decoration.strip())  # "< 334" in a transcript; "422" alone is a number
    if rest[:1] == "-" or said[:3] == "334":
        return True  # more lines follow; an AUTH challenge is base64
    if not _TEXT_AFTER.match(rest) or _HTTP_PHRASE.match(rest):
        return False
    word = rest.split(None, 1)[0].strip(".,;:!?\"'").lower() if rest.split() else ""
    if word in COUNTED:
        return False
    # Plain prose that happens to start with a number needs SMTP wording.
    return bool(decoration.strip()) or bool(_SMTP_WORDS.search(rest[:120]))


_WORDS_AFTER = re.compile(
    r"[ \t]*(?:-[ \t]*|\)?:[ \t]+\(?|\([0-9.]{1,12}\)[ \t]*)?['\"`]?[A-Za-z<\[]"
)
_QUOTED_AFTER = re.compile(r",[ \t]+[bu]?['\"][A-Za-z<\[]")


def _has_text(before: str, after: str) -> bool:
    """Whether words follow the code ("550 Denied", "(535): Denied", "(550, 'Denied'",
    "error 451, 'Temporary failure'") rather than only punctuation or another field
    ("500,"msg"", "587, timeout=10", "406, "Message"=>")."""
    if re.match(r"[ \t]+[a-z_][\w-]{0,30}=", after):
        return False  # the next field of a log line: "smtpstatus=554 smtpmsg='554 ...'"
    if _WORDS_AFTER.match(after):
        return True
    if _QUOTED_AFTER.match(after):
        return not re.search(r"(?:=>|\"\s*:)\s*\Z", before)
    # "421, Unexpected failure" opening a line
    return not before.strip() and re.match(r",[ \t]+[A-Z][a-z]", after) is not None


def _basic_in_context(before: str, after: str, code_only: bool) -> bool:
    if code_only:
        if _CODE_WORD.search(before):
            return True
        return re.search(r"(?:error|smtp|code|reply|response)[ \t]*\(\Z", before, re.I) is not None
    if _HTTP_PHRASE.match(after.lstrip(" \t:-")):
        return False
    if _CODE_WORD.search(before):
        return True  # "rejected command 'DATA' with code 550 (0.0.0) 'Service ...'"
    if before.rstrip()[-1:] in ('"', "'", "`") and _SMTP_WORDS.search(after[:160]):
        return True  # a reply quoted in a sentence: 'hundreds of "451 Temporary ..."'
    if _NOT_A_REPLY.search(before):
        return False
    field = _OTHER_FIELD.search(before)
    if field is not None and field.group(1).lower() not in _REPLY_FIELDS:
        return False
    first = after.lstrip(" \t-:,'\"").split(None, 1)
    word = first[0].strip(".,;:!?\"'()").lower() if first else ""
    if word in COUNTED:
        return False
    if first and first[0] in _MENTIONS and not _INTRODUCED.search(before):
        return False  # "the 550 error means ...": a code talked about
    if _INTRODUCED.search(before):
        return bool(word) or bool(_SMTP_WORDS.search(after[:160]))
    if _PUNCTUATED.search(before) or not before.strip():
        return bool(_SMTP_WORDS.search(after[:160]))
    # In the middle of a sentence: the words right after the code must be a reply's.
    head = after.lstrip(" \t-")
    return bool(_SMTP_WORDS.match(head)) and bool(_SMTP_WORDS.search(after[:60]))


def _basic_at(
    text: str, start: int, code: str, n: int, ahead: str | None
) -> tuple[Candidate | None, int]:
    """The candidate whose code stands at `start`, if its context makes it a reply, and
    where its codes end."""
    before = text[max(0, start - 60) : start].rstrip("*_")  # Markdown emphasis
    # What a reply's codes and words can be judged by: a bounded stretch, so that a
    # line full of numbers costs time proportional to its length.
    after = text[start + 3 : start + 3 + _JUDGED]
    if _EXPECTED.search(before):
        return None, start + 3
    pair = _PAIR.match(after)
    enhanced: str | None = None
    used = start + 3
    if pair is not None and pair.group(1) in (None, code):
        enhanced = pair.group(2)
        used = start + 3 + pair.end()
    elif after.strip(" \t\"'`") == "" and ahead is not None:
        # "with message "550 \n5.7.1 Command rejected": the status on the next line
        m = ENHANCED_AHEAD.match(ahead.lstrip())
        if m is not None and m.group(1)[0] == code[0]:
            enhanced = m.group(1)
    if enhanced is None:
        marked = _MARKED.search(after)
        if marked is not None and marked.group(1)[0] == code[0]:
            nxt = _BASIC.search(after)
            if nxt is None or nxt.start() > marked.start():
                enhanced = marked.group(1)
    said = _reply_text(text, start)
    code_only = enhanced is None and not _has_text(before, after)
    agrees = enhanced is not None and enhanced[0] == code[0]
    if not agrees and not _basic_in_context(before, after, code_only):
        return None, start + 3
    if (
        agrees
        and not _INTRODUCED.search(before)
        and re.search(r"(?:version|v|http/[0-9.]+)[ \t]*\Z", before, re.I)
    ):
        return None, start + 3  # "version 550 5.1.1" is no reply
    if not agrees and code not in SMTP_BASIC:
        return None, start + 3
    command, recipient = _enrich(text, said)
    dash = after[:1] == "-"
    heard = _HEARD.search(before) is not None
    return (
        Candidate(
            code,
            enhanced,
            said,
            n,
            code_only,
            False,
            dash,
            heard,
            _shape(text[:start]),
            command,
            recipient,
        ),
        used,
    )


def _bare_at(
    text: str, at: int, enhanced: str, n: int, opened: tuple[int, str] | None
) -> Candidate | None:
    before = text[max(0, at - 40) : at].rstrip("*_")  # Markdown emphasis
    marked = text[at : at + 1] == "#" or _STATUS_BEFORE.search(before) is not None
    if _VERSION_BEFORE.search(before) and not marked:
        return None
    after = text[at : at + _JUDGED].lstrip("#")[len(enhanced) :]
    if after[:1] not in ("", " ", "\t", ":", ";", ",", ")", "]", "-", "'", '"', "`", "|", "*"):
        return None  # "4.3.3→4.4.0": a version going to the next
    opens = (opened is not None and opened[1] == "status" and opened[0] == at) or not (
        before.strip()
    )
    if not marked:
        if not (opens or _INTRODUCED.search(before) or _PUNCTUATED.search(before)):
            return None
        # A status standing alone must say something only mail says: "4.6.2 (no
        # changes required)" in a changelog is a version.
        if not _MAIL_WORDS.search(after[:160]):
            return None
        # A code outside the registry (Microsoft's 5.7.512) needs its words right after.
        if not _registry(enhanced) and not re.match(r"[ \t`'\"|:-]{1,4}[A-Za-z]", after):
            return None
    said = text[at : at + MAX_REPLY_TEXT].strip().rstrip("\"'`,")
    if not opens and marked and not _STATUS_BEFORE.search(before):
        said = text[:MAX_REPLY_TEXT].strip()
    command, recipient = _enrich(text, said)
    shape = _shape(text[:at])
    return Candidate(None, enhanced, said, n, False, True, False, False, shape, command, recipient)


def line_candidates(
    text: str, n: int, opened: tuple[int, str] | None = None, ahead: str | None = None
) -> list[Candidate]:
    """The replies one line of text holds, by their context, in order."""
    found: list[tuple[int, Candidate]] = []
    taken_until = -1
    tries = 0
    for m in _BASIC.finditer(text):
        tries += 1
        if len(found) >= MAX_PER_LINE or tries > MAX_TRIES:
            break
        start = m.start(1)
        if start < taken_until:
            continue
        candidate, used = _basic_at(text, start, m.group(1), n, ahead)
        if candidate is not None:
            taken_until = used
            found.append((start, candidate))
    tries = 0
    for m in _ENHANCED.finditer(text):
        tries += 1
        if len(found) >= MAX_PER_LINE or tries > MAX_TRIES:
            break
        start = m.start(1)
        if start < taken_until and any(s <= start < s + 40 for s, _ in found):
            continue
        if any(c.basic is not None and c.enhanced == m.group(1) for _, c in found):
            continue  # the enhanced code of a reply read on this line, said again
        bare = _bare_at(text, m.start(), m.group(1), n, opened)
        if bare is not None:
            found.append((m.start(), bare))
    found.sort(key=lambda item: item[0])
    merged: list[Candidate] = []
    last_at = -1
    for at, c in found:
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and prev.basic
            and prev.enhanced
            and c.basic
            and c.enhanced
            and text[last_at:at].rstrip().endswith(("->", "=>"))
        ):
            # "550 5.7.514 ... -> 554 5.7.1 ...": the relay's verdict, then the remote
            # server's reply it passed on
            merged[-1] = c
            last_at = at
            continue
        last_at = at
        if (
            prev is not None
            and prev.basic is not None
            and prev.enhanced is None
            and c.bare
            and c.enhanced is not None
            and c.enhanced[0] == prev.basic[0]
        ):
            # "SMTP Error (451): Failed to add recipient (4.3.0 <a@b>: ...)": one reply
            merged[-1] = prev._replace(enhanced=c.enhanced, code_only=False)
            continue
        if prev is not None and prev.dash and (prev.basic, prev.enhanced) == (c.basic, c.enhanced):
            # a multi-line reply a log flattened: "555-5.5.2 ... 555-5.5.2 ... 555 5.5.2 ..."
            merged[-1] = prev._replace(dash=c.dash)
            continue
        merged.append(c)
    return _drop_wrappers(merged)


def reply_in_line(text: str) -> Codes | None:
    """The first reply a line holds by its context (for families that recognise a
    wording, "Error: ...", but not where its reply starts)."""
    for c in line_candidates(text, 0):
        if not c.code_only:
            return Codes(c.basic, c.enhanced, c.text)
    return None


def _shape(before: str) -> str:
    """The words before a reply, without names, numbers and addresses; empty when too
    short to tell a log line's shape."""
    words = [
        w if not re.search(r"[\d@.\[]", w) else "#"
        for w in before.split()
        if re.search(r"\w", w)  # a table's "|", a quote's ">"
    ]
    shape = " ".join(words)
    return shape if len(words) >= 3 else ""


def _reply_text(text: str, start: int) -> str:
    """A reply's text: from its code to the end of the line, or to the quote that
    opened before it (at most MAX_REPLY_TEXT characters)."""
    said = text[start : start + MAX_REPLY_TEXT]
    opener = text[start - 1 : start] if start else ""
    if opener in ("'", '"', "`"):
        close = said.find(opener)
        if close > 0:
            said = said[:close]
    return said.strip().rstrip("\"'`,;")


def continues(line: str, code: str | None, enhanced: str | None) -> bool:
    head = line.lstrip(" \t\"'")
    if code is not None and head[:3] == code and head[3:4] in (" ", "-"):
        rest = head[4:].lstrip()
        return enhanced is None or rest.startswith(enhanced) or not rest[:1].isdigit()
    if enhanced is not None and head.startswith(enhanced):
        return head[len(enhanced) : len(enhanced) + 1] in (" ", "")
    return False


def _drop_wrappers(found: list[Candidate]) -> list[Candidate]:
    """A remote banner or a relay's own status in front of the reply it quotes
    ("220-laposte 421 4.2.1 ...", "5.1.0 - ... 550-'5.7.1 ...", "550-Callout ...:
    550-550 5.1.10 ...") is context: the complete reply after it is the finding."""
    kept: list[Candidate] = []
    for k, c in enumerate(found):
        if c.bare and any(later.basic is not None for later in found[k + 1 :]):
            continue  # "dsn=4.0.0, ... said: 550 ...": the relay's status, not a reply
        if (c.basic is None or c.enhanced is None) and not c.code_only:
            later = found[k + 1 : k + 2]
            if (
                later
                and later[0].basic
                and later[0].enhanced
                and later[0].line == c.line
                and later[0].text in c.text
                and len(c.text) - len(later[0].text) < 120
            ):
                continue
        kept.append(c)
    return kept


# Fields of a log line that name the recipient (msmtp, OpenSMTPD, amavis, Postal, ...).
_RECIPIENT_FIELD = re.compile(
    r"(?:\bto=<?|\brcpt=<?|\brecipients?=<?|\bRCPT TO:[ \t]?<?|\brecipient <)"
    r"([^\s<>,;\"']{1,254}@[\w.-]{1,253})",
    re.IGNORECASE,
)


def _enrich(line: str, said: str) -> tuple[str | None, str | None]:
    """The command and the recipient a line names around a reply, where it does."""
    _, command = split_in_reply_to(said)
    if command is None:
        at = line.find(" command")
        if at > 0:
            command = command_in(line[max(0, at - 12) : at])
    if command is None and "RCPT TO" in line.upper()[:2000]:
        command = "RCPT"
    recipient = None
    field = _RECIPIENT_FIELD.search(line[:2000])
    if field is not None:
        recipient = field.group(1)
    elif command == "RCPT":
        head = line[: max(0, line.find(said[:20]))] if said[:20] in line else ""
        recipient = first_address(head) or first_address(said)
    return command, recipient
