"""The workshop's definition file (``env.def``), generated from :mod:`kit.versions`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from kit import versions
from kit.container.commands import pull_command, pulled_image_path, typed_in_work_dir
from kit.container.runtime import default_site
from kit.errors import ContainerError
from kit.pathio import user_path

if TYPE_CHECKING:
    from kit.sites import Site


def render_def(site: Site | None = None, *, localimage: str | os.PathLike[str] | bool | None = None,
               docker: bool = False) -> str:
    """The workshop's ``env.def`` (from :mod:`kit.versions`).

    Args:
        site: For ``localimage=True``.
        localimage: None/False: what ``container/env.def`` holds, ``Bootstrap: localimage`` from
            ``transformers-pytorch-gpu_4.35.2.sif`` in the folder the build runs in (where a plain
            ``singularity pull`` and :func:`kit.container.pull` put it). A path: from that .sif.
            True: from the site's pulled image by its full path (:func:`pulled_image_path`),
            which must exist; the file then builds from any folder (the CLI's ``--from-pulled``).
        docker: ``Bootstrap: docker`` (the CLI's ``--docker``): the build downloads the image,
            for who never pulled it.

    Raises:
        ContainerError: ``localimage=True`` and the base image is not pulled yet.
    """
    if docker:
        return versions.render_env_def(docker=True)
    if localimage is None or localimage is False:
        return versions.render_env_def()
    if localimage is True:
        site = site or default_site()
        path = pulled_image_path(site)
        if not path.exists():
            raise ContainerError(f"the base image is not pulled yet: {path} does not exist",
                                 hint=f"pull it first: {typed_in_work_dir(site, pull_command(site))}")
        return versions.render_env_def(path)
    return versions.render_env_def(Path(os.path.abspath(os.path.expanduser(os.fspath(localimage)))))


def write_def(path: str | os.PathLike[str], text: str, *, force: bool = False) -> Path:
    """Write a definition file; refuse to overwrite a different existing file unless ``force``.

    Raises:
        ContainerError: the file exists with other content and ``force`` is False.
    """
    path = Path(path)
    with user_path(path, "write the definition file"):
        if path.exists() and path.read_text(encoding="utf-8") != text and not force:
            raise ContainerError(f"{path} exists and differs from the generated definition",
                                 hint="pass --force (force=True) to overwrite it, or choose another --out")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path
