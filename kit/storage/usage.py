"""Disk usage of what the workshop fills, and what is safe to delete (``kit storage du``).

The work directory (pulled images, ``env.sif``, runs, logs; pulled images have a row
of their own when a site puts them elsewhere, ``container.sif_dir``), the
Singularity/Apptainer layer caches and the Hugging Face and pip caches fill a home
quota quickly. :func:`usage` measures each known directory (nested known
directories are counted once, in their own row); :func:`render_markdown` /
:func:`render_text` and :func:`plot_usage` show it with what is safe to delete
and why. Deleting is :mod:`kit.storage.clean`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kit.errors import ConfigError
from kit.fonts import use_japanese_font
from kit.pathio import make_dirs, user_path
from kit.textutil import format_size, text_table
from litmarp.paths import shown_path

if TYPE_CHECKING:
    from kit.sites import Site


@dataclass(frozen=True)
class KnownDir:
    """A directory the workshop fills.

    Attributes:
        key: Short id (``sif``, ``work``, ``hf`` ...).
        path: Where it is on this machine (environment variables honoured).
        label: English / Japanese names for tables and the chart.
        safe: Deleting it loses nothing that cannot be downloaded or rebuilt.
        why: English / Japanese reason.
        cleanable: :func:`clean` may delete paths inside it (False: listed only).
    """

    key: str
    path: Path
    label: dict[str, str]
    safe: bool
    why: dict[str, str]
    cleanable: bool = True


@dataclass(frozen=True)
class DirUsage:
    """The size of one known directory (nested known directories excluded)."""

    dir: KnownDir
    exists: bool
    bytes: int
    files: int

    @property
    def key(self) -> str:
        """The directory's key."""
        return self.dir.key

    @property
    def path(self) -> Path:
        """The directory."""
        return self.dir.path


def _env_path(env: Mapping[str, str], key: str) -> Path | None:
    value = env.get(key)
    return Path(os.path.expanduser(value)) if value else None


def known_dirs(site: Site, *, home: str | os.PathLike[str] | None = None,
               env: Mapping[str, str] | None = None) -> list[KnownDir]:
    """The directories the workshop fills, for a site, in display order.

    Args:
        site: The site profile (sif and work directories).
        home: The home directory (default: ``~``).
        env: Environment (default ``os.environ``): ``HF_HOME``, ``PIP_CACHE_DIR``,
            ``XDG_CACHE_HOME``, ``APPTAINER_CACHEDIR``, ``SINGULARITY_CACHEDIR``.
    """
    env = os.environ if env is None else env
    home_dir = Path(home) if home is not None else Path(os.path.expanduser("~"))
    cache = _env_path(env, "XDG_CACHE_HOME") or home_dir / ".cache"
    # By default pulled images go into the work directory (where the build runs): no row of their own.
    own_sif_dir = _real(site.container.sif_dir) != _real(site.work_dir)
    sif_rows = [
        KnownDir("sif", site.container.sif_dir,
                 {"en": "pulled base images", "ja": "pull したベースイメージ"}, True,
                 {"en": "downloaded again by `singularity pull` (several GB, minutes); keep it while you may "
                        "rebuild env.sif from it",
                  "ja": "`singularity pull` で再取得できる（数 GB・数分）。env.sif を作り直すなら残す"}),
    ] if own_sif_dir else []
    pulled = {"en": "", "ja": ""} if own_sif_dir else {"en": "pulled images, ", "ja": "pull したイメージ・"}
    dirs = [
        *sif_rows,
        KnownDir("work", site.work_dir,
                 {"en": f"work directory ({pulled['en']}env.sif, runs, logs)",
                  "ja": f"作業ディレクトリ（{pulled['ja']}env.sif・結果・ログ）"}, False,
                 {"en": "your results: checkpoints, BLEU scores, logs and the built env.sif; delete single "
                        "checkpoint-* or run folders you no longer need, not the whole directory"
                        + ("" if own_sif_dir else "; a pulled *.sif comes back with `singularity pull`"),
                  "ja": "学習結果（チェックポイント・BLEU・ログ）と env.sif。要らなくなった checkpoint-* や "
                        "run だけを個別に消す" + ("" if own_sif_dir else "。pull した *.sif は pull し直せば戻る")}),
        KnownDir("work-hf", site.work_dir / ".cache" / "huggingface",
                 {"en": "Hugging Face cache of the jobs", "ja": "ジョブの Hugging Face キャッシュ"}, True,
                 {"en": "models and datasets the jobs downloaded (HF_HOME in env.def); downloaded again on "
                        "next use",
                  "ja": "ジョブがダウンロードしたモデルとデータ（env.def の HF_HOME）。次回使うとき再ダウンロード"}),
        KnownDir("singularity", _env_path(env, "SINGULARITY_CACHEDIR") or home_dir / ".singularity" / "cache",
                 {"en": "Singularity cache", "ja": "Singularity キャッシュ"}, True,
                 {"en": "image layers of earlier pulls and builds (`singularity cache clean` does the same); "
                        "the next pull downloads them again; keys in ~/.singularity are not touched",
                  "ja": "過去の pull・build のレイヤー（`singularity cache clean` と同じ）。次の pull で再取得。"
                        "~/.singularity の鍵は対象外"}),
        KnownDir("apptainer", _env_path(env, "APPTAINER_CACHEDIR") or home_dir / ".apptainer" / "cache",
                 {"en": "Apptainer cache", "ja": "Apptainer キャッシュ"}, True,
                 {"en": "image layers of earlier pulls and builds (`apptainer cache clean` does the same); "
                        "the next pull downloads them again",
                  "ja": "過去の pull・build のレイヤー（`apptainer cache clean` と同じ）。次の pull で再取得"}),
        KnownDir("hf", _env_path(env, "HF_HOME") or cache / "huggingface",
                 {"en": "Hugging Face cache", "ja": "Hugging Face キャッシュ"}, True,
                 {"en": "downloaded models and datasets; downloaded again on next use (needs the network)",
                  "ja": "ダウンロードしたモデルとデータ。次回使うとき再ダウンロード（要ネットワーク）"}),
        KnownDir("pip", _env_path(env, "PIP_CACHE_DIR") or cache / "pip",
                 {"en": "pip cache", "ja": "pip キャッシュ"}, True,
                 {"en": "pip's download cache (`pip cache purge` does the same)",
                  "ja": "pip のダウンロードキャッシュ（`pip cache purge` と同じ）"}),
        KnownDir("cache", cache,
                 {"en": "other caches in ~/.cache", "ja": "~/.cache のその他"}, False,
                 {"en": "other programs' caches: listed for the total, never deleted by the kit",
                  "ja": "他のプログラムのキャッシュ。合計のために表示するだけで、kit は消さない"},
                 cleanable=False),
    ]
    seen: set[Path] = set()
    unique = []
    for d in dirs:
        real = _real(d.path)
        if real not in seen:
            seen.add(real)
            unique.append(d)
    return unique


