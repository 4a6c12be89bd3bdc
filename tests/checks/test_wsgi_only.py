"""A WSGI-only template (a ``wsgi.py``, no ``asgi.py``, as Django templates were before
ASGI) passes on its WSGI checks: there is nothing to serve over ASGI, and nothing to
declare."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tests.support.real_templates import django_like_template
from thibaud_cli.cli.app import main

NOTHING_OVER_ASGI = "a WSGI-only project (no ASGI module): nothing to serve over ASGI"


def test_a_wsgi_only_template_passes_on_its_wsgi_checks(runner: CliRunner, tmp_path: Path) -> None:
    template = django_like_template(tmp_path / "template", hooks=False)
    (template / "config" / "asgi.py.jinja").unlink()
    result = runner.invoke(
        main,
        ["validate-template", str(template), "--format", "json", "--server", "uvicorn"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] is True
    assert any("nothing to serve over ASGI" in note for note in report["notes"])
    for variant in report["variants"]:
        checks = {check["name"]: check for check in variant["checks"]}
        assert checks["wsgi"]["status"] == "passed"
        assert checks["wsgi"]["message"] == "GET / answered 200"
        assert checks["entry-points"]["status"] == "passed"
        assert "WSGI only" in checks["entry-points"]["message"]
        assert "declare" not in json.dumps(checks)
        for name in ("asgi", "server"):
            assert (checks[name]["status"], checks[name]["message"]) == (
                "skipped",
                NOTHING_OVER_ASGI,
            )
        assert checks["manage-check"]["status"] == "passed"


def test_a_template_with_neither_entry_point_still_fails(runner: CliRunner, tmp_path: Path) -> None:
    template = django_like_template(tmp_path / "template", hooks=False)
    (template / "config" / "asgi.py.jinja").unlink()
    (template / "config" / "wsgi.py").unlink()
    result = runner.invoke(
        main, ["validate-template", str(template), "--variant", "defaults", "--format", "json"]
    )
    assert result.exit_code == 1
    checks = {check["name"]: check for check in json.loads(result.output)["variants"][0]["checks"]}
    assert checks["entry-points"]["status"] == "failed"
    assert "get_asgi_application()" in checks["entry-points"]["message"]
    assert checks["asgi"]["status"] == "failed" and checks["wsgi"]["status"] == "failed"
