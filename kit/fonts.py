"""Japanese-capable fonts for matplotlib figures (plots on Japanese slides).

Without this, matplotlib's default DejaVu Sans draws every kana and kanji as an
empty box. Call :func:`use_japanese_font` before drawing.
"""

from __future__ import annotations

# In order of preference: Debian's fonts-noto-cjk, then common macOS/Windows fonts.
JAPANESE_FONTS = ("Noto Sans CJK JP", "Noto Sans JP", "IPAexGothic", "IPAGothic",
                  "Hiragino Sans", "Yu Gothic", "Meiryo")


def japanese_font() -> str | None:
    """Name of the first installed Japanese-capable font, or None."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in JAPANESE_FONTS if name in installed), None)


def use_japanese_font() -> str | None:
    """Make matplotlib draw Japanese text; return the font chosen (None: none found).

    Also selects the non-interactive Agg backend when there is no display and
    no notebook, so scripts and Slurm jobs can save figures.
    """
    import os
    import sys

    import matplotlib

    if "ipykernel" not in sys.modules and not os.environ.get("DISPLAY"):
        matplotlib.use("Agg")
    from matplotlib import rcParams

    name = japanese_font()
    if name:
        rcParams["font.family"] = "sans-serif"
        rcParams["font.sans-serif"] = [name, *rcParams["font.sans-serif"]]
    # A minus sign from a CJK font is often missing; use ASCII hyphen-minus.
    rcParams["axes.unicode_minus"] = False
    return name
