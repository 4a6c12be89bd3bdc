"""validate-template --install: each variant's declared dependencies installed by real uv,
offline from a local wheel directory, into environments cached by the exact set."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import run_cli
from tests.support.real_templates import django_like_template

# The use_celery=True variants declare humanize and import it in their settings; the
# others declare the framework alone.
_PYPROJECT = """\
[project]
name = "{{ project_slug }}"
version = "0.1"
dependencies = [
    "Thibaud>=6.0a1",
{%- if use_celery %}
    "humanize>=4",
{%- endif %}
]
"""
_SETTINGS = "{% if use_celery %}import humanize\nSIZE = humanize.naturalsize(10**6)\n{% endif %}"


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local wheel directory with what the variants need: humanize, the framework."""
    directory = tmp_path_factory.mktemp("wheels")
    downloaded = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "humanize",
            "Thibaud",
            "-d",
            str(directory),
        ],
        capture_output=True,
        text=True,
    )
    assert downloaded.returncode == 0, downloaded.stderr
    return directory


def _template(tmp_path: Path) -> Path:
    template = django_like_template(tmp_path / "t", settings_extra=_SETTINGS)
    (template / "pyproject.toml.jinja").write_text(_PYPROJECT, "utf-8")
    return template


def _checks(output: str) -> dict[str, dict[str, Any]]:
    return {
        variant["name"]: {check["name"]: check for check in variant["checks"]}
        for variant in json.loads(output)["variants"]
    }


