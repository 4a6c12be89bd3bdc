"""Tree builders: throwaway templates and projects from ``{path: content}``, snapshots of
a tree to compare before and after, the bundled template copied to break, and git
repositories committed with a fixed identity."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from thibaud_cli.template.source import bundled_template_path


def build_file_tree(root: Path, spec: Mapping[str, str | bytes]) -> Path:
    """Write ``{relative path: content}`` under *root* (copier's tests do the same)."""
    for relative, content in spec.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, "utf-8")
    return root


def copy_bundled_template(destination: Path) -> Path:
    """A private copy of the bundled template, for tests that break it."""
    import shutil

    shutil.copytree(bundled_template_path(), destination)
    return destination


def tree_snapshot(root: Path) -> dict[str, str]:
    """Every path under *root* with a digest of its content (or 'dir'/'link')."""
    snapshot: dict[str, str] = {}
    if not root.exists():
        return snapshot
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            relative = str(path.relative_to(root))
            if path.is_symlink():
                snapshot[relative] = f"link:{os.readlink(path)}"
            elif path.is_dir():
                snapshot[relative] = "dir"
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                snapshot[relative] = f"{digest}:{oct(path.stat().st_mode)}"
    return snapshot


# Commits in tests must not depend on the machine's git configuration.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    """Run git in *repo* with a fixed identity; return its output."""
    result = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=repo,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def git_commit_all(repo: Path, message: str, *, tag: str | None = None) -> None:
    """Commit everything in *repo* (creating the repository if needed), and tag it."""
    if not (repo / ".git").exists():
        git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    if tag is not None:
        git(repo, "tag", tag)
