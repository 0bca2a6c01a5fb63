"""The channel explorer: a layer's computation drawn live in the browser. Imports ``core`` and ``course``.

    state     explore(Settings) -> ExplorerState: every number the picture shows (pure, cached, no widgets)
    payload   a state as typed arrays and text lines: what the browser receives
    view      ExplorerView: the picture as a widget drawn in the browser (anywidget; explorer.js, explorer.css)
    widget    ChannelExplorer: the controls wired to the picture
"""

from .state import Settings, explore
from .widget import ChannelExplorer

__all__ = ["ChannelExplorer", "Settings", "explore"]
