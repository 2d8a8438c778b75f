"""Japanese-capable fonts for matplotlib figures (plots on Japanese slides).

Without this, matplotlib's default DejaVu Sans draws every kana and kanji as an
empty box. Call :func:`use_japanese_font` before drawing.
"""

from __future__ import annotations

import os
import sys

# In order of preference: Debian's fonts-noto-cjk, then common macOS/Windows fonts.
JAPANESE_FONTS = ("Noto Sans CJK JP", "Noto Sans JP", "IPAexGothic", "IPAGothic",
                  "Hiragino Sans", "Yu Gothic", "Meiryo")


def use_japanese_font() -> str | None:
    """Make matplotlib draw Japanese text; return the font chosen (None: none installed).

    Also selects the non-interactive Agg backend when there is no display and
    no notebook, so scripts and Slurm jobs can save figures.
    """
    import matplotlib
    from matplotlib import font_manager, rcParams

    if "ipykernel" not in sys.modules and not os.environ.get("DISPLAY"):
        matplotlib.use("Agg")
    installed = {f.name for f in font_manager.fontManager.ttflist}
    name = next((font for font in JAPANESE_FONTS if font in installed), None)
    if name:
        rcParams["font.family"] = "sans-serif"
        rcParams["font.sans-serif"] = [name, *rcParams["font.sans-serif"]]
    # A minus sign from a CJK font is often missing; use ASCII hyphen-minus.
    rcParams["axes.unicode_minus"] = False
    return name
