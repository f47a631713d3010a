"""Renderers: Finding / Entry -> rich (a terminal), plain (a pipe) or json (scripts).

Renderers only lay out facts computed by the core; they never decide one.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Literal, TextIO

if TYPE_CHECKING:
    from smtpcode.render.base import Renderer

Mode = Literal["rich", "plain", "json"]
ColorChoice = Literal["auto", "always", "never"]


def choose_mode(as_json: bool, color: ColorChoice, stream: TextIO | None = None) -> Mode:
    """JSON when asked; Rich on a terminal (or with --color always); plain text otherwise."""
    if as_json:
        return "json"
    stream = stream or sys.stdout
    if color == "always" or (color == "auto" and os.environ.get("FORCE_COLOR")):
        return "rich"
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return "rich" if tty else "plain"


def make_renderer(mode: Mode, color: ColorChoice, stream: TextIO | None = None) -> Renderer:
    stream = stream or sys.stdout
    if mode == "json":
        from smtpcode.render.json_out import JsonRenderer

        return JsonRenderer(stream)
    if mode == "plain":
        from smtpcode.render.plain import PlainRenderer

        return PlainRenderer(stream)
    from smtpcode.render.rich_out import RichRenderer

    return RichRenderer(stream, color)
