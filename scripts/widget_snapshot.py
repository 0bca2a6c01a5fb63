"""The last state of a notebook's widgets, as plain HTML: for the offline slides and the course site.

A stored widget output holds only a model id; what it showed lives in the notebook's
``metadata.widgets`` (the widget state Jupyter saves with the notebook). Rendering it needs the
ipywidgets JavaScript from a CDN, which an offline page cannot load. :func:`static_outputs`
replaces each widget output with the HTML of its saved state: boxes as rows and columns, the
HTML widgets' own markup (the channel explorer's picture), and each control as its label and
value, greyed, since nothing can move without a kernel.
"""

from __future__ import annotations

import copy
import html

VIEW = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"
NOTE = ("<p class=\"widget-snapshot-note\"><em>The last picture of this widget, as saved with the notebook. "
        "Open the notebook in Jupyter (or Colab, Binder) and run it to move the controls.</em></p>")
STYLE = (
    "<style>.widget-snapshot{border:1px solid #ccc;border-radius:4px;padding:6px;margin:4px 0;overflow-x:auto}"
    ".widget-snapshot .wrow{display:flex;flex-direction:row;flex-wrap:wrap;gap:12px}"
    ".widget-snapshot .wcol{display:flex;flex-direction:column;gap:2px}"
    ".widget-snapshot .wctl{font:12px system-ui,sans-serif;color:#555;white-space:nowrap}"
    ".widget-snapshot .wctl b{font-weight:600;margin-right:4px}"
    # in a reveal.js deck: keep the picture's own sizes (reveal shrinks <pre> and capitalizes headings)
    ".reveal .widget-snapshot pre{font-size:12px;width:auto;box-shadow:none;margin:4px 0}"
    ".reveal .widget-snapshot h1,.reveal .widget-snapshot h2,.reveal .widget-snapshot h3,"
    ".reveal .widget-snapshot h4,.reveal .widget-snapshot h5{text-transform:none}</style>"
)


def _label(state: dict) -> str:
    d = state.get("description") or ""
    return f"<b>{html.escape(d)}</b>" if d else ""


def render_model(model_id: str, models: dict, depth: int = 0) -> str:
    """HTML for one widget model and its children, from the saved state ``models``."""
    entry = models.get(model_id.removeprefix("IPY_MODEL_"))
    if entry is None or depth > 50:
        return ""
    name, state = entry.get("model_name", ""), entry.get("state", {})
    if "children" in state:  # VBox, HBox, GridBox, Tab, Accordion ...
        cls = "wrow" if name.startswith("HBox") else "wcol"
        inner = "".join(render_model(c, models, depth + 1) for c in state["children"])
        return f'<div class="{cls}">{inner}</div>'
    if name in ("HTMLModel", "HTMLMathModel"):
        return f"<div>{_label(state)}{state.get('value', '')}</div>"
    if name == "LabelModel":
        return f'<div class="wctl">{_label(state)}{html.escape(str(state.get("value", "")))}</div>'
    if name == "OutputModel":
        return "".join(output_html(o) for o in state.get("outputs", []))
    if name == "ButtonModel":
        return f'<div class="wctl">[{html.escape(state.get("description", ""))}]</div>'
    if "_options_labels" in state:  # Dropdown, RadioButtons, SelectionSlider, ToggleButtons
        labels, index = state["_options_labels"], state.get("index")
        value = labels[index] if isinstance(index, int) and 0 <= index < len(labels) else ""
        return f'<div class="wctl">{_label(state)}{html.escape(str(value))}</div>'
    if "value" in state:  # sliders, checkboxes, text boxes, Play
        value = state["value"]
        if name == "CheckboxModel":
            value = "☑" if value else "☐"
        elif isinstance(value, list):
            value = "–".join(map(str, value))
        return f'<div class="wctl">{_label(state)}{html.escape(str(value))}</div>'
    return ""


def output_html(out: dict) -> str:
    data = out.get("data", {})
    if out.get("output_type") == "stream":
        return f"<pre>{html.escape(''.join(out.get('text', '')))}</pre>"
    if "image/png" in data:
        return f'<img src="data:image/png;base64,{"".join(data["image/png"]).strip()}"/>'
    if "text/html" in data:
        return "".join(data["text/html"])
    if "text/plain" in data:
        return f"<pre>{html.escape(''.join(data['text/plain']))}</pre>"
    return ""


def snapshot(model_id: str, models: dict) -> str:
    return f'{STYLE}<div class="widget-snapshot">{render_model(model_id, models)}</div>{NOTE}'


def static_outputs(nb: dict) -> dict:
    """A copy of ``nb`` whose widget outputs are the HTML of their saved state, and no widget metadata.

    Works on plain dicts and on nbformat nodes. Without saved state a widget output keeps its
    text fallback only.
    """
    nb = copy.deepcopy(nb)
    models = nb.get("metadata", {}).get("widgets", {}).get(STATE, {}).get("state", {})
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            data = out.get("data", {})
            if VIEW not in data:
                continue
            view = data.pop(VIEW)
            if view.get("model_id", "") in models:
                data["text/html"] = snapshot(view["model_id"], models)
    nb.get("metadata", {}).pop("widgets", None)
    return nb
