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
from collections.abc import Sequence
from pathlib import Path
from typing import Callable, Optional  # noqa: UP035 (Python 3.8, see Handler)

from kit.errors import KitError

# typing's Callable and Optional, not `collections.abc.Callable[..., int | None]`: an alias
# is evaluated at import time, and the training job imports this module on the workshop
# image's Python 3.8.
Handler = Callable[[argparse.Namespace], Optional[int]]  # noqa: UP006, UP035, UP045


def _cmd(sub: argparse._SubParsersAction, name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help, description=help)
    parser.set_defaults(func=handler)
    return parser


# --- lessons and slides ------------------------------------------------------


def _say(line: str) -> None:
    print(line, flush=True)


def _slides(args: argparse.Namespace) -> int:
    from kit import lessons
    from kit.errors import LessonError

    refresh: bool | list[str] = False
    if args.refresh is not None:
        refresh = True if args.refresh == [] else args.refresh
    worker = None
    if args.fit != "off":
        from kit.fit import FitWorker

        worker = FitWorker()  # Chromium starts now and measures each deck as it is rendered
    builds = lessons.build_decks(
        args.lessons or None, site=args.site, out_dir=Path(args.out), pdf=args.pdf,
        execute=not args.no_exec, max_lines=args.max_lines, refresh=refresh, report=_say,
        on_html=worker.submit if worker else None,
    )
    if worker is not None:
        from kit import fit

        if args.fit == "fail":  # every deck, also those not re-rendered
            for build in builds:
                if not build.rendered:
                    worker.submit(next(p for p in build.outputs if p.suffix == ".html"))
        try:
            bad = fit.overflowing(worker.results())
        except LessonError as exc:
            if args.fit == "fail":
                raise
            print(f"warning: fit check skipped: {exc}", file=sys.stderr)
            bad = []
        for slide in bad:
            print(f"does not fit: {slide.describe()}", file=sys.stderr)
        if bad and args.fit == "fail":
            raise fit.FitError(f"{len(bad)} slide(s) do not fit", details="\n".join(s.describe() for s in bad),
                               hint=fit.FIT_HINT)
    print("Rendered decks:")
    for build in builds:
        for path in build.outputs:
            if path.suffix != ".md":
                print(f"  {path}")
    return 0


def _lessons_fit(args: argparse.Namespace) -> int:
    from kit import fit

    html = sorted(Path(args.folder).glob("*.html"))
    if not html:
        raise KitError(f"no rendered decks (*.html) in {args.folder}", hint="run `make slides` first")
    measured = fit.check_fit(html)
    print(f"{len(measured)} slide(s) in {len(html)} deck(s) fit")
    return 0


def _lessons_import(args: argparse.Namespace) -> int:
    from kit import deckimport

    lesson = deckimport.import_deck(Path(args.deck), name=args.name, slides_dir=Path(args.slides_dir),
                                    notebooks_dir=Path(args.notebooks_dir), force=args.force)
    print(f"imported: {lesson.source} (paired with {lesson.notebook})")
    return 0


