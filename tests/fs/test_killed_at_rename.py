"""add-asgi-middleware killed at each of its renames (issue 25, left from the first
attack: at the third, asgi.py was wrapped while the answers file recorded nothing, and
list-asgi-middleware did not notice). Whatever rename the kill lands on, the listing
either shows a chain asgi.py applies or says a change was interrupted, and the next
command that writes the project puts it back together."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.faults import chain_is_consistent, run_with_fault, run_without_fault

PROXY = "uvicorn.middleware.proxy_headers:ProxyHeadersMiddleware"


def test_a_kill_at_any_rename_is_noticed_then_recovered(make_project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pristine = make_project()
    killed_half_way = 0
    for n in range(1, 20):
        project = tmp_path / f"killed-{n}"
        shutil.copytree(pristine, project)
        args = ["add-asgi-middleware", PROXY, "--no-verify", "--project-dir", str(project)]
        killed = run_with_fault("sigkill:renames", n, args, tmp_path)
        if "FAULT-NOT-REACHED" in killed.stderr:
            break
        assert killed.returncode == -9
        wrapped = "ProxyHeadersMiddleware(" in (project / "mysite" / "asgi.py").read_text()
        listing = run_without_fault(
            ["list-asgi-middleware", "--project-dir", str(project)], tmp_path
        )
        assert listing.returncode == 0, listing.stderr
        recorded = PROXY in listing.stdout
        if wrapped != recorded:
            killed_half_way += 1
            assert "was interrupted" in listing.stderr, (n, listing.stdout, listing.stderr)
        repair = run_without_fault(["regenerate-asgi", "--project-dir", str(project)], tmp_path)
        assert repair.returncode == 0, repair.stderr
        assert chain_is_consistent(project) in ([], ["ProxyHeadersMiddleware"])
    assert n > 3 and killed_half_way >= 1
