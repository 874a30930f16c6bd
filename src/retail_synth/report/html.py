"""The report page: sections of text, embedded PNGs and small tables in one self-contained HTML file."""

from __future__ import annotations

import html
from dataclasses import dataclass

STYLE = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; color: #1c2833;
       max-width: 1100px; margin: 2rem auto; padding: 0 1.5rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.2rem; margin-top: 2.2rem; border-bottom: 1px solid #d5dbe1; padding-bottom: 0.3rem; }
.meta { color: #5d6d7e; font-size: 0.9rem; }
img { max-width: 100%; display: block; margin: 0.8rem 0; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { padding: 0.25rem 0.9rem; border-bottom: 1px solid #e5e8eb; text-align: left; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
p.note { color: #5d6d7e; font-style: italic; }
"""


@dataclass(frozen=True)
class Section:
    title: str
    text: str = ""                    # plain text, escaped
    image: str | None = None          # base64 PNG
    table: tuple[tuple[str, ...], list[tuple]] | None = None   # (header, rows); numbers right-aligned
    note: str = ""                    # plain text shown in italics, e.g. why a chart is absent


def _cell(tag: str, value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = f"{value:,}" if isinstance(value, int) else f"{value:,.4f}"
        return f'<{tag} class="number">{text}</{tag}>'
    return f"<{tag}>{html.escape(str(value))}</{tag}>"


def _table(header: tuple[str, ...], rows: list[tuple]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(_cell("td", v) for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_page(title: str, meta: str, sections: list[Section]) -> str:
    parts = [f"<h1>{html.escape(title)}</h1>", f'<p class="meta">{html.escape(meta)}</p>']
    for s in sections:
        parts.append(f"<h2>{html.escape(s.title)}</h2>")
        if s.text:
            parts.append(f"<p>{html.escape(s.text)}</p>")
        if s.image:
            parts.append(f'<img alt="{html.escape(s.title)}" src="data:image/png;base64,{s.image}">')
        if s.table:
            parts.append(_table(*s.table))
        if s.note:
            parts.append(f'<p class="note">{html.escape(s.note)}</p>')
    body = "\n".join(parts)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n'
            f"<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")