def _watch(args: argparse.Namespace) -> int:
    from kit import watch

    return watch.serve(args.lessons or None, site=args.site, out_dir=Path(args.out), port=args.port, report=_say)


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
    p = _cmd(sub, "slides", _slides, "execute lessons (cached) and render their Marp decks (HTML, optionally PDF)")
    p.add_argument("lessons", nargs="*", help="lesson names such as 00-intro, or paths to Marp decks (default: all)")
    p.add_argument("--site", default=None, help="site profile for execution (default: $KIT_SITE or 'local')")
    p.add_argument("--out", default="build/slides", help="output folder (default: build/slides)")
    p.add_argument("--pdf", action="store_true", help="also render PDF (needs Chromium)")
    p.add_argument("--no-exec", action="store_true", help="render the source without executing (quick edits)")
    p.add_argument("--max-lines", type=int, default=None, help="clip text outputs to this many lines")
    p.add_argument("--refresh", nargs="*", metavar="LESSON", default=None,
                   help="execute even if the cache holds the outputs (all lessons, or the ones named)")
    p.add_argument("--fit", choices=("warn", "fail", "off"), default="warn",
                   help="check in Chromium that every slide fits: warn (default), fail, or off")

    p = _cmd(sub, "watch", _watch, "serve the rendered decks (marp-cli server) and re-render when a lesson changes")
    p.add_argument("lessons", nargs="*", help="lesson names (default: all)")
    p.add_argument("--site", default=None)
    p.add_argument("--out", default="build/slides")
    p.add_argument("--port", type=int, default=8080)

    lp = sub.add_parser("lessons", help="check, execute and list lessons")
    lsub = lp.add_subparsers(dest="lessons_cmd", required=True)
    p = _cmd(lsub, "check", _lessons_sync_check, "check every slides/*.md is in sync with notebooks/*.ipynb")
    p.add_argument("lessons", nargs="*")
    p = _cmd(lsub, "execute", _lessons_execute, "execute lessons with papermill into an output folder")
    p.add_argument("lessons", nargs="*")
    p.add_argument("--site", default=None)
    p.add_argument("--out", default="build/executed")
    _cmd(lsub, "list", _lessons_list, "list the lessons")
    p = _cmd(lsub, "fit", _lessons_fit, "check in Chromium that every slide of the rendered decks fits")
    p.add_argument("folder", nargs="?", default="build/slides")
    p = _cmd(lsub, "import", _lessons_import, "turn a Marp deck into a paired lesson (slides/ + notebooks/)")
    p.add_argument("deck", help="the Marp Markdown deck")
    p.add_argument("--name", default=None, help="lesson name (default: the deck's file name)")
    p.add_argument("--slides-dir", default="slides")
    p.add_argument("--notebooks-dir", default="notebooks")
    p.add_argument("--force", action="store_true", help="overwrite an existing lesson of that name")


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


def _slurm_script(args: argparse.Namespace) -> int:
    from kit import slurm
    from kit.sites import load_site

    spec = slurm.hello_spec() if args.kind == "hello" else slurm.train_spec(load_site(args.site))
    if args.out is None:
        print(slurm.render_script(spec), end="")
    else:
        print(f"wrote {slurm.write_script(spec, args.out, force=args.force)}")
    return 0


def _slurm_submit(args: argparse.Namespace) -> int:
    from kit import slurm

    job = slurm.submit(args.script, site=args.site, cwd=args.cwd)
    print(f"submitted {job}\n  script: {job.script}\n  output: {job.stdout}\n  error:  {job.stderr}")
    return 0


def _slurm_status(args: argparse.Namespace) -> int:
    from kit import slurm

    print(f"{args.job}: {slurm.status(args.job)}")
    return 0


def _slurm_wait(args: argparse.Namespace) -> int:
    from kit import slurm

    slurm.wait(args.job, timeout=args.timeout, follow=not args.no_follow)
    return 0


def _slurm_cancel(args: argparse.Namespace) -> int:
    from kit import slurm

    slurm.cancel(args.job)
    print(f"cancelled {args.job}")
    return 0


def _slurm_logs(args: argparse.Namespace) -> int:
    from kit import slurm

    print(slurm.logs(args.job, lines=args.lines))
    return 0


def _slurm_queue(args: argparse.Namespace) -> int:
    from kit import slurm

    print(slurm.queue(all_users=args.all))
    return 0


