"""Live widgets in pages with no Python and no network: the site (`make site`) and the slides (`make slides`).

A notebook executed by `make notebooks` stores its widgets' state (``metadata.widgets``). A page that
embeds that state with Jupyter's widget manager for static pages (``@jupyter-widgets/html-manager``)
draws the widgets again from it, the channel explorer included (its picture is drawn by its own
JavaScript, which travels in the state, from the arrays stored there): pointing and picking work.

Everything that page loads is copied beside it (:func:`vendor`), nothing from a CDN:

- ``embed-amd.js`` and its fonts from ``@jupyter-widgets/html-manager`` (pinned in slides/package.json,
  fetched by npm into slides/node_modules): the manager, with ipywidgets' own controls built in;
- ``require.js`` (slides/package.json too), which the manager loads modules with;
- ``anywidget.js``: anywidget's module for pages without JupyterLab (the AMD file its Python package ships),
  which the explorer's picture is built on;
- ``config.js``: tells RequireJS where anywidget is.

The manager falls back to a CDN for a module it cannot find; the pages name a folder beside them as that
"CDN" (``data-jupyter-widgets-cdn``), so a missing module fails there, offline, instead of loading from the
network. :func:`static_state` refuses (SystemExit) a notebook whose widgets need a module that is not
copied, or another anywidget version than the one copied: such a build would fall back to a CDN.

:func:`static_state` also marks what needs Python: the explorer's layer controls are shown disabled, and
its picture says in one line that changing a layer needs Python.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path

import anywidget

ROOT = Path(__file__).resolve().parents[1]
MODULES = ROOT / "slides" / "node_modules"
HTML_MANAGER = MODULES / "@jupyter-widgets" / "html-manager"
REQUIRE = MODULES / "requirejs" / "require.js"
ANYWIDGET_AMD = Path(anywidget.__file__).parent / "nbextension" / "index.js"
STATE = "application/vnd.jupyter.widget-state+json"
VIEW = "application/vnd.jupyter.widget-view+json"
BUILT_IN = {"@jupyter-widgets/base", "@jupyter-widgets/controls", "@jupyter-widgets/output"}  # in embed-amd.js
LAYER_CLASS = "ccx-layer"  # chanconv.explorer.widget.LAYER_CLASS: controls that change the layer
NO_CDN = "no-cdn/"  # the manager's "CDN": a folder that does not exist beside the page
CONFIG_JS = """// For the widget manager of a saved page: where RequireJS finds anywidget, and the manager its fonts
// (both beside this file).
(function () {
  var here = document.currentScript.src.replace(/[^/]*$/, "");
  // the manager's own modules are defined in embed-amd.js; their paths only place the fonts they load
  window.requirejs.config({ paths: {
    anywidget: here + "anywidget",
    "@jupyter-widgets/base": here + "base",
    "@jupyter-widgets/base7": here + "base7",
    "@jupyter-widgets/controls": here + "controls",
    "@jupyter-widgets/controls7": here + "controls7",
    "@jupyter-widgets/html-manager": here + "html-manager",
    "@jupyter-widgets/html-manager/dist/libembed-amd": here + "libembed-amd",
  } });
  window.__jupyter_widgets_assets_path__ = here;
})();
"""
CDN_HOSTS = ("cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com")


def vendor(dest: Path) -> Path:
    """Copy what a page needs to draw stored widgets into ``dest`` (embed-amd.js, its fonts, require.js,
    anywidget.js, config.js); returns ``dest``."""
    dist = HTML_MANAGER / "dist"
    missing = [str(p.relative_to(ROOT)) for p in (dist / "embed-amd.js", REQUIRE) if not p.exists()]
    if missing:
        raise SystemExit(f"missing {', '.join(missing)}: run `npm install` in slides/ (make slides and make site do)")
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(dist / "embed-amd.js", dest / "embed-amd.js")
    for font in [*dist.glob("*.woff2"), *dist.glob("*.woff")]:  # what the controls' icons need in a browser today
        shutil.copy2(font, dest / font.name)
    shutil.copy2(REQUIRE, dest / "require.js")
    shutil.copy2(ANYWIDGET_AMD, dest / "anywidget.js")
    (dest / "config.js").write_text(CONFIG_JS, encoding="utf-8")
    return dest


def _satisfies(version: str, wanted: str) -> bool:
    """Whether anywidget ``version`` (0.11.0) meets a module's version range as anywidget writes it (~0.11.*)."""
    pattern = re.escape(wanted.lstrip("~^=")).replace(r"\*", r"\d+")
    return re.fullmatch(pattern, version) is not None


def check_modules(models: dict, where: str) -> None:
    """Every widget's module must be built into the manager or copied beside the page (else it needs a CDN)."""
    for model in models.values():
        state = model.get("state", {})
        for kind in ("model", "view"):
            module = state.get(f"_{kind}_module", model.get(f"{kind}_module"))
            version = state.get(f"_{kind}_module_version", model.get(f"{kind}_module_version", ""))
            if module is None or module in BUILT_IN:
                continue
            if module == "anywidget" and _satisfies(anywidget.__version__, version):
                continue
            raise SystemExit(f"{where}: a widget needs {module} {version}, which is not copied beside the page "
                             f"(anywidget {anywidget.__version__} is): the page would load it from a CDN")


def static_state(nb: dict, where: str = "notebook") -> dict:
    """A copy of ``nb`` whose stored widgets show what needs Python: the explorer's layer controls disabled, its
    picture told there is no Python. Raises SystemExit when a widget's module is not copied (see
    :func:`check_modules`). Works on plain dicts and on nbformat nodes."""
    nb = copy.deepcopy(nb)
    models = nb.get("metadata", {}).get("widgets", {}).get(STATE, {}).get("state", {})
    check_modules(models, where)
    for model in models.values():
        state = model.get("state", {})
        if LAYER_CLASS in state.get("_dom_classes", []):
            state["disabled"] = True
        if str(state.get("_anywidget_id", "")).endswith("ExplorerView"):
            state["static"] = True
    return nb


def has_widgets(nb: dict) -> bool:
    return bool(nb.get("metadata", {}).get("widgets", {}).get(STATE, {}).get("state"))


def check_page(html: str, where: str) -> None:
    """A built page loads nothing from a CDN (the manager's fallback points beside it)."""
    hosts = [h for h in CDN_HOSTS if h in html]
    if hosts:
        raise SystemExit(f"{where} refers to {', '.join(hosts)}: it would load widgets from a CDN")
    if VIEW in html and not re.search(r'data-jupyter-widgets-cdn="[^"]*' + re.escape(NO_CDN) + '"', html):
        raise SystemExit(f"{where} shows widgets without pointing the widget manager's fallback beside it")


def state_bytes(nb: dict) -> int:
    """What a notebook's stored widget state weighs (it travels in the repository, the site and the slides)."""
    return len(json.dumps(nb.get("metadata", {}).get("widgets", {}), separators=(",", ":")).encode())
