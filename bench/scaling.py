"""How every command grows with the template: synthetic git templates of 10, 100 and
1,000 files (``synthetic.py``), and a project holding 5,000 files of its own.

Each size gets a template at v1, a project generated from it by thibaud-admin and
one by ``copier copy`` (both with user edits, committed), then v2 (a tenth of the
files changed). Every command runs on a fresh copy where it writes; the runs are
interleaved (run 1 of every command at every size, then run 2...), so a busy spell
on a shared machine hits them all. copier and cookiecutter run beside the commands
they have a peer for.

The middleware and update commands also run on a project whose template is recorded
at a ``file://`` URL, standing in for a remote one (``https://``, ``git@``, ``gh:``):
its repository serves partial clones, as the hosts of remote templates do, and the
clones of ours and copier's are cached in the run's own cache directory, warm from
the first run on (the "cold cache" row starts from an empty one every run).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.support.large_template import (
    add_user_files,
    build_template,
    commit_all,
    edit_like_a_user,
    release_version_2,
)

from . import projects
from .peers import build_cookiecutter_template
from .report import Row, Section, print_progress

TA = projects.THIBAUD_ADMIN
BIN = Path(sys.executable).parent
#: The user's own files in the "+ user files" project.
USER_FILES = 5000


@dataclass(frozen=True)
class Size:
    """One template size, and how many files of its own the project holds."""

    files: int
    user_files: int = 0

    @property
    def label(self) -> str:
        extra = f" + {self.user_files:,} own" if self.user_files else ""
        return f"{self.files:,}{extra}"


@dataclass(frozen=True)
class Prepared:
    template: Path
    cookiecutter: Path | None
    ours: Path
    copier: Path
    #: Projects generated at v2, the newest version: nothing to update.
    ours_current: Path
    copier_current: Path
    #: ``ours`` with its template recorded at a ``file://`` URL.
    ours_url: Path


@dataclass(frozen=True)
class Measured:
    name: str
    peer_of: str | None
    argv: Callable[[Prepared, Path], Sequence[str]]
    #: Which pristine project a fresh copy is made of (None: runs where it is).
    copies: str | None = None
    #: Exit codes that mean success (update --check says 2: an update is available).
    ok: tuple[int, ...] = (0,)
    #: Each run starts with an empty cache directory (no clone of the template kept).
    cold_cache: bool = False


def _run(argv: Sequence[str], cwd: Path, ok: tuple[int, ...], cache: Path) -> float:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    started = time.perf_counter()
    completed = subprocess.run(
        list(argv), cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, check=False, env=env
    )
    elapsed = time.perf_counter() - started
    if completed.returncode not in ok:
        raise RuntimeError(
            f"{' '.join(argv)} exited {completed.returncode}:\n"
            + completed.stderr.decode(errors="replace")[-2000:]
        )
    return elapsed


def _copier_answers(project: Path, template: Path, version: str) -> None:
    # The template writes thibaud-admin's answers file, not copier's: copier update
    # needs its own, as copier copy would have written it with an answers template.
    (project / ".copier-answers.yml").write_text(
        f"_commit: {version}\n_src_path: {template}\nproject_name: shop\nsecret_key: bench\n",
        "utf-8",
    )


def _generate(template: Path, root: Path, version: str, user_files: int) -> tuple[Path, Path]:
    """A project by thibaud-admin and one by ``copier copy`` at the template's newest
    *version*, edited by their user and committed."""
    ours = root / f"ours-{version}"
    subprocess.run(
        [TA, "startproject", "shop", str(ours), "--template", str(template)],
        check=True,
        capture_output=True,
    )
    (ours / "shop" / "passthrough.py").write_text(projects.PASS_THROUGH, "utf-8")
    copier = root / f"copier-{version}"
    subprocess.run(
        [str(BIN / "copier"), "copy", "--defaults", "--quiet", "--data", "project_name=shop"]
        + ["--data", "secret_key=bench", str(template), str(copier)],
        check=True,
        capture_output=True,
    )
    _copier_answers(copier, template, version)
    for project in (ours, copier):
        add_user_files(project, user_files)
        edit_like_a_user(project)
        commit_all(project, f"generated at {version}, edited")
    return ours, copier


def _generate_at_url(template: Path, root: Path, user_files: int, cache: Path) -> Path:
    """A project by thibaud-admin from *template* given as a ``file://`` URL, edited by
    its user and committed, as :func:`_generate` makes the others."""
    # What GitHub and GitLab allow: a clone without blobs, the missing ones by id.
    for setting in ("uploadpack.allowFilter", "uploadpack.allowAnySHA1InWant"):
        subprocess.run(["git", "config", setting, "true"], cwd=template, check=True)
    ours = root / "ours-url-v1"
    subprocess.run(
        [TA, "startproject", "shop", str(ours), "--template", f"file://{template}"],
        check=True,
        capture_output=True,
        env={**os.environ, "XDG_CACHE_HOME": str(cache)},
    )
    (ours / "shop" / "passthrough.py").write_text(projects.PASS_THROUGH, "utf-8")
    add_user_files(ours, user_files)
    edit_like_a_user(ours)
    commit_all(ours, "generated at v1, edited")
    return ours


def prepare(size: Size, workdir: Path) -> Prepared:
    root = workdir / f"size-{size.files}-{size.user_files}"
    template = build_template(root / "template", size.files, release_v2=False)
    ours, copier = _generate(template, root, "v1", size.user_files)
    ours_url = _generate_at_url(template, root, size.user_files, _cache(workdir))
    release_version_2(template)
    ours_current, copier_current = _generate(template, root, "v2", size.user_files)
    cookiecutter = None
    if shutil.which("cookiecutter", path=str(BIN)):
        plain = root / "plain-template"
        shutil.copytree(template, plain, ignore=shutil.ignore_patterns(".git"))
        answers = {"project_name": "shop", "secret_key": "bench"}
        cookiecutter = build_cookiecutter_template(plain, root / "cookiecutter", answers)
    return Prepared(template, cookiecutter, ours, copier, ours_current, copier_current, ours_url)


def _cache(workdir: Path) -> Path:
    """The cache directory every run shares (warm after the first)."""
    return workdir / "cache"


def _matrix(workdir: Path) -> Path:
    """Where validate-template's one-variant matrix is (``measure`` writes it)."""
    return workdir / "one-variant.json"


