"""The command line of the cluster side: ``sites``, ``slurm``, ``container``, ``doctor``, ``storage``.

Registered by :func:`kit.cli.build_parser`. As everywhere in the CLI, each handler
parses its options and makes one library call; errors become exit codes only in
:func:`kit.cli.main`. Imported by ``python -m kit train --help`` on the workshop
image's Python 3.8, so it stays 3.8-importable.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable  # noqa: UP035 (Python 3.8)

from kit.cli import SITE_HELP, _cmd

# --- sites -------------------------------------------------------------------


def _sites_show(args: argparse.Namespace) -> None:
    from kit import sites

    print(sites.describe(args.name))


def _register_sites(sub: argparse._SubParsersAction) -> None:
    p = _cmd(sub, "sites", _sites_show, "list site profiles, or show one merged")
    p.add_argument("name", nargs="?")


# --- slurm (kit.slurm) ---------------------------------------------------------


def _slurm_script(args: argparse.Namespace) -> None:
    from kit import job, slurm

    spec = job.workshop_spec(args.kind, site=args.site, program_args=args.program_args)
    _emit(slurm.render_script(spec), args.out, lambda: slurm.write_script(spec, args.out, force=args.force))


def _slurm_submit(args: argparse.Namespace) -> None:
    from kit import slurm

    print(slurm.submit(args.script, site=args.site, cwd=args.cwd).describe())


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
    p = _cmd(ssub, "script", _slurm_script, "print or write the workshop's train.sbatch or hello script")
    p.add_argument("kind", choices=["train", "hello"])
    p.add_argument("--site", default=None, help=SITE_HELP + " for the #SBATCH values")
    p.add_argument("-o", "--out", default=None, help="write to this file instead of printing")
    p.add_argument("--force", action="store_true", help="overwrite a different existing file")
    p.add_argument("--args", dest="program_args", nargs=argparse.REMAINDER, default=[], metavar="ARG",
                   help="train: everything after --args is appended to the program in the exec line "
                        "(e.g. --args --max-minutes 30); give it last")
    p = _cmd(ssub, "submit", _slurm_submit, "submit a batch script (sbatch --parsable; makes its log folders)")
    p.add_argument("script")
    p.add_argument("--site", default=None, help=SITE_HELP + ": picks Slurm or the local executor")
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
        from kit.errors import ConfigError

        raise ConfigError("nothing to run", hint="python -m kit container exec -- python3 -c 'import torch'")
    container.run_interactive(args.sif, argv, site=_site_arg(args), gpu=False if args.no_gpu else None)


def _container_check(args: argparse.Namespace) -> None:
    from kit import container

    report = container.check_imports(args.sif, args.modules or container.versions.CHECK_MODULES,
                                     site=_site_arg(args))
    print(report.to_text())
    report.raise_for_failure()


def _container_inspect(args: argparse.Namespace) -> None:
    from kit import container

    print(container.inspect(args.sif, args.what, site=_site_arg(args)))


def _container_validate(args: argparse.Namespace) -> None:
    from kit import container

    reports = container.validate_files(args.def_files, site=_site_arg(args))
    print(reports.to_text())
    reports.raise_for_errors()


def _container_def(args: argparse.Namespace) -> None:
    from kit import container

    text = container.render_def(_site_arg(args), localimage=args.localimage, from_pulled=args.from_pulled,
                                docker=args.docker)
    _emit(text, args.out, lambda: container.write_def(args.out, text, force=args.force))


def _container_commands(args: argparse.Namespace) -> None:
    from kit import container

    print(container.site_commands_text(_site_arg(args)))


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
    site_help = SITE_HELP
    cp = sub.add_parser("container", help="pull, build, run and check the workshop's container",
                        description="Apptainer/Singularity steps of the workshop (host fallback without a runtime).")
    csub = cp.add_subparsers(dest="container_cmd", required=True)

    p = _cmd(csub, "pull", _container_pull, "pull the base image into the site's work directory (skips if present)")
    p.add_argument("ref", nargs="?", help="image reference (default: the site's container.image)")
    p.add_argument("--dir", default=None,
                   help="destination folder (default: the site's container.sif_dir, which defaults to its work dir)")
    p.add_argument("--name", default=None, help="file name (default: NAME_TAG.sif)")
    p.add_argument("--force", action="store_true", help="pull again and overwrite an existing .sif")
    p.add_argument("--no-space-check", action="store_true", help="skip the free-space estimate")
    p.add_argument("--site", default=None, help=site_help)

    p = _cmd(csub, "build", _container_build,
             "validate a definition file and build it (--fakeroot), in the site's work directory")
    p.add_argument("--def", dest="def_file", default=None,
                   help="definition file (default: env.def in the work directory, a copy of the site's "
                        "container.def_file, kept when you edit it)")
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
    g.add_argument("--localimage", default=None, help="Bootstrap: localimage from this .sif (by its full path)")
    g.add_argument("--from-pulled", action="store_true",
                   help="Bootstrap: localimage from the site's pulled image, by its full path (default: by its "
                        "name, found in the folder the build runs in)")
    g.add_argument("--docker", action="store_true",
                   help="Bootstrap: docker: the build downloads the base image (nothing pulled needed)")
    p.add_argument("--site", default=None, help=site_help)

    p = _cmd(csub, "commands", _container_commands, "print the site's pull, build and exec lines")
    p.add_argument("--site", default=None, help=site_help)

    p = _cmd(csub, "pins", _container_pins, "print the pinned versions (--check: resolve them with pip, needs PyPI)")
    p.add_argument("--check", action="store_true")

    p = _cmd(sub, "doctor", _doctor, "what this machine has, and which lesson steps run here")
    p.add_argument("--site", default=None, help=site_help)
    p.add_argument("--markdown", action="store_true", help="print Markdown tables")

    sp = sub.add_parser("storage", help="disk usage of the workshop's directories; delete what is safe",
                        description="Disk usage of the work dir (pulled images, env.sif, runs), container and "
                                    "Hugging Face caches.")
    ssub = sp.add_subparsers(dest="storage_cmd", required=True)
    p = _cmd(ssub, "du", _storage_du, "sizes of the known directories, with what is safe to delete")
    p.add_argument("--site", default=None, help=site_help)
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--lang", default="en", choices=["en", "ja"])
    p.add_argument("--plot", default=None, metavar="PNG", help="also write a bar chart")
    p = _cmd(ssub, "clean", _storage_clean,
             "delete what the workshop made (caches, images, runs, checkpoints) by exact path; dry run without --yes")
    p.add_argument("paths", nargs="+")
    p.add_argument("--yes", action="store_true", help="really delete")
    p.add_argument("--whole", metavar="PATH", action="append", default=[],
                   help="name a folder that holds several runs or images a second time to delete it whole")
    p.add_argument("--site", default=None, help=site_help)


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``sites``, ``slurm``, ``container``, ``doctor`` and ``storage`` to the parser."""
    for add in (_register_sites, _register_slurm, _register_container):
        add(sub)