def _validate(
    template: Path, tmp_path: Path, cache: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {
        "THIBAUD_CLI_CACHE_DIR": str(cache),
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
        "UV_PYTHON_DOWNLOADS": "never",
    }
    return run_cli(
        "validate-template",
        str(template),
        "--format",
        "json",
        *args,
        cwd=tmp_path,
        env=env,
        timeout=600,
    )


def test_variants_with_other_packages_pass_with_install_and_fail_without(
    tmp_path: Path, wheels: Path
) -> None:
    assert importlib.util.find_spec("humanize") is None, "humanize must not be installed here"
    template = _template(tmp_path)
    cache = tmp_path / "cache"
    offline = ("--find-links", str(wheels), "--no-index")

    without = _validate(template, tmp_path, cache)
    assert without.returncode == 1, without.stderr
    checks = _checks(without.stdout)
    assert checks["defaults"]["settings"]["status"] == "passed"
    failed = checks["use_celery=True"]["settings"]
    assert failed["status"] == "failed" and "humanize" in failed["message"]
    assert any("--install" in note for note in json.loads(without.stdout)["notes"])

    first = _validate(template, tmp_path, cache, "--install", *offline)
    assert first.returncode == 0, first.stdout + first.stderr
    checks = _checks(first.stdout)
    assert len(checks) == 4
    for variant in checks.values():
        assert variant["install"]["status"] == "passed"
        assert "from pyproject.toml" in variant["install"]["message"]
    # Two dependency sets, two environments: the variants of a set share one.
    environments = {variant["install"]["message"].rsplit("(", 1)[1] for variant in checks.values()}
    assert len(environments) == 2
    built = sorted(path for path in (cache / "environments").iterdir() if path.is_dir())
    assert len(built) == 2
    marks = {path: path.stat().st_mtime_ns for path in built}

    second = _validate(template, tmp_path, cache, "--install", *offline)
    assert second.returncode == 0, second.stderr
    for variant in _checks(second.stdout).values():
        assert "reused from the cache" in variant["install"]["message"]
    assert {path: path.stat().st_mtime_ns for path in built} == marks


def test_without_install_a_declared_driver_missing_points_to_install(tmp_path: Path) -> None:
    """Settings that stop when a driver they select is missing (as the bundled
    template's do) fail the variants that declare it: the note points to --install, and
    the summary counts the variants that failed, not all of them."""
    assert importlib.util.find_spec("humanize") is None, "humanize must not be installed here"
    stop = (
        "{% if use_celery %}import importlib.util\nimport sys\n\n"
        'if importlib.util.find_spec("humanize") is None:\n'
        '    sys.exit("The size filter needs humanize, which is not installed: '
        'pip install humanize")\n{% endif %}'
    )
    template = django_like_template(tmp_path / "t", settings_extra=stop)
    (template / "pyproject.toml.jinja").write_text(_PYPROJECT, "utf-8")
    result = run_cli("validate-template", str(template), cwd=tmp_path, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "needs humanize, which is not installed" in result.stdout
    note = next(line for line in result.stdout.splitlines() if "Pass --install" in line)
    assert "such as its database and cache drivers" in note
    assert "Failed: 2 of 4 variant(s), " in result.stdout


def test_a_requirements_file_beside_a_nested_manage_py_is_installed(
    tmp_path: Path, wheels: Path
) -> None:
    """A template that renders the project one level down declares its requirements
    there: --install reads them where manage.py is, and names that file."""
    template = django_like_template(tmp_path / "t", settings_extra=_SETTINGS, nested=True)
    (template / "{{ repo_name }}" / "requirements.txt.jinja").write_text(
        "Thibaud>=6.0a1\n{% if use_celery %}humanize>=4\n{% endif %}", "utf-8"
    )
    offline = ("--find-links", str(wheels), "--no-index")
    installed = _validate(template, tmp_path, tmp_path / "cache", "--install", *offline)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    for variant in _checks(installed.stdout).values():
        assert variant["install"]["status"] == "passed"
        assert "from site/requirements.txt" in variant["install"]["message"]


def test_with_install_an_import_left_undeclared_is_the_templates_to_declare(
    tmp_path: Path, wheels: Path
) -> None:
    """--install given: the closing note never asks for it, it says where to declare."""
    template = django_like_template(tmp_path / "t", settings_extra="import humanize\n")
    (template / "requirements.txt").write_text("Thibaud>=6.0a1\n", "utf-8")
    offline = ("--find-links", str(wheels), "--no-index")
    args = ("--install", *offline, "--variant", "defaults")
    failed = _validate(template, tmp_path, tmp_path / "cache", *args)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    notes = json.loads(failed.stdout)["notes"]
    assert not any("Pass --install" in note for note in notes), notes
    assert any("declare them there" in note for note in notes), notes


def test_an_install_failure_is_the_variant_failure_with_the_resolver_message(
    tmp_path: Path,
) -> None:
    template = _template(tmp_path)
    # No index and no wheels: nothing can be found, and uv says so.
    refused = _validate(template, tmp_path, tmp_path / "cache", "--install", "--no-index")
    assert refused.returncode == 1, refused.stderr
    assert "Traceback" not in refused.stderr
    for variant in _checks(refused.stdout).values():
        install = variant["install"]
        assert install["status"] == "failed", install
        assert "did not install" in install["message"]
        assert "was not found in the provided package locations" in install["message"]
        assert install["file"] == "pyproject.toml"
        assert variant["settings"]["status"] == "skipped"
    assert not [p for p in (tmp_path / "cache" / "environments").iterdir() if p.is_dir()]


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("--install", "--no-boot"), "not with --no-boot"),
        (("--install", "--python", sys.executable), "not with --python"),
        (("--no-index",), "add it"),
    ],
)
def test_install_options_that_contradict_are_usage_errors(
    tmp_path: Path, args: tuple[str, ...], problem: str
) -> None:
    refused = _validate(_template(tmp_path), tmp_path, tmp_path / "cache", *args)
    assert refused.returncode == 2 and problem in refused.stderr, refused.stderr
    assert refused.stdout == ""


def test_an_install_started_while_variants_render_is_not_under_their_memory_ceiling(
    tmp_path: Path, wheels: Path
) -> None:
    """Renders cap the process's address space (RLIMIT_AS), which a child inherits: uv
    started by one variant while another renders must not run under that cap."""
    import os

    from thibaud_cli.checks.environments.cache import InstallOptions, ensure_environment
    from thibaud_cli.template.sandbox.memory import memory_ceiling

    env = {**os.environ, "UV_CACHE_DIR": str(tmp_path / "uv-cache"), "UV_PYTHON_DOWNLOADS": "never"}
    options = InstallOptions(find_links=(str(wheels),), no_index=True)
    with memory_ceiling():
        environment = ensure_environment(
            ("humanize", "thibaud"), options, root=tmp_path / "cache", env=env
        )
    assert environment.built and environment.python.is_file()


