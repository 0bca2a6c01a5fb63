"""What the browser tests share: Debian's Chromium (never a downloaded one), its flags, where screenshots go."""

from pathlib import Path

from tools.explorer_bench import CHROMIUM, FLAGS

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

__all__ = ["ARTIFACTS", "CHROMIUM", "FLAGS"]
