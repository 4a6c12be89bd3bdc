"""The bundled template's variants (its database, cache, docker and ci questions), rendered
with ``thibaud-admin startproject``: lint-clean as rendered, a Dockerfile hadolint
accepts, a compose.yaml and a CI workflow valid against their published schemas, and
answers that reach TOML, YAML and Python through each file's own serializer.

Serving them against real PostgreSQL and Redis is tests/integration/test_production_stack.py.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import tomllib
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from tests.support.cli import BIN_DIR
from thibaud_cli.cli import main
from thibaud_cli.template.bundled import BundledTemplates

#: name -> --data answers. The matrix the production-stack tests serve, too.
VARIANTS: dict[str, dict[str, str]] = {
    "defaults": {},
    "postgresql": {"database": "postgresql"},
    "redis": {"cache": "redis"},
    "postgresql-redis": {"database": "postgresql", "cache": "redis"},
    "no-docker": {"docker": "false"},
    "no-ci": {"ci": "none"},
    "python-3.13": {"python_version": "3.13"},
}
DOCKER_FILES = {"Dockerfile", ".dockerignore", "compose.yaml"}
CI_FILE = ".github/workflows/ci.yml"


def render(runner: CliRunner, root: Path, answers: Mapping[str, str], name: str = "mysite") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    directory = root / name
    data = [part for key, value in answers.items() for part in ("--data", f"{key}={value}")]
    result = runner.invoke(main, ["startproject", name, str(directory), *data])
    assert result.exit_code == 0, result.output
    return directory


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("variants")
    runner = CliRunner()
    return {name: render(runner, root / name, answers) for name, answers in VARIANTS.items()}


def run_tool(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN_DIR / argv[0]), *argv[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("variant", VARIANTS)
def test_rendered_project_is_ruff_clean(projects: dict[str, Path], variant: str) -> None:
    project = projects[variant]
    for command in (("ruff", "check", "."), ("ruff", "format", "--check", ".")):
        result = run_tool(*command, cwd=project)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("variant", VARIANTS)
def test_settings_read_the_environment_through_environs(
    projects: dict[str, Path], variant: str
) -> None:
    settings = (projects[variant] / "mysite" / "settings.py").read_text("utf-8")
    tree = ast.parse(settings)
    functions = [node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]
    assert functions == []  # no hand-written env_bool/env_int/env_list
    assert "from environs import Env" in settings
    assert "os.environ" not in settings
    for variable in (
        "THIBAUD_DEBUG",
        "THIBAUD_SECRET_KEY",
        "THIBAUD_ALLOWED_HOSTS",
        "THIBAUD_CSRF_TRUSTED_ORIGINS",
        "THIBAUD_SECURE_SSL_REDIRECT",
        "THIBAUD_SECURE_HSTS_SECONDS",
        "THIBAUD_BEHIND_TLS_PROXY",
        "THIBAUD_STATIC_ROOT",
        "DATABASE_URL",
    ):
        assert f'"{variable}"' in settings
        assert variable in (projects[variant] / ".env.example").read_text("utf-8")
    assert ('"REDIS_URL"' in settings) == (VARIANTS[variant].get("cache") == "redis")


@pytest.mark.parametrize("variant", VARIANTS)
def test_dependencies_follow_the_answers(projects: dict[str, Path], variant: str) -> None:
    pyproject = tomllib.loads((projects[variant] / "pyproject.toml").read_text("utf-8"))
    names = {
        requirement.split("[")[0].split(">")[0]
        for requirement in pyproject["project"]["dependencies"]
    }
    assert {"Thibaud", "environs", "servestatic"} <= names
    # dj-database-url would install Django beside Thibaud: database_url.py reads the URL.
    assert "dj-database-url" not in names
    assert ("psycopg" in names) == (VARIANTS[variant].get("database") == "postgresql")
    assert ("redis" in names) == (VARIANTS[variant].get("cache") == "redis")
    assert {"pytest", "ruff"} <= {
        dep.split(">")[0] for dep in pyproject["project"]["optional-dependencies"]["dev"]
    }
    # Explicit discovery: `pip install -e .` does not fail on a second top-level directory.
    assert pyproject["tool"]["setuptools"]["packages"]["find"]["exclude"] == ["tests", "tests.*"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_python_version_file_follows_the_answer(projects: dict[str, Path], variant: str) -> None:
    """pyenv and uv pick the interpreter from .python-version: one older than the
    project's minimum cannot install Thibaud."""
    expected = VARIANTS[variant].get("python_version", "3.12")
    assert (projects[variant] / ".python-version").read_text("utf-8") == f"{expected}\n"
    pyproject = tomllib.loads((projects[variant] / "pyproject.toml").read_text("utf-8"))
    assert pyproject["project"]["requires-python"] == f">={expected}"


