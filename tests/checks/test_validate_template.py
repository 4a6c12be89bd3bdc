"""``thibaud-admin validate-template``: broken copies of the bundled template fail with
the file and the problem named, in every report; the bundled template passes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from tests.support.cli import BIN_DIR
from tests.support.trees import build_file_tree, copy_bundled_template
from thibaud_cli.checks.variants import default_variants
from thibaud_cli.cli import main

PACKAGE = "{{ project_name }}"
#: Fixing every choice and boolean of the bundled template leaves a single variant.
ONE_VARIANT = [
    *("--data", "python_version=3.12"),
    *("--data", "database=sqlite"),
    *("--data", "cache=locmem"),
    *("--data", "docker=true"),
    *("--data", "ci=github"),
]
ONE_VARIANT_NAME = "python_version=3.12, database=sqlite, cache=locmem, docker=true, ci=github"


def edit(template: Path, relative: str, old: str, new: str) -> None:
    path = template / relative
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {relative}: the bundled template changed"
    path.write_text(text.replace(old, new, 1), "utf-8")


def append(template: Path, relative: str, text: str) -> None:
    path = template / relative
    path.write_text(path.read_text("utf-8") + text, "utf-8")


def validate(runner: CliRunner, *args: str | Path) -> Result:
    return runner.invoke(main, ["validate-template", *map(str, args)])


def junit_failures(path: Path) -> dict[tuple[str, str], ElementTree.Element]:
    """(variant, check) -> the failed testcase element."""
    root = ElementTree.parse(path).getroot()
    return {
        (suite.get("name", ""), case.get("name", "")): case
        for suite in root.iter("testsuite")
        for case in suite.iter("testcase")
        if case.find("failure") is not None
    }


def checks_by_name(report: dict[str, object], variant: int = 0) -> dict[str, dict[str, object]]:
    variants = report["variants"]
    assert isinstance(variants, list)
    return {check["name"]: check for check in variants[variant]["checks"]}


# The bundled template ------------------------------------------------------------


def test_bundled_template_passes_every_check_in_every_variant(
    runner: CliRunner, tmp_path: Path
) -> None:
    junit = tmp_path / "report.xml"
    result = validate(runner, "--format", "json", "--junit-xml", junit)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] is True
    # Five questions of two values each make 32 combinations, past the cap of 12: a
    # pairwise set, the defaults first (every pair of values appears in some variant).
    assert [variant["name"] for variant in report["variants"]] == [
        "defaults",
        "database=postgresql, cache=redis, docker=False, ci=none",
        "python_version=3.13, cache=redis, ci=none",
        "python_version=3.13, database=postgresql, docker=False",
        "docker=False, ci=none",
        "database=postgresql",
        "cache=redis",
    ]
    for variant in report["variants"]:
        assert [check["name"] for check in variant["checks"]] == [
            "render",
            "undefined",
            "leftovers",
            "compile",
            "framework",
            "entry-points",
            "settings",
            "asgi",
            "wsgi",
            "manage-check",
        ]
        assert {check["status"] for check in variant["checks"]} == {"passed"}
    checks = checks_by_name(report)
    assert checks["asgi"]["message"] == "GET / answered 200"
    assert checks["wsgi"]["message"] == "GET / answered 200"
    assert "no issues" in str(checks["manage-check"]["message"])
    root = ElementTree.parse(junit).getroot()
    assert root.get("tests") == str(7 * 10) and root.get("failures") == "0"  # variants x checks


def test_text_report_without_a_terminal_has_no_progress(runner: CliRunner) -> None:
    result = validate(runner, *ONE_VARIANT)
    assert result.exit_code == 0, result.output
    assert "Validating variants" not in result.output and "[1/1]" not in result.output
    assert result.output.splitlines()[-1] == (
        "Passed: 1 variant(s), 10 checks passed, 0 failed, 0 skipped."
    )


def test_a_progress_line_per_variant_on_a_terminal(tmp_path: Path) -> None:
    """On a TTY, a line per variant as it finishes; the report follows them."""
    primary, secondary = os.openpty()
    try:
        process = subprocess.Popen(
            [str(BIN_DIR / "thibaud-admin"), "validate-template", *ONE_VARIANT],
            stdin=subprocess.DEVNULL,
            stdout=secondary,
            stderr=secondary,
            cwd=tmp_path,
        )
        os.close(secondary)
        output = b""
        while True:
            try:
                chunk = os.read(primary, 4096)
            except OSError:  # the terminal closes when the process ends
                break
            if not chunk:
                break
            output += chunk
        assert process.wait(timeout=60) == 0, output
    finally:
        os.close(primary)
    text = output.decode()
    assert "Validating variants: 1 to run." in text
    assert "[1/1] ok   " in text
    assert text.index("[1/1]") < text.index("Passed: 1 variant(s)")


# Broken templates ------------------------------------------------------------------

Breakage = Callable[[Path], None]


def jinja_syntax_error(template: Path) -> None:
    append(template, f"{PACKAGE}/settings.py.jinja", "\n{% if %}\n")


def undefined_variable(template: Path) -> None:
    edit(
        template,
        f"{PACKAGE}/urls.py.jinja",
        "from thibaud.contrib import admin",
        "from thibaud.contrib import admin  # {{ undefined_setting }}",
    )


def undefined_attribute(template: Path) -> None:
    # An attribute of an undefined name: copier's own render fails on it too.
    edit(
        template,
        f"{PACKAGE}/urls.py.jinja",
        "from thibaud.contrib import admin",
        "from thibaud.contrib import admin  # {{ undefined_setting.value }}",
    )


def asgi_without_application(template: Path) -> None:
    # Every use renamed, not only the first assignment: asgi.py wraps it again later.
    path = template / f"{PACKAGE}/asgi.py.jinja"
    text = path.read_text("utf-8")
    assert "application = get_asgi_application()" in text, "the bundled template changed"
    path.write_text(re.sub(r"\bapplication\b", "app", text), "utf-8")


def wrong_settings_default(template: Path) -> None:
    edit(
        template,
        f"{PACKAGE}/asgi.py.jinja",
        '"THIBAUD_SETTINGS_MODULE", "{{ project_name }}.settings"',
        '"THIBAUD_SETTINGS_MODULE", "config.settings"',
    )


def python_syntax_error_in_urls(template: Path) -> None:
    append(template, f"{PACKAGE}/urls.py.jinja", "\nurlpatterns += [\n")


def settings_that_fail_to_import(template: Path) -> None:
    append(template, f"{PACKAGE}/settings.py.jinja", "\nimport a_module_nobody_installed\n")


def view_that_raises(template: Path) -> None:
    edit(
        template,
        f"{PACKAGE}/views.py.jinja",
        "    return HttpResponse(START_PAGE)",
        '    raise LookupError("the start page lost its template")',
    )


BROKEN = {
    # name: (breakage, failed checks, file named, words in the message)
    "jinja-syntax-error": (
        jinja_syntax_error,
        {"render"},
        f"{PACKAGE}/settings.py.jinja",
        "Jinja syntax error",
    ),
    "undefined-variable": (  # with --strict-undefined
        undefined_variable,
        {"undefined"},
        f"{PACKAGE}/urls.py.jinja",
        "'undefined_setting' is undefined",
    ),
    "asgi-without-application": (
        asgi_without_application,
        {"entry-points", "asgi"},
        "mysite/asgi.py",
        "does not define `application`",
    ),
    "wrong-settings-default": (
        wrong_settings_default,
        {"entry-points", "asgi"},
        "mysite/asgi.py",
        "defaults THIBAUD_SETTINGS_MODULE to 'config.settings'",
    ),
    "syntax-error-in-urls": (  # at the template's file, where the author fixes it
        python_syntax_error_in_urls,
        {"compile", "asgi", "wsgi", "manage-check"},
        f"{PACKAGE}/urls.py.jinja",
        "SyntaxError",
    ),
    "settings-fail-to-import": (
        settings_that_fail_to_import,
        {"settings"},
        "mysite/settings.py",
        "No module named 'a_module_nobody_installed'",
    ),
    "view-raises": (
        view_that_raises,
        {"asgi", "wsgi"},
        "mysite/views.py",
        "answered 500: LookupError: the start page lost its template",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_template_fails_naming_the_file_and_the_problem(
    case: str, runner: CliRunner, tmp_path: Path
) -> None:
    breakage, failed_checks, file, problem = BROKEN[case]
    template = copy_bundled_template(tmp_path / "template")
    breakage(template)
    junit = tmp_path / "report.xml"

    result = validate(runner, template, *ONE_VARIANT, "--junit-xml", junit, "--strict-undefined")

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"{file}:" in result.output or f"{file} " in result.output
    assert problem in result.output
    assert result.output.splitlines()[-1].startswith("Failed: 1 of 1 variant(s)")
    failures = junit_failures(junit)
    assert {check for _, check in failures} == failed_checks
    # The first failing check names the file in the JUnit report too.
    first = next(
        failures[key] for key in failures if key[1] == min(failed_checks, key=CHECK_ORDER.index)
    )
    assert first.get("file") == file
    failure = first.find("failure")
    assert failure is not None and problem in failure.get("message", "")


CHECK_ORDER = [
    "render",
    "undefined",
    "leftovers",
    "compile",
    "framework",
    "entry-points",
    "settings",
    "asgi",
    "wsgi",
    "manage-check",
]


def test_render_failure_skips_the_later_checks_and_gives_the_line(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = copy_bundled_template(tmp_path / "template")
    undefined_attribute(template)
    result = validate(runner, template, *ONE_VARIANT, "--format", "json")
    assert result.exit_code == 1
    checks = checks_by_name(json.loads(result.output))
    assert checks["render"]["status"] == "failed"
    assert checks["render"]["file"] == f"{PACKAGE}/urls.py.jinja"
    line = (template / PACKAGE / "urls.py.jinja").read_text().splitlines().index(
        "from thibaud.contrib import admin  # {{ undefined_setting.value }}"
    ) + 1
    assert checks["render"]["line"] == line
    assert {checks[name]["status"] for name in CHECK_ORDER[1:]} == {"skipped"}


def test_json_report_gives_status_file_line_and_message_of_every_check(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = copy_bundled_template(tmp_path / "template")
    python_syntax_error_in_urls(template)
    result = validate(runner, template, *ONE_VARIANT, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ok"] is False
    assert report["summary"]["failed"] == 4
    for check in report["variants"][0]["checks"]:
        assert set(check) >= {"name", "status", "file", "line", "message"}
    compile_check = checks_by_name(report)["compile"]
    urls_lines = (template / PACKAGE / "urls.py.jinja").read_text().splitlines()
    assert compile_check["file"] == f"{PACKAGE}/urls.py.jinja"
    # The unclosed bracket is reported on the line that opens it, the last one.
    assert compile_check["line"] == len(urls_lines)


def test_unrendered_template_code_in_a_python_file_fails(runner: CliRunner, tmp_path: Path) -> None:
    template = copy_bundled_template(tmp_path / "template")
    # No .jinja suffix: copier copies it as is, braces and all.
    build_file_tree(template, {f"{PACKAGE}/branding.py": 'SITE_NAME = "{{ project_name }}"\n'})
    result = validate(runner, template, *ONE_VARIANT)
    assert result.exit_code == 1, result.output
    assert "FAIL leftovers: mysite/branding.py:1: unrendered template code" in result.output


def test_file_left_with_the_template_suffix_fails(runner: CliRunner, tmp_path: Path) -> None:
    template = copy_bundled_template(tmp_path / "template")
    # A doubled suffix: copier strips one and leaves a .jinja file in the project.
    build_file_tree(template, {"notes.txt.jinja.jinja": "{{ project_name }}\n"})
    result = validate(runner, template, *ONE_VARIANT)
    assert result.exit_code == 1, result.output
    assert "notes.txt.jinja: still has the template suffix .jinja" in result.output


def test_lifespan_startup_failure_fails_the_asgi_check(runner: CliRunner, tmp_path: Path) -> None:
    template = copy_bundled_template(tmp_path / "template")
    append(
        template,
        f"{PACKAGE}/asgi.py.jinja",
        """
