"""Reading a git repository for a template: a command's output, with git's failure told
as a template error in one line, and the tags of a repository, local or remote.

Below the template wing (``template/gitrefs.py`` and copier's error translation both use
it), so that neither reaches up to the other for a repository's tags.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from thibaud_cli.errors import TemplateError
from thibaud_cli.vcs.git import run_git
from thibaud_cli.vcs.partial_clone import git_dir_args


def read_git(*args: str, cwd: Path | None = None, bare: bool = False) -> str:
    """``git *args`` in *cwd*: a work tree, or (*bare*) a cached partial clone, named."""
    command = git_dir_args(cwd, *args) if bare and cwd is not None else list(args)
    try:
        # Only ls-remote reaches another machine; the rest read a local repository.
        completed = run_git(command, cwd=cwd, check=True, network=args[0] == "ls-remote")
    except (OSError, subprocess.CalledProcessError) as error:
        reason = (getattr(error, "stderr", "") or str(error)).strip().splitlines()
        raise TemplateError(
            f"git could not read the template: {reason[-1] if reason else error}. Check the "
            "URL and your network, or give a local directory."
        ) from error
    except subprocess.TimeoutExpired as error:
        raise TemplateError(
            f"git could not read the template: no answer within {error.timeout:g} seconds. "
            "Check the URL and your network, or give a local directory."
        ) from error
    return completed.stdout


def _ls_remote_target(url: str) -> str:
    path = Path(url).expanduser()
    # ls-remote wants an absolute path for a local repository (as copier gives it).
    return path.resolve().as_posix() if path.exists() else url.removeprefix("git+")


def remote_tags(url: str) -> dict[str, str]:
    """Every tag of the repository at *url*, with the commit it names."""
    tags: dict[str, str] = {}
    for line in read_git("ls-remote", "--tags", "--", _ls_remote_target(url)).splitlines():
        sha, _, ref = line.partition("\t")
        name = ref.removeprefix("refs/tags/")
        if name.endswith("^{}"):
            tags[name.removesuffix("^{}")] = sha  # an annotated tag: the commit it points at
        else:
            tags.setdefault(name, sha)
    return tags