@pytest.mark.parametrize("variant", VARIANTS)
def test_docker_and_ci_files_follow_the_answers(projects: dict[str, Path], variant: str) -> None:
    project = projects[variant]
    present = {path.name for path in project.iterdir()}
    assert (DOCKER_FILES <= present) == (VARIANTS[variant].get("docker") != "false")
    assert not (DOCKER_FILES & present) or DOCKER_FILES <= present
    assert (project / CI_FILE).is_file() == (VARIANTS[variant].get("ci") != "none")
    if VARIANTS[variant].get("ci") == "none":
        assert not (project / ".github").exists()


def docker_variants() -> list[str]:
    return [name for name, answers in VARIANTS.items() if answers.get("docker") != "false"]


def ci_variants() -> list[str]:
    return [name for name, answers in VARIANTS.items() if answers.get("ci") != "none"]


@pytest.mark.parametrize("variant", docker_variants())
def test_dockerfile_passes_hadolint(projects: dict[str, Path], variant: str) -> None:
    result = run_tool(
        "hadolint", "--failure-threshold", "warning", str(projects[variant] / "Dockerfile")
    )
    assert result.returncode == 0, result.stdout + result.stderr


def final_stage(dockerfile: str) -> list[str]:
    stages = [line for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert len(stages) >= 2, "a multi-stage build"
    return dockerfile[dockerfile.rindex("\nFROM ") :].splitlines()


@pytest.mark.parametrize("variant", docker_variants())
def test_dockerfile_final_stage(projects: dict[str, Path], variant: str) -> None:
    dockerfile = (projects[variant] / "Dockerfile").read_text("utf-8")
    final = final_stage(dockerfile)
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert any(line.startswith("HEALTHCHECK ") for line in final)
    assert "/health/live" in dockerfile
    # No build tools in the image that runs: only what the build stage made is copied.
    text = "\n".join(final)
    for tool in ("apt-get", "build-essential", "gcc", "pip install"):
        assert tool not in text
    assert "collectstatic --noinput" in dockerfile[: dockerfile.rindex("\nFROM ")]


def test_compose_and_workflows_are_valid_against_their_schemas(
    projects: dict[str, Path],
) -> None:
    composes = [str(projects[name] / "compose.yaml") for name in docker_variants()]
    result = run_tool("check-jsonschema", "--builtin-schema", "vendor.compose-spec", *composes)
    assert result.returncode == 0, result.stdout + result.stderr
    workflows = [str(projects[name] / CI_FILE) for name in ci_variants()]
    result = run_tool("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflows)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("variant", docker_variants())
def test_compose_services_follow_the_answers(projects: dict[str, Path], variant: str) -> None:
    compose = yaml.safe_load((projects[variant] / "compose.yaml").read_text("utf-8"))
    services = compose["services"]
    expected = {"app", "migrate"}
    if VARIANTS[variant].get("database") == "postgresql":
        expected.add("postgres")
    if VARIANTS[variant].get("cache") == "redis":
        expected.add("redis")
    assert set(services) == expected
    for name in expected - {"migrate"}:
        assert services[name]["healthcheck"]["test"], name
    for dependency in expected - {"app"}:
        condition = services["app"]["depends_on"][dependency]["condition"]
        migrate_done = "service_completed_successfully"
        assert condition == (migrate_done if dependency == "migrate" else "service_healthy")
    environment = services["app"]["environment"]
    assert environment["DATABASE_URL"].startswith(
        "postgres://" if "postgres" in expected else "sqlite:////data/"
    )
    assert ("REDIS_URL" in environment) == ("redis" in expected)


@pytest.mark.parametrize("variant", ci_variants())
def test_ci_workflow_runs_the_tests_and_the_deployment_checks(
    projects: dict[str, Path], variant: str
) -> None:
    workflow = yaml.safe_load((projects[variant] / CI_FILE).read_text("utf-8"))
    (job,) = workflow["jobs"].values()
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    for command in (
        'pip install -e ".[dev]"',
        "pytest",
        "python manage.py check --deploy",
        "python manage.py makemigrations --check",
    ):
        assert command in runs
    services = job.get("services", {})
    assert ("postgres" in services) == (VARIANTS[variant].get("database") == "postgresql")
    assert ("redis" in services) == (VARIANTS[variant].get("cache") == "redis")
    if "postgres" in services:
        assert job["env"]["DATABASE_URL"].startswith("postgres://")


HOSTILE_DESCRIPTIONS = [
    'Party 🎉 "site"',
    "back\\slash and 'single' quotes",
    'newline\nand """triple""" and \t tab',
    "control \x00 \x1f and DEL \x7f, non-BMP \U0001f600 and U+2028 \u2028",
]


@pytest.mark.parametrize("description", HOSTILE_DESCRIPTIONS)
def test_description_reaches_pyproject_as_valid_toml(tmp_path: Path, description: str) -> None:
    project = render(CliRunner(), tmp_path, {"description": description})
    parsed = tomllib.loads((project / "pyproject.toml").read_text("utf-8"))
    assert parsed["project"]["description"] == description
    assert parsed["project"]["name"] == "mysite"


# The deploy files' hardening (issue 25, item 7) -----------------------------------------

ACTION_PIN = re.compile(r"^\s*- uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")


@pytest.mark.parametrize("variant", ci_variants())
def test_ci_actions_are_pinned_by_commit_and_leave_no_credentials(
    projects: dict[str, Path], variant: str
) -> None:
    text = (projects[variant] / CI_FILE).read_text("utf-8")
    uses = [line for line in text.splitlines() if "uses:" in line]
    assert uses and all(ACTION_PIN.match(line) for line in uses), uses
    assert "git ls-remote" in text  # how to bump them
    (job,) = yaml.safe_load(text)["jobs"].values()
    checkout = next(step for step in job["steps"] if "actions/checkout@" in step.get("uses", ""))
    assert checkout["with"]["persist-credentials"] is False


@pytest.mark.parametrize("variant", docker_variants())
def test_compose_publishes_on_localhost_and_has_no_default_password(
    projects: dict[str, Path], variant: str
) -> None:
    text = (projects[variant] / "compose.yaml").read_text("utf-8")
    compose = yaml.safe_load(text)
    assert compose["services"]["app"]["ports"] == [
        "${THIBAUD_PUBLISH_ADDRESS:-127.0.0.1}:8000:8000"
    ]
    for service in compose["services"].values():
        for port in service.get("ports", []):
            assert port.startswith("${THIBAUD_PUBLISH_ADDRESS:-127.0.0.1}:")
    # A password is required (${VAR:?...}), never defaulted (${VAR:-...}).
    assert "POSTGRES_PASSWORD:-" not in text and "SECRET_KEY:-" not in text
    if VARIANTS[variant].get("database") == "postgresql":
        postgres = compose["services"]["postgres"]["environment"]
        assert postgres["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
        assert "${POSTGRES_PASSWORD:?" in compose["x-app-environment"]["DATABASE_URL"]
        env_example = (projects[variant] / ".env.example").read_text("utf-8")
        assert "\nPOSTGRES_PASSWORD=\n" in env_example


@pytest.mark.parametrize("variant", ["defaults", "postgresql"])
def test_systemd_unit_is_sandboxed(projects: dict[str, Path], variant: str, tmp_path: Path) -> None:
    """systemd's own judgement of the unit: `systemd-analyze security` rates its exposure
    (10 is a unit with no sandboxing at all; the unit before hardening rated 9.6)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    project = projects[variant]
    unit = (project / "deploy" / "systemd" / "mysite@.service").read_text("utf-8")
    for directive in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes"):
        assert directive in unit
    # As installed on this machine: its paths, a user that exists.
    installed = tmp_path / "mysite@.service"
    installed.write_text(
        unit.replace("/srv/mysite", str(project)).replace("User=mysite", "User=root"), "utf-8"
    )
    verify = subprocess.run(
        [analyze, "verify", str(installed)], capture_output=True, text=True, timeout=60
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    security = subprocess.run(
        [analyze, "security", "--offline=true", "--threshold=30", str(installed)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert security.returncode == 0, security.stdout[-600:]


#: An image pinned by digest with its tag kept for humans: ``name:tag@sha256:<64 hex>``.
IMAGE_PIN = re.compile(r"^[a-z0-9][a-z0-9._/-]*:[\w.-]+@sha256:[0-9a-f]{64}$")
BUMP_COMMANDS = ("docker buildx imagetools inspect", "crane digest")


def image_references(project: Path) -> dict[str, list[str]]:
    """Every image a rendered variant's deploy files name, by file: each FROM of the
    Dockerfile, each ``image:`` of compose.yaml and of the CI workflow (however nested)."""
    found: dict[str, list[str]] = {}
    dockerfile = project / "Dockerfile"
    if dockerfile.is_file():
        found["Dockerfile"] = [
            line.split()[1]
            for line in dockerfile.read_text("utf-8").splitlines()
            if line.upper().startswith("FROM ")
        ]
    for relative in ("compose.yaml", CI_FILE):
        if (project / relative).is_file():
            text = (project / relative).read_text("utf-8")
            found[relative] = [
                line.split("image:", 1)[1].strip()
                for line in text.splitlines()
                if line.strip().startswith("image:")
            ]
    return found


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_image_is_pinned_by_digest_with_its_tag_and_how_to_bump_it(
    projects: dict[str, Path], variant: str
) -> None:
    """A tag can be moved to other content, a digest cannot: every FROM and every
    ``image:`` line of every variant carries ``@sha256:<64 hex>``, keeps its tag, and
    its file says how to bump it."""
    project = projects[variant]
    references = image_references(project)
    for relative, images in references.items():
        assert all(IMAGE_PIN.match(image) for image in images), (relative, images)
        text = (project / relative).read_text("utf-8")
        if images:
            assert all(command in text for command in BUMP_COMMANDS), relative
    python = VARIANTS[variant].get("python_version", "3.12")
    if VARIANTS[variant].get("docker") != "false":
        stages = references["Dockerfile"]
        assert len(stages) == 2 and {image.split("@")[0] for image in stages} == {
            f"python:{python}-slim"
        }
        assert len(set(stages)) == 1  # both stages from the same base
        # No `# syntax=` line: BuildKit would run a frontend image pulled by its tag.
        first = (project / "Dockerfile").read_text("utf-8").splitlines()[0]
        assert not re.match(r"#\s*syntax\s*=", first)
    expected = {"postgres"} if VARIANTS[variant].get("database") == "postgresql" else set()
    expected |= {"redis"} if VARIANTS[variant].get("cache") == "redis" else set()
    for relative in ("compose.yaml", CI_FILE):
        if relative in references:
            assert {image.split(":")[0] for image in references[relative]} == expected
    if "compose.yaml" in references and CI_FILE in references:
        assert sorted(references["compose.yaml"]) == sorted(references[CI_FILE])


def test_the_digests_are_kept_in_one_place() -> None:
    """copier.yml's container_images holds every digest; no template file spells one."""
    template = BundledTemplates.installed().current
    images = yaml.safe_load((template / "copier.yml").read_text("utf-8"))["container_images"]
    pins = [*images["default"]["python"].values(), images["default"]["postgres"]]
    pins.append(images["default"]["redis"])
    assert images["when"] is False and all(IMAGE_PIN.match(pin) for pin in pins)
    spelled = [
        path.relative_to(template).as_posix()
        for path in template.rglob("*")
        if path.is_file()
        and path.name != "copier.yml"
        and re.search(r"sha256:[0-9a-f]{64}", path.read_text("utf-8"))
    ]
    assert spelled == []


@pytest.mark.parametrize("variant", ci_variants())
def test_dependabot_proposes_the_bumps(projects: dict[str, Path], variant: str) -> None:
    """.github/dependabot.yml, valid against the published schema, covers the actions, the
    Python dependencies and, with Docker, the Dockerfile's and compose.yaml's images."""
    config = projects[variant] / ".github" / "dependabot.yml"
    result = run_tool("check-jsonschema", "--builtin-schema", "vendor.dependabot", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    updates = yaml.safe_load(config.read_text("utf-8"))["updates"]
    ecosystems = {update["package-ecosystem"] for update in updates}
    expected = {"github-actions", "pip"}
    if VARIANTS[variant].get("docker") != "false":
        expected |= {"docker", "docker-compose"}
    assert ecosystems == expected
    assert all(update["directory"] == "/" for update in updates)
    # Images get new digests of their tags, never a new tag: python:3.12-slim to 3.14-slim
    # would leave the Python the project is tested with, postgres:17 to 18 a server
    # that refuses the existing data volume. (The tags have no patch part to move.)
    for update in updates:
        if update["package-ecosystem"] in {"docker", "docker-compose"}:
            assert update["ignore"] == [
                {
                    "dependency-name": "*",
                    "update-types": ["version-update:semver-major", "version-update:semver-minor"],
                }
            ]
        else:
            assert "ignore" not in update


@pytest.mark.parametrize("variant", ["postgresql-redis"])
def test_compose_and_ci_say_how_to_keep_their_images_together(
    projects: dict[str, Path], variant: str
) -> None:
    """Dependabot bumps compose.yaml's images and not the CI workflow's services, which
    run the same: each file's comment sends the bump to the other."""
    compose = (projects[variant] / "compose.yaml").read_text("utf-8")
    ci = (projects[variant] / CI_FILE).read_text("utf-8")
    assert "not ci.yml's: put the same digest there in the same pull request" in compose
    assert "only compose.yaml's" in ci and "put the same digest here" in ci


def test_no_dependabot_without_github(projects: dict[str, Path]) -> None:
    assert not (projects["no-ci"] / ".github").exists()


def test_every_production_entry_point_serves_a_guarded_module(projects: dict[str, Path]) -> None:
    """The image's CMD, deploy/serve.sh's servers and the systemd unit (through serve.sh)
    serve asgi.py or wsgi.py, and both wrap Thibaud's handler in the request guard."""
    project = projects["defaults"]
    cmd = next(
        line
        for line in (project / "Dockerfile").read_text("utf-8").splitlines()
        if line.startswith("CMD ")
    )
    serve = (project / "deploy" / "serve.sh").read_text("utf-8")
    unit = (project / "deploy" / "systemd" / "mysite@.service").read_text("utf-8")
    served = re.findall(r"\bmysite\.(\w+):application\b", cmd + serve)
    assert set(served) == {"asgi", "wsgi"} and served.count("asgi") == 5
    assert re.search(r"^ExecStart=\S+/deploy/serve\.sh ", unit, re.MULTILINE)
    assert (
        "application = RequestGuard(application)\n" in (project / "mysite" / "asgi.py").read_text()
    )
    assert "RequestGuardWSGI(application)" in (project / "mysite" / "wsgi.py").read_text()


#: The width the generated README's prose is wrapped at.
README_WIDTH = 88


@pytest.mark.parametrize("variant", ["defaults", "no-docker"])
def test_the_readme_names_the_entry_points_the_guard_is_in(
    projects: dict[str, Path], variant: str
) -> None:
    """The paragraph on the request guard names what serves asgi.py, the Docker image
    only when there is one, in a sentence that reads right either way, within the wrap
    width."""
    readme = (projects[variant] / "README.md").read_text("utf-8")
    (paragraph,) = [block for block in readme.split("\n\n") if "every server that runs" in block]
    assert all(len(line) <= README_WIDTH for line in paragraph.splitlines()), paragraph
    entry_points = "`deploy/serve.sh`'s and the ones below."
    if VARIANTS[variant].get("docker") != "false":
        entry_points = "the Docker image's, " + entry_points
    assert f"`mysite.asgi:application` has it: {entry_points} It is" in " ".join(paragraph.split())
