"""smtpcode: what an SMTP reply means, why it most likely happened and what to do about it.

>>> from smtpcode import explain
>>> explain("550 5.1.1").reason
'user-unknown'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from smtpcode.__about__ import __version__

if TYPE_CHECKING:
    from smtpcode.api import explain_query as explain
    from smtpcode.api import parse

__all__ = ["__version__", "explain", "parse"]


def __getattr__(name: str) -> Any:
    # Lazy: `import smtpcode` stays cheap for the CLI's start-up.
    if name == "explain":
        from smtpcode.api import explain_query

        return explain_query
    if name == "parse":
        from smtpcode.api import parse

        return parse
    raise AttributeError(name)
