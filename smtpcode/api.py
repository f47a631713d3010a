"""The public library API: the same answers as the command line."""

from __future__ import annotations

from smtpcode.codes import parse_query
from smtpcode.diagnose import diagnose
from smtpcode.records import Finding, Reply


def explain_query(query: str) -> Finding:
    """Explain a code, a basic/enhanced pair or a whole reply.

    Raises smtpcode.codes.CodeSyntaxError when the query is not an SMTP code.
    """
    q = parse_query(query)
    reply = Reply(
        basic=q.basic.code if q.basic else None,
        enhanced=str(q.enhanced) if q.enhanced else None,
        text=q.text,
    )
    return diagnose(reply)