def _real(path: Path) -> Path:
    """``path`` with symlinks in its parents resolved, the last part kept (a link is not its target)."""
    path = Path(os.path.abspath(os.path.expanduser(path)))
    return path.parent.resolve() / path.name if path.name else path.resolve()


def _du(root: Path, exclude: set[Path], *, apparent: bool) -> tuple[int, int]:
    """Bytes and files under ``root`` (what cannot be read is skipped); symlinks not followed, hard links once."""
    total = files = 0
    seen_inodes: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                if Path(entry.path) not in exclude:
                    stack.append(Path(entry.path))
                continue
            if st.st_nlink > 1:
                ident = (st.st_dev, st.st_ino)
                if ident in seen_inodes:
                    continue
                seen_inodes.add(ident)
            files += 1
            total += st.st_size if apparent else getattr(st, "st_blocks", 0) * 512 or st.st_size
    return total, files


def usage(site: Site, *, home: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None,
          apparent: bool = False) -> list[DirUsage]:
    """Measure each known directory; a known directory inside another is counted only in its own row.

    Args:
        site: The site profile.
        home: The home directory (default ``~``).
        env: Environment (default ``os.environ``).
        apparent: File sizes instead of disk blocks (``du --apparent-size``).
    """
    dirs = known_dirs(site, home=home, env=env)
    reals = [_real(d.path) for d in dirs]
    rows = []
    for d, real in zip(dirs, reals, strict=True):
        if not real.is_dir():
            rows.append(DirUsage(d, real.exists(), 0, 0))
            continue
        nested = {r for r in reals if r != real and real in r.parents}
        size, files = _du(real, nested, apparent=apparent)
        rows.append(DirUsage(d, True, size, files))
    return rows


_HEAD = {
    "en": ("directory", "path", "size", "safe to delete", "why"),
    "ja": ("ディレクトリ", "場所", "サイズ", "削除してよいか", "理由"),
}
_SAFE = {"en": ("yes", "no (keep)"), "ja": ("可", "不可（残す）")}
_TOTAL = {"en": "total", "ja": "合計"}
_ABSENT = {"en": "not present", "ja": "なし"}


