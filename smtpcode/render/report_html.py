"""`parse --report html`: a whole report as one self-contained HTML file: inline CSS, an
inline SVG chart of the failures by reason (and over time when the findings have
times), no script, nothing fetched from the network, readable on a phone. Every piece of
untrusted text goes through html.escape."""

from __future__ import annotations

from html import escape as _escape
from typing import TYPE_CHECKING

from smtpcode.i18n import _, language
from smtpcode.render.layout import capital, shown_key, summary_heading, table_name
from smtpcode.render.report_md import ReportCollector
from smtpcode.text import printable

if TYPE_CHECKING:
    from smtpcode.tally import Tally


def escape(value: str) -> str:
    """Untrusted text as HTML text: control characters shown as escapes, then escaped."""
    return _escape(printable(value))


CLASS_COLOUR = {
    "success": "#2e7d32",
    "intermediate": "#00838f",
    "transient": "#b26a00",
    "permanent": "#c62828",
}

STYLE = """
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
 padding:12px;color:#1b1b1b;background:#fff;max-width:1100px;margin:auto}
h1{font-size:1.4em}h2{font-size:1.2em;margin-top:1.6em}h3{font-size:1.05em}
table{border-collapse:collapse;width:100%;margin:.4em 0 1em}
th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #ddd;vertical-align:top;
 overflow-wrap:anywhere;word-break:break-word}
td.n,th.n{text-align:right;white-space:nowrap}
code{font-family:ui-monospace,Menlo,Consolas,monospace;white-space:nowrap}
.partial{background:#fff3cd;border:1px solid #e0c060;padding:6px 10px}
.chart{width:100%;height:auto;display:block;margin:.4em 0 1em}
.advice{margin:.2em 0 1em}
.permanent{color:#c62828}.transient{color:#b26a00}.success{color:#2e7d32}
@media (max-width:600px){body{font-size:14px;padding:8px}
 .wide{display:none}}
@media (prefers-color-scheme:dark){body{background:#111;color:#e8e8e8}
 th,td{border-color:#333}.partial{background:#3a3000}}
"""


