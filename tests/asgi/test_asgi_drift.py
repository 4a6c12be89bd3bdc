"""list-asgi-middleware says when asgi.py no longer applies the recorded chain: a wrap
deleted, an option changed, a middleware wrapped by hand, the order changed. Formatting
and comments are not a difference."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from thibaud_cli.asgi.drift import drift
from thibaud_cli.cli import main

PROXY = "uvicorn.middleware.proxy_headers:ProxyHeadersMiddleware"
TRUSTED_HOST = "starlette.middleware.trustedhost:TrustedHostMiddleware"


def listing(runner: CliRunner, project: Path) -> tuple[int, str, str]:
    result = runner.invoke(main, ["list-asgi-middleware", "--project-dir", str(project)])
    return result.exit_code, result.stdout, result.stderr


def with_two(runner: CliRunner, make_project) -> Path:  # type: ignore[no-untyped-def]
    project = make_project()
    for spec, *options in ((PROXY,), (TRUSTED_HOST, "-o", "allowed_hosts=['a.example']")):
        result = runner.invoke(
            main, ["add-asgi-middleware", spec, *options, "--project-dir", str(project)]
        )
        assert result.exit_code == 0, result.output
    return project


def edit(project: Path, old: str, new: str) -> None:
    asgi = project / "mysite" / "asgi.py"
    text = asgi.read_text("utf-8")
    assert old in text
    asgi.write_text(text.replace(old, new), "utf-8")


def test_a_matching_asgi_py_lists_quietly(runner: CliRunner, make_project) -> None:  # type: ignore[no-untyped-def]
    project = with_two(runner, make_project)
    code, out, err = listing(runner, project)
    assert code == 0
    assert out.splitlines()[0].startswith("1. " + PROXY)
    assert err == ""


def test_reformatting_and_comments_are_no_drift(runner: CliRunner, make_project) -> None:  # type: ignore[no-untyped-def]
    project = with_two(runner, make_project)
    edit(
        project,
        'application = TrustedHostMiddleware(application, allowed_hosts=["a.example"])',
        "application = TrustedHostMiddleware(  # the public host only\n"
        "    application,\n    allowed_hosts=['a.example'],\n)",
    )
    assert listing(runner, project)[2] == ""


def test_an_option_changed_by_hand_is_reported(runner: CliRunner, make_project) -> None:  # type: ignore[no-untyped-def]
    project = with_two(runner, make_project)
    edit(project, '["a.example"]', '["b.example"]')
    code, out, err = listing(runner, project)
    assert code == 0  # the listing itself is fine: a warning, on standard error
    assert len(err.strip().splitlines()) == 1
    assert "mysite/asgi.py no longer applies the chain as recorded" in err
    assert "allowed_hosts=['a.example']" in err and "allowed_hosts=['b.example']" in err


def test_a_wrap_deleted_and_one_added_by_hand_are_named(runner: CliRunner, make_project) -> None:  # type: ignore[no-untyped-def]
    project = with_two(runner, make_project)
    edit(project, "application = ProxyHeadersMiddleware(application)\n", "")
    edit(
        project,
        "# End of ASGI middleware.",
        "from mysite.extra import Extra  # noqa: E402\napplication = Extra(application)\n"
        "# End of ASGI middleware.",
    )
    err = listing(runner, project)[2]
    assert "it no longer has 'application = ProxyHeadersMiddleware(application)'" in err
    assert "it has 'application = Extra(application)', which the chain does not record" in err


def test_the_order_changed_by_hand_is_reported(runner: CliRunner, make_project) -> None:  # type: ignore[no-untyped-def]
    project = with_two(runner, make_project)
    asgi = project / "mysite" / "asgi.py"
    lines = asgi.read_text("utf-8").splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if "= ProxyHeadersMiddleware(" in line)
    lines[first], lines[first + 1] = lines[first + 1], lines[first]
    asgi.write_text("".join(lines), "utf-8")
    assert "applies the same middleware in another order" in listing(runner, project)[2]


def test_a_missing_asgi_py_says_how_to_get_it_back(runner: CliRunner, make_project) -> None:  # type: ignore[no-untyped-def]
    project = with_two(runner, make_project)
    (project / "mysite" / "asgi.py").unlink()
    code, out, err = listing(runner, project)
    assert code == 0 and PROXY in out
    assert "mysite/asgi.py is missing: 'thibaud-cli regenerate-asgi'" in err


def test_a_template_that_cannot_be_rendered_says_so_and_still_lists(
    runner: CliRunner, make_project, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from tests.support.trees import copy_bundled_template

    template = copy_bundled_template(tmp_path / "template")
    project = make_project(template=str(template))
    for path in sorted(template.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    template.rmdir()
    code, out, err = listing(runner, project)
    assert code == 0 and out.strip() == "No ASGI middleware."
    assert "mysite/asgi.py was not compared with the chain:" in err


def test_invalid_python_is_a_difference() -> None:
    assert drift("application = (", "application = get_asgi_application()\n") == (
        "it is not valid Python"
    )


def test_wraps_inside_blocks_count_in_the_files_order() -> None:
    rendered = "application = A(application)\nif x:\n    application = B(application)\n"
    swapped = "if x:\n    application = B(application)\napplication = A(application)\n"
    assert drift(rendered, rendered) is None
    assert drift(swapped, rendered) == "it applies the same middleware in another order"
