"""The written answers (✍ cells: prove, explain, why) of a submission, next to their questions.

The questions come from the grader's own copy of the exercises (``instructor/07_exercises.py``,
student edition), never from a submission. A submission's answer cells are the markdown cells
tagged ``answer`` (or starting with ✍), matched to a question by the exercise heading above them
and their order under it. The text is the student's markdown with the prompt and the placeholder
taken off; it is rendered for the page with raw HTML and images switched off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PLACEHOLDER = "*double-click and write here*"
PLACEHOLDERS = (PLACEHOLDER, "*双击此处作答*")  # the English edition's, the Chinese edition's (i18n/zh/07_exercises.md)
# "✍ **Your proof** (why ...?):" or "✍ **你的证明**（为什么……？）："
_PROMPT = re.compile(r"^\s*✍\s*(\*\*[^*\n]*\*\*)?\s*([(（][^)）\n]*[)）])?\s*[:：]?\s*")


def _without_placeholder(text: str) -> str:
    for placeholder in PLACEHOLDERS:
        text = text.replace(placeholder, "")
    return text


@dataclass
class Question:
    key: tuple
    exercise: str  # the first exercise id of its section
    heading: str  # the exercise's markdown (its statement)
    prompt: str  # the ✍ cell's own words


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _is_answer(cell) -> bool:
    tags = cell.get("metadata", {}).get("tags", []) or []
    return cell.get("cell_type") == "markdown" and ("answer" in tags or _source(cell).lstrip().startswith("✍"))


def _walk(nb, table):
    """(section ids, index under the section, heading markdown, cell) of every answer cell."""
    from .submission import section_of

    section, heading, k = (), "", 0
    after_heading = False  # the question's text may go on in the next markdown cells (the slides' notes)
    for cell in nb.cells if hasattr(nb, "cells") else nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            after_heading = False
            continue
        text = _source(cell)
        if _is_answer(cell):
            yield section, k, heading, cell
            k += 1
            after_heading = False
            continue
        ids = section_of(text, table)
        if ids:
            section, heading, k = tuple(ids), text, 0
            after_heading = True
        elif after_heading:
            heading += "\n\n" + text


def questions(table) -> list[Question]:
    """The written questions of the exercises, in order."""
    import editions  # scripts/

    nb = editions.edition(editions.read_source(), "student")
    out = []
    for section, k, heading, cell in _walk(nb, table):
        prompt = _without_placeholder(_source(cell)).strip()
        out.append(Question((section, k), section[0] if section else "?", heading, prompt))
    return out


def answer_text(markdown: str) -> str:
    """A ✍ cell's text without its prompt and placeholder ('' when nothing was written)."""
    text = _PROMPT.sub("", _without_placeholder(markdown), count=1)
    return text.strip()


def answers(nb, table) -> dict[tuple, str]:
    """{question key: the student's text} of one notebook (only the questions it has)."""
    out = {}
    if nb is None:
        return out
    for section, k, _, cell in _walk(nb, table):
        out.setdefault((section, k), answer_text(_source(cell))[:20_000])
    return out


def render_markdown(text: str) -> str:
    """Markdown to HTML with raw HTML and images off (a student's text cannot inject markup or
    fetch anything); math stays as written, for MathJax to typeset."""
    try:
        from markdown_it import MarkdownIt
    except ImportError:  # pragma: no cover - the dev environment has it (pinned)
        import html

        return f"<pre>{html.escape(text)}</pre>"
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")
    return md.render(text)