def _bars(rows: list[tuple[str, int]], colour: str) -> str:
    """Horizontal bars, one per row, labels above each bar: fits any width."""
    if not rows:
        return ""
    top = max(n for _, n in rows) or 1
    height = 34 * len(rows)
    parts = [
        f'<svg class="chart" id="chart-reasons" viewBox="0 0 320 {height}" '
        f'role="img" aria-label="{escape(_("failures by reason"))}" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, n) in enumerate(rows):
        y = 34 * i
        width = max(2.0, 300 * n / top)
        parts.append(
            f'<text x="0" y="{y + 11}" font-size="11" fill="currentColor">'
            f"{escape(label)} ({n})</text>"
            f'<rect x="0" y="{y + 15}" width="{width:.1f}" height="14" fill="{colour}"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _columns(rows: list[tuple[str, int]], colour: str) -> str:
    """Vertical bars over time, oldest first, with the first and last label."""
    if not rows:
        return ""
    top = max(n for _, n in rows) or 1
    step = 320 / len(rows)
    parts = [
        '<svg class="chart" id="chart-time" viewBox="0 0 320 140" role="img" '
        f'aria-label="{escape(_("failures over time"))}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, n) in enumerate(rows):
        h = max(1.0, 110 * n / top)
        parts.append(
            f'<rect x="{i * step + 1:.1f}" y="{115 - h:.1f}" width="{max(step - 2, 1):.1f}" '
            f'height="{h:.1f}" fill="{colour}"><title>{escape(label)}: {n}</title></rect>'
        )
    first, last = rows[0][0].replace("T", " "), rows[-1][0].replace("T", " ")
    parts.append(
        f'<text x="0" y="132" font-size="10" fill="currentColor">{escape(first)}</text>'
        f'<text x="320" y="132" font-size="10" text-anchor="end" fill="currentColor">'
        f"{escape(last)}</text></svg>"
    )
    return "".join(parts)


class HtmlReport(ReportCollector):
    def parse_summary(self, summary: Tally) -> None:
        from smtpcode.rows import headline

        title = escape(_("SMTP replies report"))
        out: list[str] = [
            f'<!DOCTYPE html>\n<html lang="{language()}"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width,initial-scale=1">',
            # Nothing may be fetched: no network, no script, inline styles only.
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'; img-src data:\">",
            f"<title>{title}</title><style>{STYLE}</style></head><body>",
            f"<h1>{title}</h1>",
            f"<p>{escape(summary_heading(summary))}</p>",
        ]
        if summary.partial:
            out.append(
                f'<p class="partial"><b>{escape(_("Partial report"))}</b>: '
                f"{escape(_('the run was interrupted.'))}</p>"
            )
        reasons = summary.failure_reasons()
        if reasons:
            out.append(f"<h2>{escape(_('Failures by reason'))}</h2>")
            out.append(_bars([(r, n) for r, n, _ in reasons], "#c62828"))
        timeline = summary.timeline()
        if timeline:
            out.append(f"<h2>{escape(_('Failures over time'))}</h2>")
            out.append(_columns(timeline, "#b26a00"))
        out.append(f"<h2>{escape(_('Summary'))}</h2>")
        for name, lines in summary.tables():
            if not lines:
                continue
            titled = name == "code"
            by = escape(_("By {name}").format(name=table_name(name)))
            out.append(f"<h3>{by}</h3><table><thead><tr>")
            out.append(f"<th>{escape(capital(table_name(name)))}</th>")
            if titled:
                out.append(f"<th>{escape(_('Title'))}</th>")
            out.append(
                f'<th class="n">{escape(_("Count"))}</th>'
                f'<th class="n">{escape(_("Share"))}</th></tr></thead><tbody>'
            )
            for line in lines:
                style = f' class="{line.key}"' if line.key in CLASS_COLOUR else ""
                out.append(f"<tr><td{style}>{escape(shown_key(line.key))}</td>")
                if titled:
                    out.append(f"<td>{escape(line.title)}</td>")
                out.append(
                    f'<td class="n">{line.count}</td>'
                    f'<td class="n">{line.share * 100:.1f} %</td></tr>'
                )
            out.append("</tbody></table>")
        if reasons:
            out.append(f"<h2>{escape(_('What to do, by reason'))}</h2>")
            for reason, count, advice in reasons:
                out.append(f"<h3>{escape(reason)} ({count})</h3>")
                if advice:
                    out.append(f'<p class="advice">{escape(advice)}</p>')
        out.append(f"<h2>{escape(_('Findings'))}</h2>")
        if self.seen > len(self.findings):
            first = _("The first {shown} of {seen} findings.")
            out.append(f"<p>{escape(first.format(shown=len(self.findings), seen=self.seen))}</p>")
        if self.findings:
            names = (_("What happened"), _("Code"), _("Recipient"), _("Where"), _("Time"))
            head = [escape(name) for name in names]
            out.append(
                f"<table><thead><tr><th>{head[0]}</th><th>{head[1]}</th><th>{head[2]}</th>"
                f'<th class="wide">{head[3]}</th><th class="wide">{head[4]}</th></tr></thead>'
                "<tbody>"
            )
            for finding in self.findings:
                r = finding.reply
                codes = " ".join(c for c in (r.basic, r.enhanced) if c)
                klass = finding.klass if finding.klass in CLASS_COLOUR else ""
                where = f"{r.input}:{r.line}" if r.input and r.line is not None else ""
                out.append(
                    f"<tr><td>{escape(headline(finding))}</td>"
                    f'<td class="{klass}"><code>{escape(codes)}</code></td>'
                    f"<td>{escape(r.recipient or '')}</td>"
                    f'<td class="wide">{escape(where)}</td>'
                    f'<td class="wide">{escape(r.time or "")}</td></tr>'
                )
            out.append("</tbody></table>")
        out.append("</body></html>\n")
        self.out.write("".join(out))