def _register_slurm(sub: argparse._SubParsersAction) -> None:
    """``slurm script|submit|status|wait|cancel|logs|queue`` (kit.slurm)."""
    sp = sub.add_parser("slurm", help="write, submit and watch Slurm jobs (or run them locally without Slurm)")
    ssub = sp.add_subparsers(dest="slurm_cmd", required=True)
    p = _cmd(ssub, "script", _slurm_script, "print or write the workshop's train.sbatch or hello script")
    p.add_argument("kind", choices=["train", "hello"])
    p.add_argument("--site", default=None, help="site profile for the #SBATCH values (default: $KIT_SITE)")
    p.add_argument("-o", "--out", default=None, help="write to this file instead of printing")
    p.add_argument("--force", action="store_true", help="overwrite a different existing file")
    p = _cmd(ssub, "submit", _slurm_submit, "submit a batch script (sbatch --parsable; makes its log folders)")
    p.add_argument("script")
    p.add_argument("--site", default=None, help="site profile: picks Slurm or the local executor")
    p.add_argument("--cwd", default=None, help="folder to submit from (default: current)")
    p = _cmd(ssub, "status", _slurm_status, "show a job's state")
    p.add_argument("job", help="job id (local-N for the local executor)")
    p = _cmd(ssub, "wait", _slurm_wait, "wait for a job, showing state changes and new log lines")
    p.add_argument("job")
    p.add_argument("--timeout", type=float, default=3600, help="seconds to wait at most (default 3600)")
    p.add_argument("--no-follow", action="store_true", help="do not print the log as it grows")
    p = _cmd(ssub, "cancel", _slurm_cancel, "cancel a job (scancel)")
    p.add_argument("job")
    p = _cmd(ssub, "logs", _slurm_logs, "show a job's log paths and last lines")
    p.add_argument("job")
    p.add_argument("-n", "--lines", type=int, default=20)
    p = _cmd(ssub, "queue", _slurm_queue, "list your pending and running jobs")
    p.add_argument("--all", action="store_true", help="everyone's jobs")


# --- container and doctor (kit.container, kit.doctor, kit.storage) -------------


def _site_arg(args: argparse.Namespace):  # noqa: ANN202 - returns kit.sites.Site, imported lazily
    from kit.sites import load_site

    return load_site(args.site)


def _container_pull(args: argparse.Namespace) -> int:
    from kit import container

    result = container.pull(args.ref, args.dir, site=_site_arg(args), force=args.force, name=args.name,
                            check_space=not args.no_space_check)
    print(result)
    return 0


def _container_build(args: argparse.Namespace) -> int:
    from kit import container

    result = container.build(args.def_file, args.sif, site=_site_arg(args), fakeroot=not args.no_fakeroot,
                             force=args.force, check_space=not args.no_space_check)
    print(result)
    return 0


def _container_exec(args: argparse.Namespace) -> int:
    from kit import container

    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not argv:
        from kit.errors import ConfigError

        raise ConfigError("nothing to run", hint="python -m kit container exec -- python3 -c 'import torch'")
    cp = container.exec(args.sif, argv, site=_site_arg(args), gpu=False if args.no_gpu else None,
                        check=False, capture=False)
    return cp.returncode


def _container_check(args: argparse.Namespace) -> int:
    from kit import container

    report = container.check_imports(args.sif, args.modules or container.versions.CHECK_MODULES,
                                     site=_site_arg(args))
    print(report.to_text())
    return 0 if report.ok else 1


def _container_inspect(args: argparse.Namespace) -> int:
    from kit import container

    print(container.inspect(args.sif, args.what, site=_site_arg(args)))
    return 0


def _container_validate(args: argparse.Namespace) -> int:
    from kit import container

    site = _site_arg(args)
    ok = True
    for path in args.def_files or [site.container.def_file]:
        report = container.validate(path, site=site)
        print(report.to_text())
        ok = ok and report.ok
    return 0 if ok else 2


def _container_def(args: argparse.Namespace) -> int:
    from kit import container

    localimage = args.localimage if args.localimage is not None else (True if args.from_pulled else None)
    text = container.render_def(_site_arg(args), localimage=localimage)
    if args.out is None:
        print(text, end="")
    else:
        print(f"wrote {container.write_def(args.out, text, force=args.force)}")
    return 0


def _container_commands(args: argparse.Namespace) -> int:
    from kit import container

    site = _site_arg(args)
    lines = [
        container.pull_command(site),
        container.build_command(site, "env.def", "env.sif"),
        container.exec_command(site, "env.sif", ["python3", "-m", "kit", "train"]),
    ]
    for cmd in lines:
        print(container.shell_line(cmd))
    return 0