def commands(workdir: Path) -> list[Measured]:
    matrix = _matrix(workdir)
    copier = str(BIN / "copier")
    return [
        Measured(
            "startproject",
            None,
            lambda p, cwd: (
                [TA, "startproject", "shop", str(cwd / "new")] + ["--template", str(p.template)]
            ),
        ),
        Measured(
            "copier copy",
            "startproject",
            lambda p, cwd: (
                [copier, "copy", "--defaults", "--quiet", "--data", "project_name=shop"]
                + ["--data", "secret_key=bench", str(p.template), str(cwd / "new")]
            ),
        ),
        Measured(
            "cookiecutter",
            "startproject",
            lambda p, cwd: (
                [str(BIN / "cookiecutter"), "--no-input", "-o", str(cwd)] + [str(p.cookiecutter)]
            ),
        ),
        Measured("update --check", None, lambda p, cwd: [TA, "update", "--check"], "ours", (3,)),
        Measured(
            "copier check-update",
            "update --check",
            lambda p, cwd: [copier, "check-update", "--quiet"],
            "copier",
            (2,),
        ),
        Measured(
            "update --check when up to date",
            None,
            lambda p, cwd: [TA, "update", "--check"],
            "ours_current",
        ),
        Measured(
            "copier check-update when up to date",
            "update --check when up to date",
            lambda p, cwd: [copier, "check-update", "--quiet"],
            "copier_current",
        ),
        Measured("update --dry-run", None, lambda p, cwd: [TA, "update", "--dry-run"], "ours"),
        Measured(
            "update", None, lambda p, cwd: [TA, "update", "--conflict", "inline"], "ours", (0, 1)
        ),
        Measured(
            "copier update",
            "update",
            lambda p, cwd: [copier, "update", "--defaults", "--quiet", "--conflict", "inline"],
            "copier",
        ),
        Measured(
            "add-asgi-middleware",
            None,
            lambda p, cwd: [TA, "add-asgi-middleware", "shop.passthrough:First"],
            "ours",
        ),
        Measured(
            "add-asgi-middleware --no-verify",
            None,
            lambda p, cwd: [TA, "add-asgi-middleware", "--no-verify", "shop.passthrough:First"],
            "ours",
        ),
        Measured("regenerate-asgi", None, lambda p, cwd: [TA, "regenerate-asgi"], "ours"),
        Measured(
            "add-asgi-middleware --no-verify (file:// URL)",
            None,
            lambda p, cwd: [TA, "add-asgi-middleware", "--no-verify", "shop.passthrough:First"],
            "ours_url",
        ),
        Measured(
            "regenerate-asgi (file:// URL)",
            None,
            lambda p, cwd: [TA, "regenerate-asgi"],
            "ours_url",
        ),
        Measured(
            "regenerate-asgi (file:// URL, cold cache)",
            None,
            lambda p, cwd: [TA, "regenerate-asgi"],
            "ours_url",
            cold_cache=True,
        ),
        Measured(
            "update --check (file:// URL)",
            None,
            lambda p, cwd: [TA, "update", "--check"],
            "ours_url",
            (3,),
        ),
        Measured(
            "update (file:// URL)",
            None,
            lambda p, cwd: [TA, "update", "--conflict", "inline"],
            "ours_url",
            (0, 1),
        ),
        Measured(
            "validate-template (1 variant)",
            None,
            lambda p, cwd: [TA, "validate-template", str(p.template), "--matrix", str(matrix)],
        ),
    ]