_thibaud_application = application


async def application(scope, receive, send):
    if scope["type"] == "lifespan":
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "database unreachable"})
        return
    await _thibaud_application(scope, receive, send)
""",
    )
    result = validate(runner, template, *ONE_VARIANT)
    assert result.exit_code == 1, result.output
    assert "FAIL asgi: mysite/asgi.py: lifespan startup failed: database unreachable" in (
        result.output
    )
    assert "wsgi" not in "".join(line for line in result.output.splitlines() if "FAIL" in line)


def test_application_completing_lifespan_passes(runner: CliRunner, tmp_path: Path) -> None:
    template = copy_bundled_template(tmp_path / "template")
    append(
        template,
        f"{PACKAGE}/asgi.py.jinja",
        """
_thibaud_application = application


async def application(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            phase = message["type"].rpartition(".")[2]
            await send({"type": f"lifespan.{phase}.complete"})
            if phase == "shutdown":
                return
    await _thibaud_application(scope, receive, send)
""",
    )
    result = validate(runner, template, *ONE_VARIANT, "--verbose")
    assert result.exit_code == 0, result.output
    assert "ok   asgi: GET / answered 200" in result.output


def test_variants_never_share_imported_modules(runner: CliRunner, tmp_path: Path) -> None:
    """Two variants with the same package name: if the second reused the first one's
    imported views, its broken view would go unnoticed."""
    template = copy_bundled_template(tmp_path / "template")
    append(template, "copier.yml", "\nbroken_view:\n  type: bool\n  default: false\n")
    edit(
        template,
        f"{PACKAGE}/views.py.jinja",
        "    return HttpResponse(START_PAGE)",
        "    {% if broken_view %}raise RuntimeError('broken'){% else %}"
        "return HttpResponse(START_PAGE){% endif %}",
    )
    matrix = tmp_path / "matrix.yml"
    matrix.write_text(yaml.safe_dump([{"broken_view": False}, {"broken_view": True}]))
    result = validate(runner, template, "--matrix", matrix, "--format", "json", "--jobs", "1")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert [(v["name"], v["ok"]) for v in report["variants"]] == [
        ("broken_view=False", True),
        ("broken_view=True", False),
    ]
    assert checks_by_name(report, 1)["asgi"]["message"] == (
        "GET / through ASGI answered 500: RuntimeError: broken"
    )


def test_system_check_error_fails_manage_check_only(runner: CliRunner, tmp_path: Path) -> None:
    template = copy_bundled_template(tmp_path / "template")
    # The admin needs the messages middleware (admin.E409); GET / does not.
    edit(
        template,
        f"{PACKAGE}/settings.py.jinja",
        '    "thibaud.contrib.messages.middleware.MessageMiddleware",\n',
        "",
    )
    junit = tmp_path / "report.xml"
    result = validate(runner, template, *ONE_VARIANT, "--junit-xml", junit)
    assert result.exit_code == 1, result.output
    assert "FAIL manage-check: manage.py: manage.py check failed: " in result.output
    assert "admin.E409" in result.output
    assert set(junit_failures(junit)) == {(ONE_VARIANT_NAME, "manage-check")}


def test_project_that_kills_its_interpreter_fails_every_boot_check(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = copy_bundled_template(tmp_path / "template")
    append(
        template,
        f"{PACKAGE}/settings.py.jinja",
        "\nimport os\nimport sys\n\nprint('settings gave up', file=sys.stderr)\nos._exit(3)\n",
    )
    result = validate(runner, template, *ONE_VARIANT, "--format", "json")
    assert result.exit_code == 1, result.output
    checks = checks_by_name(json.loads(result.output))
    for name in ("settings", "asgi", "wsgi", "manage-check"):
        assert checks[name]["status"] == "failed"
        assert checks[name]["message"] == "the boot process exited with 3: settings gave up"


def test_invalid_copier_yml_is_a_failed_render_not_a_crash(
    runner: CliRunner, tmp_path: Path
) -> None:
    template = copy_bundled_template(tmp_path / "template")
    # A blank line, the unclosed list, and the end of the file, where YAML notices.
    broken_line = len((template / "copier.yml").read_text("utf-8").splitlines()) + 3
    append(template, "copier.yml", "\nbroken: [unclosed\n")
    junit = tmp_path / "report.xml"
    result = validate(runner, template, "--junit-xml", junit)
    assert result.exit_code == 1, result.output
    assert f"FAIL render: copier.yml:{broken_line}: " in result.output
    assert "is not valid YAML: " in result.output  # libyaml's or PyYAML's wording
    assert set(junit_failures(junit)) == {("defaults", "render")}


# Variants --------------------------------------------------------------------------


def test_matrix_file_gives_the_variants(runner: CliRunner, tmp_path: Path) -> None:
    matrix = tmp_path / "matrix.json"
    matrix.write_text(json.dumps([{"description": "First"}, {"python_version": "3.13"}]))
    result = validate(runner, "--matrix", matrix, "--format", "json")
    assert result.exit_code == 0, result.output
    variants = json.loads(result.output)["variants"]
    assert [v["name"] for v in variants] == ["description=First", "python_version=3.13"]
    assert variants[1]["answers"] == {"python_version": "3.13"}


def test_default_variants_over_the_cap_are_pairwise() -> None:
    config = {
        "_templates_suffix": ".jinja",
        "project_name": {"type": "str"},
        "python_version": {"default": "3.12", "choices": ["3.12", "3.13"]},
        "database": {"default": "sqlite", "choices": {"SQLite": "sqlite", "Postgres": "pg"}},
        "hidden": {"when": False, "choices": ["a", "b"]},
        "fixed": {"default": "x", "choices": ["x", "y"]},
        "many": {"default": 0, "choices": [[f"label {n}", n] for n in range(20)]},
    }
    variants, notes = default_variants(config, {"fixed": "y"})
    # The defaults first (named by --data), every answer set over --data.
    assert variants[0].name == "fixed=y"
    assert all(variant.answers["fixed"] == "y" for variant in variants)
    assert all("hidden" not in variant.answers for variant in variants)
    # 2 x 2 x 20 = 80 combinations: a pairwise set instead, which covers every pair.
    assert len(variants) < 80
    values = {"python_version": ["3.12", "3.13"], "database": ["sqlite", "pg"], "many": range(20)}
    defaults = {"python_version": "3.12", "database": "sqlite", "many": 0}
    rows = [{**defaults, **variant.answers} for variant in variants]
    for first, second in [
        ("python_version", "database"),
        ("python_version", "many"),
        ("database", "many"),
    ]:
        for a in values[first]:
            for b in values[second]:
                assert any(row[first] == a and row[second] == b for row in rows), (
                    first,
                    a,
                    second,
                    b,
                )
    assert len(notes) == 1 and "pairwise" in notes[0] and "80 combinations" in notes[0]


def test_default_variants_vary_booleans_and_take_the_product_when_it_fits() -> None:
    config = {
        "use_celery": {"type": "bool", "default": False},
        "python_version": {"default": "3.12", "choices": ["3.12", "3.13"]},
        "name": {"type": "str", "default": "x"},
    }
    variants, notes = default_variants(config, {})
    assert [variant.name for variant in variants] == [
        "defaults",
        "python_version=3.13",
        "use_celery=True",
        "use_celery=True, python_version=3.13",
    ]
    assert notes == []


# Usage errors: exit 2, one line, nothing written -----------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/nonexistent/template"], "Template '/nonexistent/template' does not exist"),
        (["--jobs", "0"], "0 is not in the range x>=1"),
        (["--data", "novalue"], "expected KEY=VALUE"),
        (["--matrix", "/nonexistent.yml"], "does not exist"),
        (["--server", "gunicorn"], "'gunicorn' is not one of"),
    ],
)
def test_usage_errors_exit_2(
    args: list[str], message: str, runner: CliRunner, tmp_path: Path
) -> None:
    junit = tmp_path / "report.xml"
    result = validate(runner, *args, "--junit-xml", junit)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not junit.exists()


def test_junit_report_in_a_missing_directory_is_refused_before_the_run(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = validate(runner, "--junit-xml", tmp_path / "missing" / "report.xml")
    assert result.exit_code == 2
    assert "missing' does not exist: create it first" in result.output
    assert "Template " not in result.output  # nothing was validated


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("python_version: '3.13'\n", "expected a non-empty list of answer sets"),
        ("[]\n", "expected a non-empty list of answer sets"),
        ("- python_version\n", "entry 1 is not a mapping"),
        ("[unclosed\n", "is not valid YAML or JSON: expected ',' or ']'"),
    ],
)
def test_invalid_matrix_file_exits_2(
    content: str, message: str, runner: CliRunner, tmp_path: Path
) -> None:
    matrix = tmp_path / "matrix.yml"
    matrix.write_text(content)
    result = validate(runner, "--matrix", matrix)
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert message in result.output


# For CI users ----------------------------------------------------------------------


def test_pre_commit_hook_runs_our_command() -> None:
    hooks = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml").read_text()
    )
    (hook,) = hooks
    assert hook["language"] == "python" and hook["pass_filenames"] is False
    command = hook["entry"].split()
    # thibaud-cli: our script under the name a reinstall of Thibaud never takes over.
    assert command[:2] == ["thibaud-cli", "validate-template"]
    completed = subprocess.run(
        [str(BIN_DIR / command[0]), *command[1:], *hook.get("args", []), "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "Render TEMPLATE" in completed.stdout


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys\n"
        "from thibaud_cli.cli import main\n"
        "try:\n"
        "    main(['validate-template', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in ('copier', 'jinja2', 'thibaud', 'yaml') if m in sys.modules))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip().splitlines()[-1] == "[]"
