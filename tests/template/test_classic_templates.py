"""Django-style templates in ``startproject``: our guarantees on top of Thibaud's semantics.

Rendering runs in subprocesses: it configures Thibaud's settings, which must not leak
into the test process.
"""

from __future__ import annotations

import http.server
import io
import os
import shutil
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.support.cli import run_cli
from tests.support.trees import build_file_tree
from thibaud_cli.cli import main
from thibaud_cli.template.classic.render import ClassicOptions

TIMEOUT = 60
CLASSIC = {
    "manage.py-tpl": "# manage.py of {{ project_name }}\n",
    "project_name/__init__.py-tpl": "",
    "project_name/settings.py-tpl": (
        "SECRET_KEY = '{{ secret_key }}'\nNAME = '{{ camel_case_project_name }}'\n"
    ),
    "README.md": "{{ project_name }} is not rendered here\n",
}


def test_a_directory_renders_with_thibauds_context(tmp_path: Path) -> None:
    template = build_file_tree(tmp_path / "tpl", CLASSIC)
    done = run_cli(
        "startproject",
        "my_shop",
        "--template",
        str(template),
        cwd=tmp_path,
        module=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    project = tmp_path / "my_shop"
    assert (project / "manage.py").read_text() == "# manage.py of my_shop\n"
    settings = (project / "my_shop" / "settings.py").read_text()
    assert "SECRET_KEY = 'thibaud-insecure-" in settings and "NAME = 'MyShop'" in settings
    assert (project / "README.md").read_text() == CLASSIC["README.md"]
    assert not (project / ".thibaud-answers.yml").exists()
    assert "uvicorn" not in done.stdout  # no asgi.py: no serving hint


def test_a_project_with_an_asgi_module_gets_the_serving_hint(tmp_path: Path) -> None:
    """The framework's own project template, as an archive or a directory, has an
    asgi.py: the closing hint serves it, as after a copier template."""
    template = build_file_tree(
        tmp_path / "tpl",
        {
            **CLASSIC,
            "project_name/asgi.py-tpl": (
                "import os\n\nfrom thibaud.core.asgi import get_asgi_application\n\n"
                'os.environ.setdefault("THIBAUD_SETTINGS_MODULE", '
                '"{{ project_name }}.settings")\n\napplication = get_asgi_application()\n'
            ),
        },
    )
    done = run_cli(
        "startproject", "my_shop", "--template", str(template), cwd=tmp_path, timeout=TIMEOUT
    )
    assert done.returncode == 0, done.stderr
    assert (
        "Serve it: cd my_shop && python3 -m venv .venv && .venv/bin/pip install Thibaud "
        "uvicorn && .venv/bin/uvicorn my_shop.asgi:application\n"
    ) in done.stdout


def test_a_failing_file_leaves_nothing(tmp_path: Path) -> None:
    template = build_file_tree(
        tmp_path / "tpl", {**CLASSIC, "zz_last.py-tpl": "{% if %}\n", "aa_first.py-tpl": "x\n"}
    )
    done = run_cli(
        "startproject",
        "webapp",
        "--template",
        str(template),
        cwd=tmp_path,
        module=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 1
    assert "zz_last.py-tpl" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "webapp").exists()
    existing = tmp_path / "existing"
    (existing / "webapp").mkdir(parents=True)
    (existing / "webapp" / "settings.py").write_text("mine\n")
    done = run_cli(
        "startproject",
        "webapp",
        "existing",
        "--template",
        str(template),
        cwd=tmp_path,
        module=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 1
    assert sorted(p.name for p in existing.rglob("*")) == ["settings.py", "webapp"]


def test_a_link_out_of_the_template_is_refused(tmp_path: Path) -> None:
    template = build_file_tree(tmp_path / "tpl", CLASSIC)
    (tmp_path / "secret.txt").write_text("secret\n")
    os.symlink(tmp_path / "secret.txt", template / "leak.txt")
    done = run_cli(
        "startproject",
        "webapp",
        "--template",
        str(template),
        cwd=tmp_path,
        module=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 1
    assert "leak.txt' is a link leading out" in done.stderr
    assert not (tmp_path / "webapp").exists()


class _Handler(http.server.BaseHTTPRequestHandler):
    archive = b""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path != "/owner/repo/archive/main.zip":
            self.send_error(404)
            return
        self.send_response(302)
        self.send_header("Location", "/codeload/repo-main.zip")
        self.end_headers()

    def do_HEAD(self) -> None:  # noqa: N802
        self.send_error(405)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class _CodeloadHandler(_Handler):
    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("/codeload/"):
            self.send_response(200)
            self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Disposition", "attachment; filename=repo-main.zip")
            self.send_header("Content-Length", str(len(self.archive)))
            self.end_headers()
            self.wfile.write(self.archive)
            return
        super().do_GET()


@contextmanager
def github_like(archive: bytes) -> Iterator[str]:
    """A server answering /owner/repo/archive/main.zip as GitHub does (a redirect)."""
    handler = type("Handler", (_CodeloadHandler,), {"archive": archive})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_a_github_archive_url_renders(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, content in CLASSIC.items():
            bundle.writestr(f"repo-main/{name}", content)
    with github_like(buffer.getvalue()) as base:
        url = f"{base}/owner/repo/archive/main.zip"
        done = run_cli(
            "startproject", "webapp", "--template", url, cwd=tmp_path, module=True, timeout=TIMEOUT
        )
        assert done.returncode == 0, done.stderr
        assert (tmp_path / "webapp" / "webapp" / "settings.py").is_file()
        missing = run_cli(
            "startproject",
            "other",
            "--template",
            f"{base}/owner/gone/archive/main.zip",
            cwd=tmp_path,
            module=True,
            timeout=TIMEOUT,
        )
    assert missing.returncode == 1
    assert missing.stderr.count("\n") == 1 and "answered 404" in missing.stderr
    assert not (tmp_path / "other").exists()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_git_repository_without_copier_yml_renders_at_its_newest_tag(tmp_path: Path) -> None:
    repo = build_file_tree(tmp_path / "repo", CLASSIC)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]

    def commit(tag: str) -> None:
        for command in (["add", "."], ["commit", "-qm", tag], ["tag", tag]):
            subprocess.run([*git, *command], cwd=repo, check=True, capture_output=True)

    subprocess.run([*git, "init", "-q"], cwd=repo, check=True, capture_output=True)
    commit("v1.0")
    (repo / "manage.py-tpl").write_text("# v2 of {{ project_name }}\n")
    commit("v2.0")
    (repo / "manage.py-tpl").write_text("# unreleased\n")
    subprocess.run([*git, "commit", "-qam", "wip"], cwd=repo, check=True, capture_output=True)
    args = ["startproject", "webapp", "--template", f"file://{repo}", "-e", "md"]
    done = run_cli(*args, cwd=tmp_path, module=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    project = tmp_path / "webapp"
    assert (project / "manage.py").read_text() == "# v2 of webapp\n"
    assert (project / "README.md").read_text() == "webapp is not rendered here\n"
    assert not (project / ".git").exists() and not (project / ".thibaud-answers.yml").exists()
    refused = run_cli(
        "startproject",
        "other",
        "--template",
        f"file://{repo}",
        "--data",
        "a=b",
        cwd=tmp_path,
        module=True,
        timeout=TIMEOUT,
    )
    assert refused.returncode == 2 and "asks no questions" in refused.stderr
    missing = run_cli(
        "startproject",
        "other",
        "--template",
        "file:///nonexistent",
        cwd=tmp_path,
        module=True,
        timeout=TIMEOUT,
    )
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1
    assert not (tmp_path / "other").exists()


def test_the_command_delegates_thibauds_options(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[dict[str, object]] = []

    def recording(name: str, directory: Path | None, **kwargs: object) -> object:
        calls.append(kwargs)
        from thibaud_cli.operations.startproject import StartedProject

        return StartedProject(name=name, directory=tmp_path, files=(), dry_run=True)

    monkeypatch.setattr("thibaud_cli.operations.startproject.start_project", recording)
    args = ["startproject", "webapp", "--template", "t", "-e", "txt,md", "-n", "Procfile", "-x"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert calls[0]["classic_options"] == ClassicOptions(("txt,md",), ("Procfile",), ("",))


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["-e", "txt"], "apply to Django-style templates"),
        (["-x", "docs"], "apply to Django-style templates"),
    ],
)
def test_thibauds_options_are_refused_for_copier_templates(
    tmp_path: Path, args: list[str], says: str
) -> None:
    result = CliRunner().invoke(main, ["startproject", "webapp", str(tmp_path / "out"), *args])
    assert result.exit_code == 2 and says in result.output
    assert not (tmp_path / "out").exists()


def test_data_is_refused_for_a_django_style_template(tmp_path: Path) -> None:
    template = build_file_tree(tmp_path / "tpl", CLASSIC)
    result = CliRunner().invoke(
        main,
        [
            "startproject",
            "webapp",
            str(tmp_path / "o"),
            "--template",
            str(template),
            "--data",
            "a=b",
        ],
    )
    assert result.exit_code == 2 and "asks no questions" in result.output


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_thibauds_options_are_refused_for_a_copier_git_template(tmp_path: Path) -> None:
    repo = build_file_tree(
        tmp_path / "repo", {"copier.yml": "_templates_suffix: .jinja\n", "a.txt": "a\n"}
    )
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for command in (["init", "-q"], ["add", "."], ["commit", "-qm", "t"], ["tag", "v1"]):
        subprocess.run([*git, *command], cwd=repo, check=True, capture_output=True)
    args = ["startproject", "webapp", "--template", f"file://{repo}", "-x", "docs"]
    done = run_cli(*args, cwd=tmp_path, module=True, timeout=TIMEOUT)
    assert done.returncode == 2 and "apply to Django-style templates" in done.stderr
    assert not (tmp_path / "webapp").exists()


def test_thibauds_own_project_template_renders_as_thibaud_renders_it(tmp_path: Path) -> None:
    import re

    import thibaud

    template = Path(thibaud.__path__[0]) / "conf" / "project_template"
    ours, stock = tmp_path / "ours", tmp_path / "stock"
    ours.mkdir()
    stock.mkdir()
    done = run_cli(
        "startproject",
        "webapp",
        "--template",
        str(template),
        cwd=ours,
        module=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    reference = subprocess.run(
        [sys.executable, "-m", "thibaud", "startproject", "webapp"],
        cwd=stock,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert reference.returncode == 0, reference.stderr

    def tree(root: Path) -> dict[str, tuple[str, int]]:
        key = re.compile(r"SECRET_KEY = '[^']*'")
        return {
            path.relative_to(root).as_posix(): (
                key.sub("SECRET_KEY = ...", path.read_text()),
                path.stat().st_mode,
            )
            for path in sorted(root.rglob("*"))
            if path.is_file()
        }

    assert tree(ours / "webapp") == tree(stock / "webapp")


def test_a_render_that_never_ends_is_stopped(tmp_path: Path) -> None:
    loops = "".join("{% for c" + str(i) + " in secret_key %}" for i in range(8))
    ends = "{% endfor %}" * 8
    template = build_file_tree(tmp_path / "tpl", {"manage.py-tpl": loops + "x" + ends})
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from thibaud_cli.errors import TemplateError\n"
        "from thibaud_cli.template.classic.render import ClassicOptions\n"
        "from thibaud_cli.template.classic.fetch import render_classic_source\n"
        "from thibaud_cli.template.source import resolve_template\n"
        "source = resolve_template(sys.argv[1])\n"
        "try:\n"
        "    render_classic_source(source, Path(sys.argv[2]), name='webapp',\n"
        "        project_directory=sys.argv[2], options=ClassicOptions(),\n"
        "        scratch=Path(sys.argv[2] + '-scratch'), user_agent='t')\n"
        "except TemplateError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(template), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={**os.environ, "THIBAUD_RENDER_TIMEOUT": "1"},
    )
    assert "took longer than 1 s to render" in done.stdout, done.stderr


def test_an_archive_of_a_copier_template_is_refused_with_how(tmp_path: Path) -> None:
    archive = tmp_path / "copier-template.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("t/copier.yml", "_templates_suffix: .jinja\n")
        bundle.writestr("t/manage.py.jinja", "# {{ project_name }}\n")
    done = run_cli(
        "startproject",
        "webapp",
        "--template",
        str(archive),
        cwd=tmp_path,
        module=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 1 and "holds a copier template" in done.stderr
    assert not (tmp_path / "webapp").exists()
