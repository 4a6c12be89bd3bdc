"""The project lock: commands that write a project take it, a second one waits briefly
and is then refused in one line, and two at once lose nothing (real processes)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from tests.support.cli import start_cli
from tests.support.faults import chain_is_consistent, run_with_fault
from tests.support.trees import git, git_commit_all, tree_snapshot
from thibaud_cli.fs.lock import CONTROL_DIRNAME, LOCK_WAIT_SECONDS, project_lock

REPO = Path(__file__).resolve().parents[2]
SPECS = {
    "uvicorn.middleware.proxy_headers:ProxyHeadersMiddleware": "ProxyHeadersMiddleware",
    "asgi_correlation_id:CorrelationIdMiddleware": "CorrelationIdMiddleware",
}


def test_two_concurrent_add_asgi_middleware_lose_nothing(make_project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pristine = make_project()
    for round_ in range(3):
        project = tmp_path / f"round{round_}"
        shutil.copytree(pristine, project)
        processes = {
            name: start_cli(
                *("add-asgi-middleware", spec, "--no-verify", "--project-dir", str(project)),
                cwd=project,
                module=True,
            )
            for spec, name in SPECS.items()
        }
        added = set()
        for name, process in processes.items():
            out, err = process.communicate(timeout=120)
            if process.returncode == 0:
                added.add(name)
            else:  # it waited longer than the lock allows (a very busy machine)
                assert process.returncode == 1, err
                assert len(err.strip().splitlines()) == 1 and "is changing" in err, err
        assert added
        assert set(chain_is_consistent(project)) == added
        assert not (project / CONTROL_DIRNAME).exists()


def test_a_second_command_waits_then_is_refused_in_one_line(make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    before = tree_snapshot(project)
    with project_lock(project):
        started = time.monotonic()
        process = start_cli(
            *("add-asgi-middleware", next(iter(SPECS)), "--no-verify", "--project-dir"),
            str(project),
            cwd=project,
            module=True,
        )
        out, err = process.communicate(timeout=120)
        waited = time.monotonic() - started
    assert process.returncode == 1
    assert out == ""
    assert err.strip().splitlines() == [
        f"Error: Another thibaud-admin command (process {os.getpid()}) is changing "
        f"'{project}' and did not finish within {LOCK_WAIT_SECONDS:g} seconds: nothing was "
        "done. Run this one again once it has."
    ]
    assert waited >= LOCK_WAIT_SECONDS
    assert tree_snapshot(project) == before


def test_the_lock_is_ignored_by_git_and_gone_once_the_command_ends(make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    git_commit_all(project, "generated")
    with project_lock(project):
        assert (project / CONTROL_DIRNAME / "lock").read_text() == f"{os.getpid()}\n"
        assert git(project, "status", "--porcelain", "--ignored") == f"!! {CONTROL_DIRNAME}/\n"
    assert not (project / CONTROL_DIRNAME).exists()


def test_a_lock_left_by_a_killed_command_does_not_block_the_next(
    make_project, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    spec = next(iter(SPECS))
    args = ["add-asgi-middleware", spec, "--no-verify", "--project-dir", str(project)]
    assert run_with_fault("sigkill", 1, args, tmp_path).returncode == -9
    assert (project / CONTROL_DIRNAME / "lock").exists()
    started = time.monotonic()
    process = start_cli(*args, cwd=project, module=True)
    assert process.communicate(timeout=120)[1] == ""
    assert process.returncode == 0
    assert time.monotonic() - started < LOCK_WAIT_SECONDS
    assert chain_is_consistent(project) == ["ProxyHeadersMiddleware"]
    assert not (project / CONTROL_DIRNAME).exists()


def test_thousands_of_concurrent_acquisitions_all_wait(tmp_path: Path) -> None:
    """Issue 25: 25 of 12,000 acquisitions failed with 'File exists: .thibaud-admin' when
    a holder removed the control directory between another's mkdir and its check."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from thibaud_cli.fs.lock import project_lock\n"
        "failed = 0\n"
        "for _ in range(int(sys.argv[2])):\n"
        "    try:\n"
        "        with project_lock(Path(sys.argv[1]), wait=600):\n"
        "            pass\n"
        "    except Exception as error:\n"
        "        failed += 1\n"
        "        print(type(error).__name__, error, file=sys.stderr)\n"
        "print(failed)\n"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path), "500"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    for process in processes:
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
        assert out.strip() == "0", err
    assert not (tmp_path / CONTROL_DIRNAME).exists()
