"""DOT text that cannot break: label escaping, a size limit, and rendering through Graphviz.

Every piece of user text (a label such as ``w<sub>1</sub>"`` or ``σ(z)`` or ``恶魔``) reaches the
DOT source only inside an HTML-like label (``label=<...>``) and only after `escape_html`:
``& < > " '`` become entities, a backslash is doubled (Graphviz reads ``\\N``, ``\\G``, ``\\l``
as escapes even in HTML labels), a newline becomes ``<BR/>``, other control characters are shown
as ``\\xNN``.  A tooltip (a plain quoted string) goes through `escape_plain`.  Node and cluster
names are generated (``v0``, ``op3``, ``cluster_2``), never taken from the user.  So a label
renders as written and cannot close the label or inject attributes.

Graphviz refuses an HTML label longer than 16,384 characters, so a text longer than
`MAX_TEXT` characters is shortened (its start, "…", and how many characters were left out), and
`html_label` drops trailing lines of a label that would still be too long.

Rendering needs the ``dot`` program (Graphviz); the DOT text (``graph.source``) never does.
"""

from __future__ import annotations

import html
import math
import os
import shutil
import subprocess
from collections.abc import Iterable
from typing import Any

import graphviz

from ..atomic import write_atomic

__all__ = ["GraphvizNotFound", "GraphTooLarge", "escape_html", "escape_plain", "html_label",
           "render", "layout", "Drawing", "check_size", "INSTALL_HELP", "FORMATS", "MAX_TEXT"]

INSTALL_HELP = (
    "Rendering a drawing needs the Graphviz program 'dot' on your PATH "
    "(the Python package 'graphviz' only writes DOT text). Install it:\n"
    "  Debian/Ubuntu:  sudo apt-get install graphviz\n"
    "  Fedora:         sudo dnf install graphviz\n"
    "  macOS:          brew install graphviz\n"
    "  conda:          conda install graphviz\n"
    "  Windows:        the installer from https://graphviz.org/download/ "
    "(tick 'add Graphviz to the system PATH')\n"
    "Without it you can still save the DOT text: graph.source, or render(graph, 'g.gv').")

FORMATS = ("svg", "png", "pdf")
"""Formats `render` asks Graphviz for; "gv"/"dot" write the DOT text itself (no Graphviz needed)."""


class GraphvizNotFound(RuntimeError):
    """Raised when a drawing is to be rendered but the Graphviz program is not installed."""


class GraphTooLarge(ValueError):
    """Raised instead of handing Graphviz a graph too large to lay out in reasonable time."""


# ----------------------------------------------------------------------------------------------
# escaping
# ----------------------------------------------------------------------------------------------

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
             "\\": "\\\\", "\n": "<BR/>", "\r": "", "\t": " "}


MAX_TEXT = 1000
"""Longest text (in characters) written into one line of a label or a tooltip."""
_MAX_HTML = 16000  # Graphviz's limit for an HTML-like label is 16,384 characters, markup included


def _shorten(text: object) -> str:
    """`text` as a str of at most about `MAX_TEXT` characters, encodable as UTF-8."""
    s = str(text)
    if len(s) > MAX_TEXT:
        s = f"{s[:MAX_TEXT - 40]}… ({len(s) - (MAX_TEXT - 40)} more characters)"
    # lone surrogates cannot be written as UTF-8: show them as '?' instead of failing
    return s.encode("utf-8", "replace").decode("utf-8")


def escape_plain(text: object) -> str:
    """`text` made safe for a quoted DOT attribute such as a tooltip; it shows as written.

    Backslashes are doubled (Graphviz would read ``\\N`` as the node's name, and a final
    backslash would swallow the closing quote); control characters become spaces; the graphviz
    package escapes the quotes.
    """
    s = "".join(" " if ch < " " or "\x7f" <= ch <= "\x9f" else ch for ch in _shorten(text))
    label: str = graphviz.nohtml(s.replace("\\", "\\\\"))
    return label


def escape_html(text: object) -> str:
    """`text` made safe for the inside of an HTML-like DOT label; it renders as written."""
    s = _shorten(text)
    out = []
    for ch in s:
        rep = _ENTITIES.get(ch)
        if rep is not None:
            out.append(rep)
        elif ch < " " or "\x7f" <= ch <= "\x9f" or ch in "\ufffe\uffff":
            out.append(f"\\\\x{ord(ch):02x}")  # not allowed in XML: show its code instead
        else:
            out.append(ch)
    return "".join(out)


