"""``python -m litmarp``: build, check, serve and import a workshop's decks.

Each subcommand parses its options and makes one library call. Errors become exit codes here and nowhere
else: a :class:`litmarp.errors.Error` prints its message (what went wrong, the evidence, what to do) and
returns its ``exit_code``. Heavy modules are imported inside the handlers so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Callable, Optional  # noqa: UP035 (Python 3.8: a workshop's doctor runs there, see run)

from litmarp import project
from litmarp.errors import Error, LessonError

# typing's, not collections.abc's: an alias is evaluated on import, and a workshop's CLI that uses run()
# may be started by a login node's Python 3.8 (kit doctor).
Handler = Callable[[argparse.Namespace], Optional[int]]  # noqa: UP006, UP035, UP045


def command(sub: argparse._SubParsersAction, name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
    """A subcommand whose handler :func:`run` calls (this command line's, and a workshop's)."""
    parser = sub.add_parser(name, help=help, description=help)
    parser.set_defaults(func=handler)
    return parser


def _say(line: str) -> None:
    print(line, flush=True)


def _slides(args: argparse.Namespace) -> int:
    from litmarp import decks, fit

    refresh: bool | list[str] = False if args.refresh is None else args.refresh or True  # --refresh alone: all
    worker = fit.FitWorker() if args.fit != "off" else None  # Chromium starts now, measures each deck as drawn
    builds = decks.build_decks(
        args.lessons or None, site=args.site, out_dir=Path(args.out), pdf=args.pdf,
        execute=not args.no_exec, max_lines=args.max_lines, refresh=refresh, report=_say,
        on_html=worker.submit if worker else None,
    )
    if worker is not None:
        if args.fit == "fail":  # every deck, also those not re-rendered
            for build in builds:
                if not build.rendered:
                    worker.submit(next(p for p in build.outputs if p.suffix == ".html"))
        try:
            measured = worker.results()
            bad = [slide for slide in measured if not slide.fits]
            if measured and not bad:
                print(f"fit: all {len(measured)} slide(s) drawn fit, no text under {fit.MIN_TEXT_PX:.0f} px")
        except LessonError as exc:
            if args.fit == "fail":
                raise
            print(f"warning: fit check skipped: {exc}", file=sys.stderr)
            bad = []
        for slide in bad:
            print(f"does not fit: {slide.describe()}", file=sys.stderr)
        if bad and args.fit == "fail":
            raise fit.unfit_error(bad)
    print("Rendered decks:")
    for build in builds:
        for path in build.outputs:
            if path.suffix != ".md":
                print(f"  {path}")
    return 0


def _fit(args: argparse.Namespace) -> int:
    from litmarp import fit

    html = sorted(Path(args.folder).glob("*.html"))
    if not html:
        raise LessonError(f"no rendered decks (*.html) in {args.folder}",
                          hint="render them first: `python -m litmarp slides --out FOLDER`")
    measured = fit.check_fit(html)
    print(f"{len(measured)} slide(s) in {len(html)} deck(s) fit")
    return 0


def _import(args: argparse.Namespace) -> int:
    from litmarp import deckimport

    lesson = deckimport.import_deck(Path(args.deck), name=args.name,
                                    slides_dir=Path(args.slides_dir) if args.slides_dir else None,
                                    notebooks_dir=Path(args.notebooks_dir) if args.notebooks_dir else None,
                                    force=args.force, run_python=args.run_python, run_bash=args.run_bash,
                                    report=_say)
    print(f"imported: {lesson.source} (paired with {lesson.notebook})")
    return 0


def _watch(args: argparse.Namespace) -> int:
    from litmarp import watch

    return watch.serve(args.lessons or None, site=args.site, out_dir=Path(args.out), port=args.port, report=_say)


def _check(args: argparse.Namespace) -> int:
    from litmarp import source

    checked = source.check_pairing(args.lessons or None)
    print(f"{len(checked)} lesson(s) in sync: {', '.join(checked)}")
    return 0


def _learner(args: argparse.Namespace) -> int:
    from litmarp import editions, source

    for written in editions.learner_notebooks(source.find_lessons(args.lessons or None), Path(args.out)):
        print(f"{written.path}: {written}" if written.kept else str(written.path))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m litmarp",
                                     description="Literate Marp decks: execute lessons and render them with "
                                                 "their outputs (the project: [tool.litmarp] in pyproject.toml).")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every command run")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    site_help = "where the lessons execute (default: the project's site-env variable, else its default-site)"

    p = command(sub, "slides", _slides, "execute lessons (cached) and render their Marp decks (HTML, optionally PDF)")
    p.add_argument("lessons", nargs="*", help="lesson names such as 00-intro, or paths to Marp decks (default: all)")
    p.add_argument("--site", default=None, help=site_help)
    p.add_argument("--out", default="build/slides", help="output folder (default: build/slides)")
    p.add_argument("--pdf", action="store_true", help="also render PDF (needs Chromium)")
    p.add_argument("--no-exec", action="store_true", help="render the source without executing (quick edits)")
    p.add_argument("--max-lines", type=int, default=None, help="clip text outputs to this many lines")
    p.add_argument("--refresh", nargs="*", metavar="LESSON", default=None,
                   help="execute even if the cache holds the outputs (all lessons, or the ones named)")
    p.add_argument("--fit", choices=("warn", "fail", "off"), default="warn",
                   help="check in Chromium that every slide fits: warn (default), fail, or off")

    p = command(sub, "watch", _watch, "serve the rendered decks (marp-cli server) and re-render when a lesson changes")
    p.add_argument("lessons", nargs="*", help="lesson names (default: all)")
    p.add_argument("--site", default=None, help=site_help)
    p.add_argument("--out", default="build/slides")
    p.add_argument("--port", type=int, default=8080)

    p = command(sub, "check", _check, "check that every lesson is in sync with its notebook, its exercises are "
             "well formed and it shows no output that no cell produced")
    p.add_argument("lessons", nargs="*")
    p = command(sub, "learner", _learner, "write the learner's notebooks (exercises, no solutions); a notebook "
             "you changed is kept")
    p.add_argument("lessons", nargs="*")
    p.add_argument("--out", default="lab")
    p = command(sub, "fit", _fit, "check in Chromium that every slide of the rendered decks fits and is readable")
    p.add_argument("folder", nargs="?", default="build/slides")
    p = command(sub, "import", _import, "turn a Marp deck into a paired lesson (slides/ + notebooks/)")
    p.add_argument("deck", help="the Marp Markdown deck")
    p.add_argument("--name", default=None, help="lesson name (default: the deck's file name)")
    p.add_argument("--slides-dir", default=None, help="default: the project's slides folder")
    p.add_argument("--notebooks-dir", default=None, help="default: the project's notebooks folder")
    p.add_argument("--force", action="store_true", help="overwrite an existing lesson of that name")
    p.add_argument("--run-python", action="store_true",
                   help="make the deck's python fences code cells that run (default: shown only, as in the deck)")
    p.add_argument("--run-bash", action="store_true",
                   help="make the deck's bash fences command cells that run (default: shown only)")
    return parser


def run(parser: argparse.ArgumentParser, argv: Sequence[str] | None = None, *,
        first: Callable[[], object] | None = None) -> int:
    """Parse ``argv``, call the chosen subcommand's handler and return the exit code: the one place where
    errors become exit codes, for this command line and a workshop's (``kit``).

    An :class:`~litmarp.errors.Error` prints ``error: <what went wrong, the evidence, what to do>`` (nothing
    when it has no message: a program run through the command line has said it all) and returns its
    ``exit_code``; Ctrl-C returns 130. ``first`` runs before the handler (this CLI: find the project).
    """
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(name)s: %(message)s")
    try:
        if first is not None:
            first()
        return int(args.func(args) or 0)
    except Error as exc:
        if str(exc):
            print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code (not in a project: says so before anything else)."""
    return run(build_parser(), argv, first=project.current)
