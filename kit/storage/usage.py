"""Disk usage of what the workshop fills, what is safe to delete (``kit storage du``), and deleting it
(``kit storage clean``).

The work directory, pulled images, the Singularity/Apptainer layer caches and the Hugging
Face and pip caches fill a home quota quickly. Each known directory is measured once: a
known directory nested in another is counted only in its own row.

:func:`clean` deletes only what the workshop made, by exact path, and only when asked. What may be
deleted does not depend on how wide the site profile's folders are (``work_dir = "~"`` must not make
``~/.ssh`` deletable): a cache the kit knows or anything in one; a pulled ``*.sif`` or the built image;
a run (``WORK_DIR/runs/NAME``) or a checkpoint in one. A folder holding several images or runs goes
whole only when named a second time (``--whole``); the work directory, the home directory and any
folder above it never do. Every path is checked before anything is deleted: one refused path deletes
nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kit.container.space import cache_dir
from kit.errors import ConfigError
from kit.fonts import use_japanese_font
from kit.pathio import make_dirs, user_path
from kit.textutil import format_size, text_table, work_path
from litmarp.paths import inside, shown_path

if TYPE_CHECKING:
    from kit.sites import Site


@dataclass(frozen=True)
class KnownDir:
    """A directory the workshop fills; ``label`` and ``why`` in English and Japanese."""

    key: str
    path: Path
    label: dict[str, str]
    safe: bool  # deleting it loses nothing that cannot be downloaded or rebuilt
    why: dict[str, str]


@dataclass(frozen=True)
class DirUsage:
    """The size of one known directory (nested known directories excluded)."""

    dir: KnownDir
    exists: bool
    bytes: int
    files: int

    @property
    def key(self) -> str:
        return self.dir.key

    @property
    def path(self) -> Path:
        return self.dir.path


def _env_path(env: Mapping[str, str], key: str) -> Path | None:
    value = env.get(key)
    return Path(os.path.expanduser(value)) if value else None


def _home(home: str | os.PathLike[str] | None) -> Path:
    return Path(home) if home is not None else Path(os.path.expanduser("~"))


def known_dirs(site: Site, *, home: str | os.PathLike[str] | None = None,
               env: Mapping[str, str] | None = None) -> list[KnownDir]:
    """The directories the workshop fills, for a site, in display order (``env``: ``HF_HOME``,
    ``PIP_CACHE_DIR``, ``XDG_CACHE_HOME``, ``APPTAINER_CACHEDIR``, ``SINGULARITY_CACHEDIR``)."""
    env = os.environ if env is None else env
    home_dir = _home(home)
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
        KnownDir("singularity", cache_dir("singularity", env, home_dir),
                 {"en": "Singularity cache", "ja": "Singularity キャッシュ"}, True,
                 {"en": "image layers of earlier pulls and builds (`singularity cache clean` does the same); "
                        "the next pull downloads them again; keys in ~/.singularity are not touched",
                  "ja": "過去の pull・build のレイヤー（`singularity cache clean` と同じ）。次の pull で再取得。"
                        "~/.singularity の鍵は対象外"}),
        KnownDir("apptainer", cache_dir("apptainer", env, home_dir),
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
                  "ja": "他のプログラムのキャッシュ。合計のために表示するだけで、kit は消さない"}),
    ]
    unique: dict[Path, KnownDir] = {}
    for d in dirs:
        unique.setdefault(_real(d.path), d)
    return list(unique.values())


def _real(path: str | os.PathLike[str]) -> Path:
    """``path`` with symlinks in its parents resolved, the last part kept (a link is not its target)."""
    path = Path(os.path.abspath(os.path.expanduser(path)))
    return path.parent.resolve() / path.name if path.name else path.resolve()


def _du(root: Path, exclude: set[Path], *, apparent: bool) -> tuple[int, int]:
    """Bytes and files under ``root`` (what cannot be read is skipped); symlinks not followed, hard links once."""
    total = files = 0
    seen: set[tuple[int, int]] = set()
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if Path(folder, d) not in exclude]
        for name in dirs + names:  # a symlink to a folder is listed in dirs, and counts as itself
            try:
                st = os.lstat(os.path.join(folder, name))
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode) or (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            files += 1
            total += st.st_size if apparent else st.st_blocks * 512 or st.st_size
    return total, files


def usage(site: Site, *, home: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None,
          apparent: bool = False) -> list[DirUsage]:
    """Measure each known directory (``apparent``: file sizes, like ``du --apparent-size``, not disk blocks)."""
    dirs = known_dirs(site, home=home, env=env)
    reals = [_real(d.path) for d in dirs]
    rows = []
    for d, real in zip(dirs, reals, strict=True):
        nested = {r for r in reals if real in r.parents}
        size, files = _du(real, nested, apparent=apparent) if real.is_dir() else (0, 0)
        rows.append(DirUsage(d, real.exists(), size, files))
    return rows


_HEAD = {
    "en": ("directory", "path", "size", "safe to delete", "why"),
    "ja": ("ディレクトリ", "場所", "サイズ", "削除してよいか", "理由"),
}
_SAFE = {"en": ("yes", "no (keep)"), "ja": ("可", "不可（残す）")}
_TOTAL = {"en": "total", "ja": "合計"}
_ABSENT = {"en": "not present", "ja": "なし"}


def _check_lang(lang: str) -> None:
    if lang not in _HEAD:
        raise ConfigError(f"unknown language {lang!r}", hint="use 'en' or 'ja'")


def _rows(rows: Sequence[DirUsage], lang: str, home: str | os.PathLike[str] | None) -> list[tuple[str, ...]]:
    _check_lang(lang)
    home_p = Path(home) if home is not None else None
    return [(r.dir.label[lang], shown_path(r.path, home=home_p), format_size(r.bytes) if r.exists else _ABSENT[lang],
             _SAFE[lang][0 if r.dir.safe else 1], r.dir.why[lang]) for r in rows]


def render_markdown(rows: Sequence[DirUsage], *, lang: str = "ja", home: str | os.PathLike[str] | None = None,
                    why: bool = True) -> str:
    """A Markdown table for a slide: one row per directory (``why``: with the reason), then the total."""
    body = _rows(rows, lang, home)
    head = _HEAD[lang][:5 if why else 4]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for cells in body:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells[:len(head)]) + " |")
    total = format_size(sum(r.bytes for r in rows))
    lines.append(f"| **{_TOTAL[lang]}** | | **{total}** |" + " |" * (len(head) - 3))
    return "\n".join(lines)


def render_text(rows: Sequence[DirUsage], *, lang: str = "en", home: str | os.PathLike[str] | None = None) -> str:
    """The same table as aligned text for a terminal."""
    body = _rows(rows, lang, home)
    body.append((_TOTAL[lang], "", format_size(sum(r.bytes for r in rows)), "", ""))
    return text_table(_HEAD[lang], body)


def plot_usage(rows: Sequence[DirUsage], out: str | os.PathLike[str], *, lang: str = "ja") -> Path:
    """A horizontal bar chart (PNG) of the sizes, coloured by whether deleting is safe; returns its path."""
    _check_lang(lang)
    use_japanese_font()
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    out = Path(out)
    make_dirs(out.parent, "write the chart")
    rows = list(rows)[::-1]
    largest = max([r.bytes for r in rows] + [1])
    unit, div = next(((u, d) for u, d in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024))
                      if largest >= d), ("B", 1))
    colours = {True: "#4c9a5b", False: "#d9822b"}
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(rows) + 1.8), dpi=120)
    bars = ax.barh([r.dir.label[lang] for r in rows], [r.bytes / div for r in rows],
                   color=[colours[r.dir.safe] for r in rows])
    for bar, r in zip(bars, rows, strict=True):
        ax.annotate(format_size(r.bytes) if r.exists else _ABSENT[lang],
                    (bar.get_width(), bar.get_y() + bar.get_height() / 2), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=9)
    ax.set_xlabel(unit)
    ax.set_xlim(0, largest / div * 1.25)
    legend = {"en": {True: "safe to delete", False: "keep"}, "ja": {True: "削除してよい", False: "残す"}}[lang]
    ax.legend(handles=[Patch(color=colours[safe], label=legend[safe]) for safe in (True, False)],
              loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, frameon=False, fontsize=9)
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


#: Known directories that are caches: anything in them may be deleted.
CACHE_KEYS = frozenset({"work-hf", "singularity", "apptainer", "hf", "pip"})


@dataclass(frozen=True)
class CleanEntry:
    """One path :func:`clean` deletes (or would delete)."""

    path: Path
    bytes: int
    dir: KnownDir
    what: str  # cache | image | run | checkpoint | images folder | runs folder


@dataclass(frozen=True)
class CleanResult:
    """What :func:`clean` deleted, or would delete without ``confirm``."""

    entries: tuple[CleanEntry, ...]
    deleted: bool
    message: str

    @property
    def bytes(self) -> int:
        return sum(e.bytes for e in self.entries)

    def __str__(self) -> str:
        return "\n".join([self.message] + [f"  {format_size(e.bytes):>10}  {work_path(e.path)}  ({e.what})"
                                           for e in self.entries])


def classify(target: Path, site: Site, dirs: Sequence[KnownDir], *, whole: set[Path],
             home: Path) -> tuple[str, KnownDir]:
    """What ``target`` (symlinks in its parents resolved) is, and the known directory it belongs to.

    ``whole``: the folders named a second time. Raises :class:`ConfigError` saying what to name instead
    when it is not something the workshop made, or a folder holding several not named twice.
    """
    if inside(home, target):
        raise ConfigError(f"refusing to delete {target}: it is your home directory or a folder above it",
                          hint="name the cache, image, run or checkpoint to delete; nothing was deleted")
    roots = sorted(((_real(d.path), d) for d in dirs), key=lambda pair: len(pair[0].parts), reverse=True)
    work_row = next(d for d in dirs if d.key == "work")
    owner = next((d for root, d in roots if inside(target, root)), work_row)  # the innermost known directory
    if owner.key in CACHE_KEYS:
        return "cache", owner
    work, sif_dir = _real(site.work_dir), _real(site.container.sif_dir)
    runs = work / "runs"
    built = _real(work / site.container.sif)
    if target == work:
        raise ConfigError(f"refusing to delete the work directory {target} whole",
                          hint=f"name what to delete inside it: {built.name}, NAME.sif, runs/NAME, "
                               "runs/NAME/checkpoint-N; nothing was deleted")
    folders = {sif_dir: ("images folder", "every pulled image", f"single images (e.g. {sif_dir}/NAME.sif)"),
               runs: ("runs folder", "every training run",
                      f"single runs ({runs}/NAME) or checkpoints ({runs}/NAME/checkpoint-N)")}
    if target in folders:
        what, holds, singles = folders[target]
        if target not in whole:
            raise ConfigError(f"{target} holds {holds}; not deleting it whole",
                              hint=f"name {singles}, or name the folder a second time to delete it whole: "
                                   f"--whole {target}; nothing was deleted")
        return what, owner
    if target == built or (target.parent == sif_dir and target.suffix == ".sif"):
        return "image", owner
    if target.parent == runs:
        return "run", owner
    if inside(target, runs) and re.fullmatch(r"checkpoint-\d+", target.name):
        return "checkpoint", owner
    if inside(target, work):
        pulled = ", pulled *.sif" if sif_dir == work else ""
        raise ConfigError(f"refusing to delete {target}: the workshop did not make it "
                          f"(it deletes only {built.name}{pulled}, runs and checkpoints in {work})",
                          hint="delete other files yourself if you mean to; nothing was deleted")
    allowed = ", ".join(str(_real(d.path)) for d in sorted(dirs, key=lambda d: d.key))
    raise ConfigError(f"refusing to delete {target}: it is not something the workshop made",
                      hint=f"the kit deletes caches, images, runs and checkpoints inside: {allowed}; "
                           "nothing was deleted")


def clean(paths: Sequence[str | os.PathLike[str]], *, site: Site, confirm: bool = False,
          whole: Sequence[str | os.PathLike[str]] = (), home: str | os.PathLike[str] | None = None,
          env: Mapping[str, str] | None = None) -> CleanResult:
    """Delete exactly ``paths`` (``~`` expanded), each something the workshop made (:func:`classify`), only
    with ``confirm``; without it, say what would be deleted. A symbolic link is removed, never its target.

    ``whole``: folders holding several images or runs, named again so they may go whole.
    """
    if not paths:
        raise ConfigError("no paths given to clean", hint="name the exact directories or files to delete")
    home_dir = _real(_home(home))
    dirs = [d for d in known_dirs(site, home=home, env=env) if d.key != "cache"]  # other programs': never deleted
    named_whole = {_real(p) for p in whole}
    entries = []
    for raw in paths:
        target = _real(raw)
        if not os.path.lexists(target):
            raise ConfigError(f"{raw}: no such file or directory", hint="run `python -m kit storage du` to see "
                              "what exists; nothing was deleted")
        what, owner = classify(target, site, dirs, whole=named_whole, home=home_dir)
        is_file = target.is_symlink() or not target.is_dir()
        size = target.lstat().st_size if is_file else _du(target, set(), apparent=False)[0]
        entries.append(CleanEntry(target, size, owner, what))
    total = format_size(sum(e.bytes for e in entries))
    if not confirm:
        return CleanResult(tuple(entries), False, f"dry run: would delete {len(entries)} path(s), {total}; "
                           "nothing deleted (confirm=True / --yes deletes them)")
    for e in entries:
        with user_path(e.path, "delete"):
            if e.path.is_symlink() or not e.path.is_dir():
                e.path.unlink()
            else:
                shutil.rmtree(e.path)
    return CleanResult(tuple(entries), True, f"deleted {len(entries)} path(s), {total} freed")
