"""``python -m kit``: a thin command line over the kit's library.

Each subcommand parses its options and makes one library call. Errors become
exit codes here and nowhere else: a :class:`kit.errors.KitError` prints its
message (what went wrong, the evidence, what to do) and returns its
``exit_code``.

Heavy modules are imported inside the handlers so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from kit.errors import KitError

Handler = Callable[[argparse.Namespace], int | None]


def _cmd(sub: argparse._SubParsersAction, name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help, description=help)
    parser.set_defaults(func=handler)
    return parser


# --- lessons and slides ------------------------------------------------------


def _slides(args: argparse.Namespace) -> int:
    from kit import lessons

    outputs = lessons.build_slides(
        args.lessons or None, site=args.site, out_dir=Path(args.out), pdf=args.pdf,
        execute=not args.no_exec, max_lines=args.max_lines,
    )
    print("Rendered decks:")
    for path in outputs:
        print(f"  {path}")
    return 0


def _lessons_sync_check(args: argparse.Namespace) -> int:
    from kit import lessons

    checked = lessons.check_pairing(args.lessons or None)
    print(f"{len(checked)} lesson(s) in sync: {', '.join(checked)}")
    return 0


def _lessons_execute(args: argparse.Namespace) -> int:
    from kit import lessons

    for path in lessons.execute_lessons(args.lessons or None, site=args.site, out_dir=Path(args.out)):
        print(f"executed: {path}")
    return 0


def _lessons_list(args: argparse.Namespace) -> int:
    from kit import lessons

    for lesson in lessons.find_lessons():
        print(f"{lesson.name}\t{lesson.title}")
    return 0


def _register_lessons(sub: argparse._SubParsersAction) -> None:
    p = _cmd(sub, "slides", _slides, "execute lessons and render their Marp decks (HTML, optionally PDF)")
    p.add_argument("lessons", nargs="*", help="lesson names such as 00-intro (default: all)")
    p.add_argument("--site", default=None, help="site profile for execution (default: $KIT_SITE or 'local')")
    p.add_argument("--out", default="build/slides", help="output folder (default: build/slides)")
    p.add_argument("--pdf", action="store_true", help="also render PDF (needs Chromium)")
    p.add_argument("--no-exec", action="store_true", help="render the source without executing (quick edits)")
    p.add_argument("--max-lines", type=int, default=None, help="clip text outputs to this many lines")

    lp = sub.add_parser("lessons", help="check, execute and list lessons")
    lsub = lp.add_subparsers(dest="lessons_cmd", required=True)
    p = _cmd(lsub, "check", _lessons_sync_check, "check every slides/*.md is in sync with notebooks/*.ipynb")
    p.add_argument("lessons", nargs="*")
    p = _cmd(lsub, "execute", _lessons_execute, "execute lessons with papermill into an output folder")
    p.add_argument("lessons", nargs="*")
    p.add_argument("--site", default=None)
    p.add_argument("--out", default="build/executed")
    _cmd(lsub, "list", _lessons_list, "list the lessons")


# --- sites -------------------------------------------------------------------


def _sites_show(args: argparse.Namespace) -> int:
    from kit.sites import available_sites, load_site

    if args.name is None:
        for name in available_sites():
            print(f"{name}\t{load_site(name).description}")
        return 0
    site = load_site(args.name)
    print(site)
    return 0


def _register_sites(sub: argparse._SubParsersAction) -> None:
    p = _cmd(sub, "sites", _sites_show, "list site profiles, or show one merged")
    p.add_argument("name", nargs="?")


# --- slurm (kit.slurm) ---------------------------------------------------------


def _register_slurm(sub: argparse._SubParsersAction) -> None:
    """``slurm submit|status|wait|cancel|logs|queue``; filled in by kit.slurm's owner."""


# --- container and doctor (kit.container, kit.doctor, kit.storage) -------------


def _register_container(sub: argparse._SubParsersAction) -> None:
    """``container ...``, ``doctor`` and ``storage ...``; filled in by kit.container's owner."""


# --- training (kit.train, kit.bleu, kit.plot) ------------------------------------


def _register_train(sub: argparse._SubParsersAction) -> None:
    """``train``, ``translate``, ``bleu``, ``plot``, ``data``; filled in by kit.train's owner."""


# --- entry point ---------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m kit",
        description="Workshop kit: lessons, slides, containers, Slurm and BART fine-tuning.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every command run")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in (_register_lessons, _register_sites, _register_slurm, _register_container, _register_train):
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except KitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