def _container_pins(args: argparse.Namespace) -> int:
    from kit import proc, versions

    img = versions.BASE_IMAGE
    print(f"base image: {img.ref} ({img.os}, Python {img.python}, torch {img.torch}, CUDA {img.cuda})")
    print(f"pip=={versions.PIP_VERSION}")
    for name, version in versions.PINS.items():
        print(f"{name}=={version}")
    if args.check:
        cmd = versions.resolve_command([sys.executable, "-m", "pip"])
        proc.run(cmd, hint="a pin does not resolve for the image's Python/torch: fix kit/versions.py")
        print(f"OK: the pins resolve together for Python {img.python} with torch=={img.torch}")
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from kit import doctor

    report = doctor.run_checks(args.site)
    print(doctor.render_markdown(report) if args.markdown else doctor.render_text(report))
    return report.exit_code


def _storage_du(args: argparse.Namespace) -> int:
    from kit import storage

    rows = storage.usage(_site_arg(args))
    print(storage.render_markdown(rows, lang=args.lang) if args.markdown else storage.render_text(rows, lang=args.lang))
    if args.plot:
        print(f"chart: {storage.plot_usage(rows, args.plot, lang=args.lang)}")
    return 0


def _storage_clean(args: argparse.Namespace) -> int:
    from kit import storage

    print(storage.clean(args.paths, site=_site_arg(args), confirm=args.yes))
    return 0


def _register_container(sub: argparse._SubParsersAction) -> None:
    """``container ...``, ``doctor`` and ``storage ...``."""
    site_help = "site profile (default: $KIT_SITE or 'default')"
    cp = sub.add_parser("container", help="pull, build, run and check the workshop's container",
                        description="Apptainer/Singularity steps of the workshop (host fallback without a runtime).")
    csub = cp.add_subparsers(dest="container_cmd", required=True)

    p = _cmd(csub, "pull", _container_pull, "pull the base image into the site's sif directory (skips if present)")
    p.add_argument("ref", nargs="?", help="image reference (default: the site's container.image)")
    p.add_argument("--dir", default=None, help="destination folder (default: the site's container.sif_dir)")
    p.add_argument("--name", default=None, help="file name (default: NAME_TAG.sif)")
    p.add_argument("--force", action="store_true", help="pull again and overwrite an existing .sif")
    p.add_argument("--no-space-check", action="store_true", help="skip the free-space estimate")
    p.add_argument("--site", default=None, help=site_help)

    p = _cmd(csub, "build", _container_build, "validate a definition file and build it (--fakeroot)")
    p.add_argument("--def", dest="def_file", default=None, help="definition file (default: container/env.def)")
    p.add_argument("--sif", default=None, help="output image (default: WORK_DIR/env.sif)")
    p.add_argument("--no-fakeroot", action="store_true", help="build without --fakeroot (needs root)")
    p.add_argument("--force", action="store_true", help="rebuild and overwrite an existing image")
    p.add_argument("--no-space-check", action="store_true", help="skip the free-space estimate")
    p.add_argument("--site", default=None, help=site_help)

    p = _cmd(csub, "exec", _container_exec, "run a command in the image (host Python without a runtime)")
    p.add_argument("--sif", default=None, help="image (default: WORK_DIR/env.sif)")
    p.add_argument("--no-gpu", action="store_true", help="leave out --nv")
    p.add_argument("--site", default=None, help=site_help)
    p.add_argument("argv", nargs=argparse.REMAINDER, help="-- COMMAND ARGS...")

    p = _cmd(csub, "check", _container_check, "import torch, transformers, ... inside the image; show versions")
    p.add_argument("--sif", default=None, help="image (default: WORK_DIR/env.sif)")
    p.add_argument("--modules", nargs="+", default=None, help="modules to import")
    p.add_argument("--site", default=None, help=site_help)

    p = _cmd(csub, "inspect", _container_inspect, "show an image's labels, definition file, environment ...")
    p.add_argument("sif", nargs="?", default=None, help="image (default: WORK_DIR/env.sif)")
    p.add_argument("--what", default="labels", choices=["labels", "deffile", "environment", "runscript", "test",
                                                        "helpfile"])
    p.add_argument("--site", default=None, help=site_help)

    p = _cmd(csub, "validate", _container_validate, "check definition files (errors and warnings with lines)")
    p.add_argument("def_files", nargs="*", help="definition files (default: the site's container.def_file)")
    p.add_argument("--site", default=None, help=site_help)

    p = _cmd(csub, "def", _container_def, "print or write the workshop's env.def (from kit/versions.py)")
    p.add_argument("--out", default=None, help="write here instead of printing")
    p.add_argument("--force", action="store_true", help="overwrite an existing, different file")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--localimage", default=None, help="Bootstrap: localimage from this .sif")
    g.add_argument("--from-pulled", action="store_true", help="Bootstrap: localimage from the site's pulled image")
    p.add_argument("--site", default=None, help=site_help)

    p = _cmd(csub, "commands", _container_commands, "print the site's pull, build and exec lines")
    p.add_argument("--site", default=None, help=site_help)

    p = _cmd(csub, "pins", _container_pins, "print the pinned versions (--check: resolve them with pip, needs PyPI)")
    p.add_argument("--check", action="store_true")

    p = _cmd(sub, "doctor", _doctor, "what this machine has, and which lesson steps run here")
    p.add_argument("--site", default=None, help=site_help)
    p.add_argument("--markdown", action="store_true", help="print Markdown tables")

    sp = sub.add_parser("storage", help="disk usage of the workshop's directories; delete what is safe",
                        description="Disk usage of ~/sif, the work dir, container and Hugging Face caches.")
    ssub = sp.add_subparsers(dest="storage_cmd", required=True)
    p = _cmd(ssub, "du", _storage_du, "sizes of the known directories, with what is safe to delete")
    p.add_argument("--site", default=None, help=site_help)
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--lang", default="en", choices=["en", "ja"])
    p.add_argument("--plot", default=None, metavar="PNG", help="also write a bar chart")
    p = _cmd(ssub, "clean", _storage_clean, "delete exact paths inside the known directories (dry run without --yes)")
    p.add_argument("paths", nargs="+")
    p.add_argument("--yes", action="store_true", help="really delete")
    p.add_argument("--site", default=None, help=site_help)


