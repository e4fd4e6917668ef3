"""A result written in one of the formats people ask for, the one way the commands and the
Python API (nnsolve/api.py) both write: text, json, markdown, latex or html."""

from __future__ import annotations

from typing import Any, Callable, Optional

FORMATS = ("text", "json", "markdown", "latex", "html")


def written(chosen: str, document: Callable[[], Any], data: Callable[[], dict], fragment: bool = False,
            diagram: Optional[Callable[[], str]] = None) -> str:
    """The text of a result in the chosen format: document() builds what people read (a
    render.document.Document), data() the JSON's plain data, diagram() the network as SVG (html)."""
    if chosen == "json":
        from . import json as render_json

        return render_json.dumps(data())
    if chosen == "markdown":
        from . import markdown

        return markdown.write(document())
    if chosen == "latex":
        from . import latex

        return latex.write(document(), fragment)
    if chosen == "html":
        from . import html

        return html.page(document(), diagram() if diagram else None)
    from . import plain

    return plain.text(document())
