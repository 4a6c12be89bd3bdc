"""Issue 7, item 5: 20,000 requests at concurrency 64 through Uvicorn against a
generated project with the README's production settings, plain and wrapped in three
ASGI middleware added with ``thibaud-admin add-asgi-middleware``: no errors, no lost
responses, and the server's memory flat."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.cli import BIN_DIR
from tests.support.deploy import (
    generate_project,
    readme_command,
    readme_production_env,
    serve_readme_command,
)
from tests.support.load_client import LoadResult, run_load
from tests.support.servers import project_env

pytestmark = [pytest.mark.servers, pytest.mark.load]

REQUESTS = 20_000
CONCURRENCY = 64
WARM_UP = 1_000
#: No request is started after this many seconds: a server that slows down fails the
#: test (requests not sent) instead of holding the suite.
TIME_LIMIT = 60.0
#: Growth of the server's resident memory over the run that still counts as flat.
RSS_GROWTH_LIMIT = 50 * 1024 * 1024

HOST = "example.com"
# The TLS proxy's request: Uvicorn trusts X-Forwarded-Proto from 127.0.0.1 by default.
HEADERS = [("Host", HOST), ("X-Forwarded-Proto", "https")]

# Three real ASGI middleware, innermost first: the project's own guard, Uvicorn's
# proxy headers, and a correlation id whose response header proves the chain ran.
CHAIN = [
    ["mysite.asgi_guard.RequestGuard"],
    ["uvicorn.middleware.proxy_headers.ProxyHeadersMiddleware"],
    ["asgi_correlation_id.CorrelationIdMiddleware"],
]
CHAIN_HEADER = "X-Request-ID"


def resident_memory(pid: int) -> int:
    """The process's resident set size in bytes, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def workers_of(pid: int) -> list[int]:
    """The processes *pid* started (Uvicorn's workers), from /proc."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return sorted(children)


def workers_memory(pid: int) -> int:
    return sum(resident_memory(worker) for worker in workers_of(pid))


def add_middleware(project: Path, arguments: list[str]) -> None:
    result = subprocess.run(
        [str(BIN_DIR / "thibaud-admin"), "add-asgi-middleware", *arguments],
        cwd=project,
        env=project_env(project),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def load_figures(case: str, result: LoadResult, before: int, after: int) -> str:
    mib = 1024 * 1024
    return (
        f"\n[load {case}] requests={result.sent}/{result.requests}"
        f" concurrency={result.concurrency}"
        f" answered={result.answered} statuses={dict(result.statuses)}"
        f" errors={len(result.errors)} duration={result.duration:.1f}s"
        f" req/s={result.per_second:.0f} rss_before={before / mib:.1f}MiB"
        f" rss_after={after / mib:.1f}MiB growth={(after - before) / mib:+.1f}MiB"
    )


@pytest.mark.parametrize("case", ["plain", "three middleware"])
def test_twenty_thousand_requests_all_answered_with_flat_memory(tmp_path: Path, case: str) -> None:
    project = generate_project(tmp_path)
    if case == "three middleware":
        for arguments in CHAIN:
            add_middleware(project, arguments)
    # Two workers, one per core, as the README's command does with four: the memory
    # measured is theirs, summed.
    line = readme_command(project, "Uvicorn", "uvicorn ").replace("--workers 4", "--workers 2")
    env = readme_production_env(project)
    with serve_readme_command(line, project, env=env, host_header=HOST) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        # Caches, lazy imports and the template loader settle before measuring.
        warm_up = run_load(port, requests=WARM_UP, concurrency=CONCURRENCY, headers=HEADERS)
        assert warm_up.statuses == {200: WARM_UP}, warm_up.errors[:5]
        workers = workers_of(server.process.pid)
        assert len(workers) >= 2, workers
        before = workers_memory(server.process.pid)
        result = run_load(
            port,
            requests=REQUESTS,
            concurrency=CONCURRENCY,
            headers=HEADERS,
            count_header=CHAIN_HEADER,
            time_limit=TIME_LIMIT,
        )
        after = workers_memory(server.process.pid)
        assert server.process.poll() is None
        assert workers_of(server.process.pid) == workers  # no worker died and was replaced
    print(load_figures(case, result, before, after))
    assert result.sent == REQUESTS
    assert result.errors == []
    assert result.statuses == {200: REQUESTS}
    assert result.marked == (REQUESTS if case == "three middleware" else 0)
    assert after - before < RSS_GROWTH_LIMIT