# --- training (kit.train, kit.bleu, kit.plot) ------------------------------------


def _train(args: argparse.Namespace) -> int:
    from kit import train as kt
    from kit.sites import load_site

    site = load_site(args.site)
    config = kt.resolve_config(
        args.profile, site=site, config_file=args.config, model=args.model, data=args.data,
        target_tokenizer=args.target_tokenizer, max_minutes=args.max_minutes, epochs=args.epochs,
        max_steps=args.max_steps, batch_size=args.batch_size, learning_rate=args.lr,
    )
    output_dir = Path(args.output_dir) if args.output_dir else site.work_dir / "runs" / config.profile
    print(f"profile {config.profile} (site {site.name}): model {config.model}, data {config.data}", flush=True)
    result = kt.train(config, output_dir, work_dir=site.work_dir, force=args.force, resume=not args.no_resume,
                      progress=args.progress)
    print(result.summary(), flush=True)
    if not result.completed and str(result.metrics.get("stop_reason", "")).startswith("signal"):
        return 143  # stopped by SIGTERM (Slurm's time limit or scancel): the usual 128 + 15
    return 0


def _translate(args: argparse.Namespace) -> int:
    from kit.errors import ConfigError
    from kit.model import translate

    if args.file and args.text:
        raise ConfigError("give sentences either with --file or as arguments, not both")
    if args.file:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
        sentences = text.splitlines()
    elif args.text:
        sentences = list(args.text)
    else:
        raise ConfigError("nothing to translate", hint="pass sentences as arguments, or --file FILE (- for stdin)")
    for line in translate(args.model, sentences, beam=args.beam, batch_size=args.batch_size,
                          max_length=args.max_length):
        print(line)
    return 0


def _bleu(args: argparse.Namespace) -> int:
    from kit.bleu import bleu_files

    print(bleu_files(args.hyp, args.ref, tokenize=args.tokenize))
    return 0


