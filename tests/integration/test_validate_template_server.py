"""``validate-template --server``: each variant served by a real ASGI server on a free
127.0.0.1 port, which is always stopped."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.checks.test_validate_template import ONE_VARIANT
from tests.support.trees import copy_bundled_template
from thibaud_cli.cli import main

pytestmark = pytest.mark.servers


def _nothing_listens_on(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _served_port(message: str) -> int:
    match = re.search(r"127\.0\.0\.1:(\d+)", message)
    assert match, message
    return int(match.group(1))


@pytest.mark.parametrize("server", ["uvicorn", "hypercorn", "daphne"])
def test_bundled_template_is_served_by_a_real_server(server: str, runner: CliRunner) -> None:
    result = runner.invoke(
        main,
        [
            "validate-template",
            *ONE_VARIANT,
            "--server",
            server,
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    (variant,) = json.loads(result.output)["variants"]
    check = variant["checks"][-1]
    assert check["name"] == "server" and check["status"] == "passed"
    assert check["message"].startswith(f"{server} on 127.0.0.1:")
    assert check["message"].endswith("answered GET / with 200")
    assert _nothing_listens_on(_served_port(check["message"]))


def test_server_answering_500_fails_and_is_stopped(runner: CliRunner, tmp_path: Path) -> None:
    template = copy_bundled_template(tmp_path / "template")
    views = template / "{{ project_name }}" / "views.py.jinja"
    views.write_text(
        views.read_text().replace("    return HttpResponse(START_PAGE)", "    raise KeyError('x')")
    )
    junit = tmp_path / "report.xml"
    result = runner.invoke(
        main,
        [
            "validate-template",
            str(template),
            *ONE_VARIANT,
            "--server",
            "uvicorn",
            "--junit-xml",
            str(junit),
        ],
    )
    assert result.exit_code == 1, result.output
    line = next(line for line in result.output.splitlines() if "FAIL server:" in line)
    assert line.endswith("answered GET / with 500")
    assert _nothing_listens_on(_served_port(line))
    assert 'name="server"' in junit.read_text()


def test_server_skipped_when_settings_do_not_import(runner: CliRunner, tmp_path: Path) -> None:
    template = copy_bundled_template(tmp_path / "template")
    settings = template / "{{ project_name }}" / "settings.py.jinja"
    settings.write_text(settings.read_text() + "\nraise RuntimeError('no settings today')\n")
    result = runner.invoke(
        main,
        [
            "validate-template",
            str(template),
            *ONE_VARIANT,
            "--server",
            "uvicorn",
            "--verbose",
        ],
    )
    assert result.exit_code == 1, result.output
    assert "FAIL settings: mysite/settings.py:" in result.output
    assert "RuntimeError: no settings today" in result.output
    assert "skip server: not run: the settings module does not import" in result.output