def _rows(rows: Sequence[DirUsage], lang: str, home: Path | None) -> list[tuple[str, ...]]:
    if lang not in _HEAD:
        raise ConfigError(f"unknown language {lang!r}", hint="use 'en' or 'ja'")
    out = []
    for r in rows:
        size = format_size(r.bytes) if r.exists else _ABSENT[lang]
        out.append((r.dir.label[lang], shown_path(r.path, home=home), size, _SAFE[lang][0 if r.dir.safe else 1],
                    r.dir.why[lang]))
    return out


def render_markdown(rows: Sequence[DirUsage], *, lang: str = "ja", home: str | os.PathLike[str] | None = None,
                    why: bool = True) -> str:
    """A Markdown table (one row per directory, then the total) for a slide.

    Args:
        rows: From :func:`usage`.
        lang: ``ja`` or ``en``.
        home: Written as ``~`` in paths (default ``~``).
        why: Include the "why" column.
    """
    home_p = Path(home) if home is not None else None
    body = _rows(rows, lang, home_p)
    head = _HEAD[lang] if why else _HEAD[lang][:4]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in body:
        cells = r if why else r[:4]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    total = format_size(sum(r.bytes for r in rows))
    lines.append(f"| **{_TOTAL[lang]}** | | **{total}** |" + " |" * (len(head) - 3))
    return "\n".join(lines)


def render_text(rows: Sequence[DirUsage], *, lang: str = "en", home: str | os.PathLike[str] | None = None) -> str:
    """The same table as aligned text for a terminal."""
    body = _rows(rows, lang, Path(home) if home is not None else None)
    body.append((_TOTAL[lang], "", format_size(sum(r.bytes for r in rows)), "", ""))
    return text_table(_HEAD[lang], body)


def plot_usage(rows: Sequence[DirUsage], out: str | os.PathLike[str], *, lang: str = "ja") -> Path:
    """A horizontal bar chart of the sizes, coloured by whether deleting is safe; returns the PNG path.

    Args:
        rows: From :func:`usage`.
        out: PNG file to write (its folder is created).
        lang: ``ja`` (uses a Japanese font when one is installed) or ``en``.
    """
    use_japanese_font()
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    if lang not in _HEAD:
        raise ConfigError(f"unknown language {lang!r}", hint="use 'en' or 'ja'")
    out = Path(out)
    make_dirs(out.parent, "write the chart")
    rows = list(rows)
    largest = max([r.bytes for r in rows] + [1])
    unit, div = next(((u, d) for u, d in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024))
                      if largest >= d), ("B", 1))
    labels = [r.dir.label[lang] for r in rows][::-1]
    values = [r.bytes / div for r in rows][::-1]
    colours = ["#4c9a5b" if r.dir.safe else "#d9822b" for r in rows][::-1]
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(rows) + 1.8), dpi=120)
    bars = ax.barh(labels, values, color=colours)
    for bar, r in zip(bars, rows[::-1], strict=True):
        text = format_size(r.bytes) if r.exists else _ABSENT[lang]
        ax.annotate(text, (bar.get_width(), bar.get_y() + bar.get_height() / 2), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=9)
    ax.set_xlabel(unit)
    ax.set_xlim(0, max(values + [1e-9]) * 1.25 or 1)
    safe_label = {"en": ("safe to delete", "keep"), "ja": ("削除してよい", "残す")}[lang]
    ax.legend(handles=[Patch(color="#4c9a5b", label=safe_label[0]), Patch(color="#d9822b", label=safe_label[1])],
              loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, frameon=False,
              fontsize=9)
    ax.set_title({"en": "Disk usage", "ja": "ディスク使用量"}[lang])
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    try:
        with user_path(out, "write the chart"):
            fig.savefig(out)
    finally:
        plt.close(fig)
    return out


def du_report(site: Site, *, markdown: bool = False, lang: str = "en", plot: str | os.PathLike[str] | None = None,
              home: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> str:
    """``kit storage du``: the usage table (text or Markdown), and the chart's path when ``plot`` is given."""
    rows = usage(site, home=home, env=env)
    text = render_markdown(rows, lang=lang, home=home) if markdown else render_text(rows, lang=lang, home=home)
    if plot:
        text += f"\nchart: {plot_usage(rows, plot, lang=lang)}"
    return text
