"""The workshop's definition file (``env.def``), generated from :mod:`kit.versions`."""

from __future__ import annotations

import os
from pathlib import Path

from kit import versions
from kit.container.commands import pull_command, pulled_image_path, typed_in_work_dir
from kit.errors import ContainerError
from kit.pathio import user_path
from kit.sites import Site, load_site


def render_def(site: Site | None = None, *, localimage: str | os.PathLike[str] | bool | None = None,
               docker: bool = False) -> str:
    """The workshop's ``env.def`` (from :mod:`kit.versions`).

    ``localimage``: None/False: the committed form (the pulled image by name, found in the folder the build
    runs in); a path: from that .sif; True: from the site's pulled image by its full path, which must
    exist, so that the file builds from any folder (``--from-pulled``).
    """
    if docker or not localimage:
        return versions.render_env_def(docker=docker)
    if localimage is True:
        site = site or load_site()
        path = pulled_image_path(site)
        if not path.exists():
            raise ContainerError(f"the base image is not pulled yet: {path} does not exist",
                                 hint=f"pull it first: {typed_in_work_dir(site, pull_command(site))}")
        return versions.render_env_def(path)
    return versions.render_env_def(Path(os.path.abspath(os.path.expanduser(os.fspath(localimage)))))


def write_def(path: str | os.PathLike[str], text: str, *, force: bool = False) -> Path:
    """Write a definition file; refuse to overwrite a different existing file unless ``force``."""
    path = Path(path)
    with user_path(path, "write the definition file"):
        if path.exists() and path.read_text(encoding="utf-8") != text and not force:
            raise ContainerError(f"{path} exists and differs from the generated definition",
                                 hint="pass --force (force=True) to overwrite it, or choose another --out")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path