def _plot(args: argparse.Namespace) -> int:
    from kit.plot import plot_loss

    print(plot_loss(args.run_dir, args.out, x=args.x))
    return 0


def _data(args: argparse.Namespace) -> int:
    from kit.data import load_corpus

    corpus = load_corpus(args.source)
    print(corpus.describe())
    if args.preview:
        print(corpus.preview(args.preview, args.split))
    return 0


def _register_train(sub: argparse._SubParsersAction) -> None:
    """``train``, ``translate``, ``bleu``, ``plot``, ``data``."""
    from kit.bleu import TOKENIZERS

    p = _cmd(sub, "train", _train,
             "fine-tune a seq2seq model (the Slurm job's program): writes the model, metrics.json, samples.txt")
    p.add_argument("--profile", default=None,
                   help="workshop | smoke | quality (default: the site's [train] profile, with its model and data)")
    p.add_argument("--config", default=None, help="TOML file of training settings (kit.train.TrainConfig fields)")
    p.add_argument("--output-dir", default=None, help="run folder (default: <site work_dir>/runs/<profile>)")
    p.add_argument("--data", default=None,
                   help="sample | hub:mutiyama/alt | alt:DIR | DIR with train.en/train.ja/dev.en/dev.ja")
    p.add_argument("--model", default=None, help="hub id, local folder, or 'tiny' (built here from the corpus)")
    p.add_argument("--target-tokenizer", default=None, help="separate tokenizer for the Japanese labels")
    p.add_argument("--max-minutes", type=float, default=None, help="wall-clock budget; a checkpoint is kept")
    p.add_argument("--epochs", type=float, default=None, help="passes over the training data")
    p.add_argument("--max-steps", type=int, default=None, help="optimizer steps (overrides --epochs)")
    p.add_argument("--batch-size", type=int, default=None, help="examples per step")
    p.add_argument("--lr", type=float, default=None, help="learning rate")
    p.add_argument("--site", default=None, help="site profile (default: $KIT_SITE or 'default')")
    p.add_argument("--force", action="store_true", help="start over even if the run folder holds a run")
    p.add_argument("--no-resume", action="store_true", help="do not resume from the newest checkpoint")
    p.add_argument("--progress", choices=("auto", "bar", "log", "none"), default="auto",
                   help="tqdm bar, plain log lines, or auto (bar on a terminal, lines in a job log)")

    p = _cmd(sub, "translate", _translate, "translate English sentences with a trained run (one line per input)")
    p.add_argument("--model", required=True, help="run folder, checkpoint folder, model folder or hub id")
    p.add_argument("--file", default=None, help="file with one sentence a line (- for stdin)")
    p.add_argument("text", nargs="*", help="sentences to translate")
    p.add_argument("--beam", type=int, default=1, help="beam width (1: greedy)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--max-length", type=int, default=120, help="longest output, in tokens")

    p = _cmd(sub, "bleu", _bleu, "corpus BLEU and chrF of a system output against a reference (sacrebleu)")
    p.add_argument("hyp", help="system output, one sentence a line")
    p.add_argument("ref", help="reference, line-aligned with HYP")
    p.add_argument("--tokenize", choices=TOKENIZERS, default="auto",
                   help="sacrebleu tokenizer (auto: none for pre-tokenised Japanese, ja-mecab or char for raw)")

    p = _cmd(sub, "plot", _plot, "plot training vs evaluation loss from trainer_state.json (PNG)")
    p.add_argument("run_dir", help="run folder or checkpoint-* folder")
    p.add_argument("--out", default=None, help="PNG path (default: loss.png next to trainer_state.json)")
    p.add_argument("--x", choices=("auto", "step", "epoch"), default="auto")

    p = _cmd(sub, "data", _data, "describe a corpus source (and preview pairs)")
    p.add_argument("source", nargs="?", default="sample", help="sample | hub:mutiyama/alt | alt:DIR | DIR")
    p.add_argument("--preview", type=int, default=3, help="pairs to show")
    p.add_argument("--split", default="train", help="train | validation | test")


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