def measure(
    sizes: Sequence[Size], runs: int, workdir: Path, only: frozenset[str] | None = None
) -> dict[tuple[str, Size], float]:
    """The median seconds of every command (or those *only* names) at every size, runs
    interleaved."""
    prepared = {}
    for size in sizes:
        print_progress(f"scaling: preparing {size.label} files ...")
        prepared[size] = prepare(size, workdir)
    measured = [
        command
        for command in commands(workdir)
        if command.name != "cookiecutter" or prepared[sizes[0]].cookiecutter is not None
        if only is None or command.name in only
    ]
    _matrix(workdir).write_text(json.dumps([{"description": "Scaling"}]), "utf-8")
    seconds: dict[tuple[str, Size], list[float]] = {}
    scratch = workdir / "runs"
    count = 0
    for run in range(runs):
        print_progress(f"scaling: run {run + 1} of {runs} ...")
        for command in measured:
            for size in sizes:
                # The user's own files matter only where a project is read.
                if size.user_files and command.copies is None:
                    continue
                count += 1
                cwd = scratch / f"{count}"
                project = prepared[size]
                if command.copies is not None:
                    shutil.copytree(getattr(project, command.copies), cwd, symlinks=True)
                else:
                    cwd.mkdir(parents=True)
                cache = scratch / f"cache-{count}" if command.cold_cache else _cache(workdir)
                elapsed = _run(command.argv(project, cwd), cwd, command.ok, cache)
                seconds.setdefault((command.name, size), []).append(elapsed)
                shutil.rmtree(cwd, ignore_errors=True)
                if command.cold_cache:
                    shutil.rmtree(cache, ignore_errors=True)
    return {key: statistics.median(values) for key, values in seconds.items()}


def section(
    sizes: Sequence[Size], runs: int, workdir: Path, only: frozenset[str] | None = None
) -> Section:
    medians = measure(sizes, runs, workdir, only)
    plain = [size for size in sizes if not size.user_files]
    columns = (
        "command",
        *(f"{size.label} files" for size in sizes),
        *(f"x per 10x ({a.files:,}->{b.files:,})" for a, b in zip(plain, plain[1:], strict=False)),
        f"{plain[-1].files:,} vs {plain[0].files:,} files",
        f"vs peer at {plain[-1].files:,}",
    )
    rows = []
    for command in commands(workdir):
        figures = [medians.get((command.name, size)) for size in sizes]
        if all(figure is None for figure in figures):
            continue
        cells = [f"{figure:.2f} s" if figure is not None else "" for figure in figures]
        growth = []
        for a, b in zip(plain, plain[1:], strict=False):
            low, high = medians.get((command.name, a)), medians.get((command.name, b))
            ratio = (high / low) ** (1 / max(len(str(b.files)) - len(str(a.files)), 1))
            growth.append(f"{ratio:.2f}x" if low and high else "")
        first, last = medians.get((command.name, plain[0])), medians.get((command.name, plain[-1]))
        overall = f"{last / first:.2f}x" if first and last and len(plain) > 1 else ""
        versus = ""
        if command.peer_of is not None:
            ours = medians.get((command.peer_of, plain[-1]))
            theirs = medians.get((command.name, plain[-1]))
            if ours and theirs:
                versus = f"ours {ours / theirs:.2f}x"
        name = f"{command.name} (peer of {command.peer_of})" if command.peer_of else command.name
        every = [*cells, *growth, overall, versus, "", ""]
        rows.append(Row(name, every[0], every[1], every[2], tuple(every[3:])))
    return Section(
        f"Scaling with the template's size (medians of {runs} interleaved runs)",
        columns,
        rows,
        note="Synthetic git templates (tests/support/large_template.py): the bundled template plus "
        "generated files, v1 -> v2 changing a tenth of them; projects generated at v1 with "
        "a tenth of their files edited by the user, then committed. 'x per 10x' is how many "
        "times slower the command gets for ten times the files. '+ own' rows: the project "
        "also holds that many files of its own. 'when up to date' rows: projects generated at "
        "v2, the newest version.",
    )


def command_names() -> list[str]:
    """The names of the measured commands, as ``--command`` takes them."""
    return [command.name for command in commands(Path())]


def sizes_for(quick: bool) -> tuple[list[Size], int]:
    """The sizes and runs: 10, 100, 1,000 files (and 1,000 + 5,000 of the user's own),
    three runs; ``--quick``: 10 and 100 (+ 500 own), one run, for a CI smoke."""
    if quick:
        return [Size(10), Size(100), Size(100, USER_FILES // 10)], 1
    return [Size(10), Size(100), Size(1000), Size(1000, USER_FILES)], 3
