"""The channel explorer: a layer's computation drawn live. Imports ``core`` and ``course``.

    state    explore(Settings) -> ExplorerState: every number the picture shows (pure, cached, no widgets)
    widget   ChannelExplorer: the controls wired to the picture
    html     a state drawn as HTML; view3d the 3-D view in SVG
"""

from .state import Settings, explore
from .widget import ChannelExplorer

__all__ = ["ChannelExplorer", "Settings", "explore"]
