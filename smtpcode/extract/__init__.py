"""Text -> Reply records: raw replies, transcripts, MTA logs, bounces, client exceptions
and sending-service JSON. One module per input family; `scanner` detects and streams.
"""

from __future__ import annotations

from smtpcode.extract.scanner import Scanner, scan
from smtpcode.formats import FORMATS

__all__ = ["FORMATS", "Scanner", "scan"]