def test_a_child_started_with_the_ceiling_lifted_does_not_inherit_it() -> None:
    import resource

    from thibaud_cli.template.sandbox.memory import ceiling_lifted, memory_ceiling

    script = "import resource; print(resource.getrlimit(resource.RLIMIT_AS)[0])"

    def child_limit() -> int:
        process = subprocess.Popen(
            [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True
        )
        output, _ = process.communicate(timeout=60)
        return int(output)

    before = resource.getrlimit(resource.RLIMIT_AS)[0]
    with memory_ceiling():
        inherited = child_limit()
        with ceiling_lifted():
            lifted = subprocess.Popen(
                [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True
            )
        # The renders' ceiling is back for this process once the child has started.
        assert resource.getrlimit(resource.RLIMIT_AS)[0] == inherited
        output, _ = lifted.communicate(timeout=60)
    assert inherited != before and int(output) == before


def _wheel(directory: Path, name: str, version: str, requires: list[str], code: str) -> Path:
    """A real wheel of *name* (module ``name`` with ``_``) whose metadata requires
    *requires*, written as any build backend writes one (METADATA, WHEEL, RECORD)."""
    import base64
    import hashlib
    import zipfile

    module = name.replace("-", "_")
    info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": code,
        f"{info}/METADATA": "Metadata-Version: 2.1\n"
        f"Name: {name}\nVersion: {version}\n"
        + "".join(f"Requires-Dist: {each}\n" for each in requires),
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = ""
    for path, text in files.items():
        digest = hashlib.sha256(text.encode()).digest()
        hashed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        record += f"{path},sha256={hashed},{len(text.encode())}\n"
    files[f"{info}/RECORD"] = record + f"{info}/RECORD,,\n"
    wheel = directory / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


@pytest.fixture(scope="module")
def django_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The framework, Django, and a Django ecosystem package that requires Django (as
    django-axes does): its module reads Django's settings when imported."""
    directory = tmp_path_factory.mktemp("django-wheels")
    downloaded = subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "Thibaud", "Django", "-d", str(directory)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert downloaded.returncode == 0, downloaded.stderr
    code = "from django.conf import settings\n\nLOCKOUT = getattr(settings, 'AXES_LIMIT', 3)\n"
    _wheel(directory, "dj-lockout", "1.0", ["Django>=4.2"], code)
    return directory


def test_a_declared_package_that_brings_django_in_fails_the_framework_check(
    tmp_path: Path, django_wheels: Path
) -> None:
    """A ported template whose use_celery variants still declare a Django ecosystem
    package (it requires Django): once their environment is built, the framework check
    names that requirement in one line and the boots are skipped, rather than each
    stopping on Django's unconfigured settings. The other variants boot and pass."""
    template = django_like_template(
        tmp_path / "t", settings_extra="{% if use_celery %}import dj_lockout\n{% endif %}"
    )
    (template / "requirements.txt.jinja").write_text(
        "Thibaud>=6.0a1\n{% if use_celery %}dj-lockout>=1\n{% endif %}", "utf-8"
    )
    offline = ("--find-links", str(django_wheels), "--no-index")
    result = _validate(template, tmp_path, tmp_path / "cache", "--install", *offline)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    checks = _checks(result.stdout)
    assert len(checks) == 4
    for name, variant in checks.items():
        assert variant["install"]["status"] == "passed", variant["install"]
        if "use_celery=True" not in name:
            assert variant["framework"]["status"] == "passed"
            assert variant["settings"]["status"] == "passed", variant["settings"]
            continue
        framework = variant["framework"]
        assert framework["status"] == "failed"
        assert framework["message"].startswith(
            "dj-lockout>=1 declared at requirements.txt brings Django in: "
        )
        assert "Django ecosystem packages do not run on Thibaud" in framework["message"]
        assert "\n" not in framework["message"]
        assert framework["file"] == "requirements.txt"
        for boot in ("settings", "asgi", "wsgi", "manage-check"):
            assert variant[boot]["status"] == "skipped", variant[boot]
            assert "targets Django" in variant[boot]["message"]
    assert "DJANGO_SETTINGS_MODULE" not in result.stdout


def test_a_relative_find_links_directory_is_the_one_it_named_when_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uv runs once the variant has rendered, and copier changes the process's directory
    while it clones a git template: a relative --find-links is resolved when given."""
    from thibaud_cli.checks.environments.cache import InstallOptions

    monkeypatch.chdir(tmp_path)
    options = InstallOptions(("wheels", "https://example.org/simple/"), no_index=True)
    monkeypatch.chdir("/")
    assert options.arguments() == [
        "--find-links",
        str(tmp_path / "wheels"),
        "--find-links",
        "https://example.org/simple/",
        "--no-index",
    ]