def html_label(lines: Iterable[str | tuple[str, str]], *, title: str | None = None,
               bold_title: bool = True, align: str | None = None) -> str:
    """An HTML-like label ``<...>``: an optional bold title, then one line per item.

    Items are plain strings (escaped here) or ``(text, colour)`` pairs to colour a line (the
    colour is our own, never user text).  `align` "LEFT" or "RIGHT" aligns the lines.
    """
    parts = []
    if title is not None:
        t = escape_html(title)
        parts.append(f"<B>{t}</B>" if bold_title else t)
    for item in lines:
        if isinstance(item, tuple):
            text, colour = item
            parts.append(f'<FONT COLOR="{colour}">{escape_html(text)}</FONT>')
        else:
            parts.append(escape_html(item))
    if not parts:
        return "<&nbsp;>"
    while len(parts) > 1 and sum(len(p) + 20 for p in parts) > _MAX_HTML:
        parts[-2:] = ["…"]  # far too many long lines: drop the last ones
    if align is None:
        return "<" + "<BR/>".join(parts) + ">"
    br = f'<BR ALIGN="{align.upper()}"/>'
    return "<" + br.join(parts) + br + ">"


# ----------------------------------------------------------------------------------------------
# the size limit
# ----------------------------------------------------------------------------------------------


def check_size(n_nodes: int, max_nodes: int | None, level: str | None = None) -> None:
    """Refuse a drawing with more than `max_nodes` nodes (None: no limit)."""
    if max_nodes is None or n_nodes <= max_nodes:
        return
    if level == "op":
        hint = ('draw it at a coarser level: draw_graph(root, level="neuron") or '
                'level="layer" (one node per neuron or per layer)')
    elif level == "neuron":
        hint = 'draw it at level="layer" (one node per layer)'
    else:
        hint = "draw a smaller part of it (fewer images, a smaller network)"
    raise GraphTooLarge(
        f"the drawing would have {n_nodes} nodes, more than max_nodes={max_nodes}: Graphviz "
        f"would take very long and the picture would be unreadable. {hint.capitalize()}, "
        "or pass a larger max_nodes (or max_nodes=None) if you really want it.")


# ----------------------------------------------------------------------------------------------
# rendering
# ----------------------------------------------------------------------------------------------


def _layout_program(graph: graphviz.Digraph) -> str:
    return graph.engine or "dot"


def layout(graph: graphviz.Digraph, fmt: str = "svg", *, timeout: float | None = 120.0) -> bytes:
    """`graph` laid out by Graphviz (``dot``, or the graph's engine) as `fmt` bytes.

    Raises `GraphvizNotFound` (with how to install it) when the program is missing, and
    `GraphTooLarge` when it does not finish within `timeout` seconds.
    """
    program = _layout_program(graph)
    exe = shutil.which(program)
    if exe is None:
        raise GraphvizNotFound(f"render: the Graphviz program {program!r} was not found. "
                               + INSTALL_HELP)
    try:
        done = subprocess.run([exe, f"-T{fmt}"], input=graph.source.encode("utf-8"),
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise GraphTooLarge(f"render: Graphviz did not finish within {timeout} s; draw the "
                            'graph at a coarser level (level="neuron" or "layer")') from None
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"render: {program} failed (exit {done.returncode}): {err}")
    picture: bytes = done.stdout
    return picture


def render(graph: graphviz.Digraph, path: str | os.PathLike[str], format: str | None = None, *,
           timeout: float | None = 120.0) -> str:
    """Write `graph` to `path` as SVG, PNG or PDF (from the extension unless `format` is given).

    Formats "gv"/"dot" write the DOT text and need no Graphviz.  Otherwise the Graphviz program
    (``dot``, or the graph's engine) must be installed, else `GraphvizNotFound` says how to get
    it.  The file is written atomically.  Returns the path written.
    """
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lstrip(".").lower()
    fmt = (format or ext or "svg").lower()
    if fmt not in FORMATS + ("gv", "dot"):
        raise ValueError(f"render: format {fmt!r} is not one of {', '.join(FORMATS)}, gv, dot")
    if not ext:
        path = f"{path}.{fmt}"
    if fmt in ("gv", "dot"):
        return write_atomic(path, graph.source)
    return write_atomic(path, layout(graph, fmt, timeout=timeout))


def missing_dot_html(source: str) -> str:
    """What a notebook shows for a drawing when Graphviz is missing: how to install it, and the
    DOT text (which can be pasted into any Graphviz viewer)."""
    return ("<div><p><b>This drawing needs the Graphviz program <code>dot</code>.</b></p>"
            f"<pre>{html.escape(INSTALL_HELP)}</pre><details><summary>DOT text</summary>"
            f"<pre>{html.escape(source)}</pre></details></div>")


class Drawing(graphviz.Digraph):
    """A `graphviz.Digraph` that Jupyter can always display: as SVG when the Graphviz program is
    installed, else as the install help and the DOT text (instead of graphviz's raw
    ``ExecutableNotFound`` traceback)."""

    def _repr_mimebundle_(self, include: Iterable[str] | None = None,
                          exclude: Iterable[str] | None = None, **kwargs: object
                          ) -> dict[str, Any]:
        try:
            bundle: dict[str, Any] = super()._repr_mimebundle_(include, exclude, **kwargs)
            return bundle
        except graphviz.ExecutableNotFound:
            return {"text/html": missing_dot_html(self.source), "text/plain": self.source}


def number_text(x: float, digits: int = 4) -> str:
    """A number in `digits` significant digits for a drawing; NaN and ±inf spelled out."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.{digits}g}"
