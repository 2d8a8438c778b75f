"""``python -m kit``: a thin command line over the kit's library, one library call per subcommand (errors
become exit codes in :func:`litmarp.cli.run`, the engine's as well).

Each handler imports the library it calls: ``--help`` stays fast, and ``python3 -m kit doctor``
imports no third-party package, so that it runs on a login node's bare ``python3`` (3.8 or newer)
to say what is missing there. Every other command runs with the project's ``.venv`` (Python 3.10
or newer); none runs inside the container image.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Callable  # noqa: UP035 (Python 3.8: kit doctor imports this module)

from kit.errors import ConfigError
from litmarp.cli import command, run

#: The one wording of the default site (kit.sites.load_site: $KIT_SITE, else local).
SITE_HELP = "site profile (default: $KIT_SITE, else 'local')"


# --- training (kit.train, kit.bleu, kit.plot) ------------------------------------


def _train(args: argparse.Namespace) -> None:
    from kit.runs import train_profile

    train_profile(args.site, profile=args.profile, data=args.data, extra_args=args.program_args, nproc=args.nproc)


def _program(args: argparse.Namespace) -> None:
    from kit import program

    if args.action == "write":
        print(f"wrote {program.write_program()} from {program.LESSON.name}")
    else:
        program.check_program()
        print(f"{program.PROGRAM.name} matches the program cells of {program.LESSON.name}")


def _translate(args: argparse.Namespace) -> None:
    from kit.translation import translate

    if args.file and args.text:
        raise ConfigError("give sentences either with --file or as arguments, not both")
    if args.file:
        from kit.pathio import read_user_text

        text = sys.stdin.read() if args.file == "-" else read_user_text(args.file, "input file")
        sentences = text.splitlines()
        if not any(s.strip() for s in sentences):
            where = "standard input" if args.file == "-" else args.file
            raise ConfigError(f"{where} is empty: there is nothing to translate",
                              hint="put one English sentence on each line of the file (e.g. the data's test.en)")
    elif args.text:
        sentences = list(args.text)
    else:
        raise ConfigError("nothing to translate", hint="pass sentences as arguments, or --file FILE (- for stdin)")
    for line in translate(args.model, sentences, beam=args.beam, batch_size=args.batch_size,
                          max_length=args.max_length):
        print(line)


def _bleu(args: argparse.Namespace) -> None:
    from kit.bleu import bleu_files

    print(bleu_files(args.hyp, args.ref, tokenize=args.tokenize))


def _plot(args: argparse.Namespace) -> None:
    from kit.plot import plot_loss

    print(plot_loss(args.run_dir, args.out, x=args.x))


def _results(args: argparse.Namespace) -> None:
    from kit.train import load_run

    summary = load_run(args.run_dir)
    print(summary)
    print(summary.samples_text, end="")


def _data(args: argparse.Namespace) -> None:
    from kit.data import load_corpus

    corpus = load_corpus(args.source)
    print(corpus.describe())
    if args.preview:
        print(corpus.preview(args.preview, args.split))


def _catchup(args: argparse.Namespace) -> None:
    from kit.catchup import catch_up

    catch_up(args.lesson, args.site, image=Path(args.image) if args.image else None)


def _register_train(sub: argparse._SubParsersAction) -> None:
    """``catchup``, ``train``, ``translate``, ``bleu``, ``plot``, ``results``, ``data``."""
    from kit.bleu import TOKENIZERS

    p = command(sub, "catchup", _catchup, "arrived late, or a step failed? put into the work folder what the lessons "
             "before LESSON leave (the program, the job script, a finished run, the image)")
    p.add_argument("lesson", help="the lesson to start at: 02, 03, 04 or 05")
    p.add_argument("--site", default=None, help=SITE_HELP)
    p.add_argument("--image", default=None, help="a shared env.sif to link instead of building one")

    p = command(sub, "train", _train,
             "run bart_finetuning.py with a training profile's arguments, in the site's work folder")
    p.add_argument("--profile", default=None,
                   help="workshop | smoke | brief | quality (default: the site's [train] profile)")
    p.add_argument("--data", default=None, help="folder with train/dev[/test].{en,ja} instead of the profile's data")
    p.add_argument("--nproc", type=int, default=1, help="processes (torchrun; one per GPU)")
    p.add_argument("--site", default=None, help=SITE_HELP)
    p.add_argument("program_args", nargs=argparse.REMAINDER,
                   help="more options for the program after --, e.g. -- --output_dir runs/try1 --num_train_epochs 3")

    p = command(sub, "program", _program, "write bart_finetuning.py from lesson 02, or check that they agree")
    p.add_argument("action", choices=("write", "check"))

    p = command(sub, "translate", _translate, "translate English sentences with a trained run (one line per input)")
    p.add_argument("--model", required=True, help="run folder, checkpoint folder, model folder or hub id")
    p.add_argument("--file", default=None, help="file with one sentence a line (- for stdin)")
    p.add_argument("text", nargs="*", help="sentences to translate")
    p.add_argument("--beam", type=int, default=1, help="beam width (1: greedy)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--max-length", type=int, default=120, help="longest output, in tokens")

    p = command(sub, "bleu", _bleu, "corpus BLEU and chrF of a system output against a reference (sacrebleu)")
    p.add_argument("hyp", help="system output, one sentence a line")
    p.add_argument("ref", help="reference, line-aligned with HYP")
    p.add_argument("--tokenize", choices=TOKENIZERS, default="auto",
                   help="sacrebleu tokenizer (auto: none for pre-tokenised Japanese, ja-mecab or char for raw)")

    p = command(sub, "plot", _plot, "plot training vs evaluation loss from trainer_state.json (PNG)")
    p.add_argument("run_dir", help="run folder or checkpoint-* folder")
    p.add_argument("--out", default=None, help="PNG path (default: loss.png next to trainer_state.json)")
    p.add_argument("--x", choices=("auto", "step", "epoch"), default="auto")

    p = command(sub, "results", _results, "a finished run's BLEU, losses and sample translations (metrics.json, "
             "samples.txt)")
    p.add_argument("run_dir", help="the program's --output_dir (runs/job-<id>)")

    p = command(sub, "data", _data, "describe a corpus source (and preview pairs)")
    p.add_argument("source", nargs="?", default="sample",
                   help="sample | DIR (train/dev[/test].{en,ja}); ALT is loaded by bart_finetuning.py itself")
    p.add_argument("--preview", type=int, default=3, help="pairs to show")
    p.add_argument("--split", default="train", choices=("train", "validation", "test"))


# --- slurm (kit.slurm) ---------------------------------------------------------


def _slurm_script(args: argparse.Namespace) -> None:
    from kit import job, slurm

    spec = job.workshop_spec(args.kind, site=args.site, program_args=args.program_args)
    _emit(slurm.render_script(spec), args.out, lambda: slurm.write_script(spec, args.out, force=args.force))


def _slurm_submit(args: argparse.Namespace) -> None:
    from kit import slurm

    print(slurm.submit(args.script, site=_site_arg(args) if args.site else None, cwd=args.cwd).describe())


def _slurm_status(args: argparse.Namespace) -> None:
    from kit import slurm

    print(f"{args.job}: {slurm.status(args.job)}")


def _slurm_wait(args: argparse.Namespace) -> None:
    from kit import slurm

    slurm.wait(args.job, timeout=args.timeout, follow=not args.no_follow)


def _slurm_cancel(args: argparse.Namespace) -> None:
    from kit import slurm

    slurm.cancel(args.job)
    print(f"cancelled {args.job}")


def _slurm_logs(args: argparse.Namespace) -> None:
    from kit import slurm

    print(slurm.logs(args.job, lines=args.lines))


def _slurm_queue(args: argparse.Namespace) -> None:
    from kit import slurm

    print(slurm.queue(all_users=args.all))


def _register_slurm(sub: argparse._SubParsersAction) -> None:
    """``slurm script|submit|status|wait|cancel|logs|queue`` (kit.slurm)."""
    sp = sub.add_parser("slurm", help="write, submit and watch Slurm jobs (or run them locally without Slurm)")
    ssub = sp.add_subparsers(dest="slurm_cmd", required=True)
    p = command(ssub, "script", _slurm_script, "print or write the workshop's train.sbatch or hello script")
    p.add_argument("kind", choices=["train", "hello"])
    p.add_argument("--site", default=None, help=SITE_HELP + " for the #SBATCH values")
    p.add_argument("-o", "--out", default=None, help="write to this file instead of printing")
    p.add_argument("--force", action="store_true", help="overwrite a different existing file")
    p.add_argument("--args", dest="program_args", nargs=argparse.REMAINDER, default=[], metavar="ARG",
                   help="train: everything after --args is appended to the program in the exec line "
                        "(e.g. --args --max-minutes 30); give it last")
    p = command(ssub, "submit", _slurm_submit, "submit a batch script (sbatch --parsable; makes its log folders)")
    p.add_argument("script")
    p.add_argument("--site", default=None, help=SITE_HELP + ": picks Slurm or the local executor")
    p.add_argument("--cwd", default=None, help="folder to submit from (default: current)")
    p = command(ssub, "status", _slurm_status, "show a job's state")
    p.add_argument("job", help="job id (local-N for the local executor)")
    p = command(ssub, "wait", _slurm_wait, "wait for a job, showing state changes and new log lines")
    p.add_argument("job")
    p.add_argument("--timeout", type=float, default=3600, help="seconds to wait at most (default 3600)")
    p.add_argument("--no-follow", action="store_true", help="do not print the log as it grows")
    p = command(ssub, "cancel", _slurm_cancel, "cancel a job (scancel)")
    p.add_argument("job")
    p = command(ssub, "logs", _slurm_logs, "show a job's log paths and last lines")
    p.add_argument("job")
    p.add_argument("-n", "--lines", type=int, default=20)
    p = command(ssub, "queue", _slurm_queue, "list your pending and running jobs")
    p.add_argument("--all", action="store_true", help="everyone's jobs")


# --- container and doctor (kit.container, kit.doctor, kit.storage) -------------


def _site_arg(args: argparse.Namespace):  # noqa: ANN202 - returns kit.sites.Site, imported lazily
    from kit.sites import load_site

    return load_site(args.site)


def _emit(text: str, out: str | None, write: Callable[[], Path]) -> None:
    """Print ``text``, or (with ``--out``) write it and print where."""
    if out is None:
        print(text, end="" if text.endswith("\n") else "\n")
    else:
        print(f"wrote {write()}")


def _container_pull(args: argparse.Namespace) -> None:
    from kit import container

    print(container.pull(args.ref, args.dir, site=_site_arg(args), force=args.force, name=args.name,
                         check_space=not args.no_space_check))


def _container_build(args: argparse.Namespace) -> None:
    from kit import container

    print(container.build(args.def_file, args.sif, site=_site_arg(args), fakeroot=not args.no_fakeroot,
                          force=args.force, check_space=not args.no_space_check))


def _container_exec(args: argparse.Namespace) -> None:
    from kit import container

    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not argv:
        raise ConfigError("nothing to run", hint="python -m kit container exec -- python3 -c 'import torch'")
    container.run_interactive(args.sif, argv, site=_site_arg(args), gpu=False if args.no_gpu else None)


def _container_check(args: argparse.Namespace) -> None:
    from kit import container, versions

    report = container.check_imports(args.sif, args.modules or versions.CHECK_MODULES, site=_site_arg(args))
    print(report.to_text())
    report.raise_for_failure()


def _container_validate(args: argparse.Namespace) -> None:
    from kit import container

    reports = container.validate_files(args.def_files, site=_site_arg(args))
    print(reports.to_text())
    reports.raise_for_errors()


def _container_def(args: argparse.Namespace) -> None:
    from kit import container

    text = container.render_def(_site_arg(args), localimage=True if args.from_pulled else args.localimage,
                                docker=args.docker)
    _emit(text, args.out, lambda: container.write_def(args.out, text, force=args.force))


def _container_pins(args: argparse.Namespace) -> None:
    from kit import versions

    print(versions.pins_text())
    if args.check:
        print(versions.check_pins())


def _doctor(args: argparse.Namespace) -> None:
    from kit import doctor

    report = doctor.run_checks(args.site)
    print(doctor.render_markdown(report) if args.markdown else doctor.render_text(report))
    report.raise_for_missing()


def _storage_du(args: argparse.Namespace) -> None:
    from kit import storage

    print(storage.du_report(_site_arg(args), markdown=args.markdown, lang=args.lang, plot=args.plot))


def _storage_clean(args: argparse.Namespace) -> None:
    from kit import storage

    print(storage.clean(args.paths, site=_site_arg(args), confirm=args.yes, whole=args.whole))


def _register_container(sub: argparse._SubParsersAction) -> None:
    """``container ...``, ``doctor`` and ``storage ...``."""
    cp = sub.add_parser("container", help="pull, build, run and check the workshop's container",
                        description="Apptainer/Singularity steps of the workshop (host fallback without a runtime).")
    csub = cp.add_subparsers(dest="container_cmd", required=True)

    p = command(csub, "pull", _container_pull, "pull the base image into the site's work directory (skips if present)")
    p.add_argument("ref", nargs="?", help="image reference (default: the site's container.image)")
    p.add_argument("--dir", default=None,
                   help="destination folder (default: the site's container.sif_dir, which defaults to its work dir)")
    p.add_argument("--name", default=None, help="file name (default: NAME_TAG.sif)")
    p.add_argument("--force", action="store_true", help="pull again and overwrite an existing .sif")
    p.add_argument("--no-space-check", action="store_true", help="skip the free-space estimate")

    p = command(csub, "build", _container_build,
             "validate a definition file and build it (--fakeroot), in the site's work directory")
    p.add_argument("--def", dest="def_file", default=None,
                   help="definition file (default: env.def in the work directory, a copy of the site's "
                        "container.def_file, kept when you edit it)")
    p.add_argument("--sif", default=None, help="output image (default: WORK_DIR/env.sif)")
    p.add_argument("--no-fakeroot", action="store_true", help="build without --fakeroot (needs root)")
    p.add_argument("--force", action="store_true", help="rebuild and overwrite an existing image")
    p.add_argument("--no-space-check", action="store_true", help="skip the free-space estimate")

    p = command(csub, "exec", _container_exec, "run a command in the image (host Python without a runtime)")
    p.add_argument("--sif", default=None, help="image (default: WORK_DIR/env.sif)")
    p.add_argument("--no-gpu", action="store_true", help="leave out --nv")
    p.add_argument("argv", nargs=argparse.REMAINDER, help="-- COMMAND ARGS...")

    p = command(csub, "check", _container_check, "import torch, transformers, ... inside the image; show versions")
    p.add_argument("--sif", default=None, help="image (default: WORK_DIR/env.sif)")
    p.add_argument("--modules", nargs="+", default=None, help="modules to import")

    p = command(csub, "validate", _container_validate, "check definition files (errors and warnings with lines)")
    p.add_argument("def_files", nargs="*", help="definition files (default: the site's container.def_file)")

    p = command(csub, "def", _container_def, "print or write the workshop's env.def (from kit/versions.py)")
    p.add_argument("--out", default=None, help="write here instead of printing")
    p.add_argument("--force", action="store_true", help="overwrite an existing, different file")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--localimage", default=None, help="Bootstrap: localimage from this .sif (by its full path)")
    g.add_argument("--from-pulled", action="store_true",
                   help="Bootstrap: localimage from the site's pulled image, by its full path (default: by its "
                        "name, found in the folder the build runs in)")
    g.add_argument("--docker", action="store_true",
                   help="Bootstrap: docker: the build downloads the base image (nothing pulled needed)")

    for p in csub.choices.values():  # every step so far; pins needs no site
        p.add_argument("--site", default=None, help=SITE_HELP)
    p = command(csub, "pins", _container_pins, "print the pinned versions (--check: resolve them with pip, needs PyPI)")
    p.add_argument("--check", action="store_true")

    p = command(sub, "doctor", _doctor, "what this machine has, and which lesson steps run here")
    p.add_argument("--site", default=None, help=SITE_HELP)
    p.add_argument("--markdown", action="store_true", help="print Markdown tables")

    sp = sub.add_parser("storage", help="disk usage of the workshop's directories; delete what is safe",
                        description="Disk usage of the work dir (pulled images, env.sif, runs), container and "
                                    "Hugging Face caches.")
    ssub = sp.add_subparsers(dest="storage_cmd", required=True)
    p = command(ssub, "du", _storage_du, "sizes of the known directories, with what is safe to delete")
    p.add_argument("--site", default=None, help=SITE_HELP)
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--lang", default="en", choices=["en", "ja"])
    p.add_argument("--plot", default=None, metavar="PNG", help="also write a bar chart")
    p = command(ssub, "clean", _storage_clean,
             "delete what the workshop made (caches, images, runs, checkpoints) by exact path; dry run without --yes")
    p.add_argument("paths", nargs="+")
    p.add_argument("--yes", action="store_true", help="really delete")
    p.add_argument("--whole", metavar="PATH", action="append", default=[],
                   help="name a folder that holds several runs or images a second time to delete it whole")
    p.add_argument("--site", default=None, help=SITE_HELP)


# --- entry point ---------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m kit",
        description="Workshop kit: sites, containers, Slurm and BART fine-tuning (the decks: python -m litmarp).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every command run")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in (_register_slurm, _register_container, _register_train):
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (errors become exit codes in :func:`litmarp.cli.run`)."""
    return run(build_parser(), argv)
