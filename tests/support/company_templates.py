"""Copier templates shaped like the company templates of issue 24's second round.

What those published templates have in common, ported to Thibaud by renaming alone:
a display-name ``project_name`` ("My Project") and the package named by another
question (``project_slug``, or ``copier__project_slug`` as the cookiecutter-django
port names it), questions of every kind in the order a questionnaire asks them (not
alphabetical), copier's answers file rendered by the template itself (often where
``_answers_file`` puts it: ``.copier/project.yml``), ``_tasks`` and copier's
messages, a local Jinja extension loaded with copier-template-extensions, and
releases as git tags.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

from tests.support.trees import build_file_tree, git_commit_all

#: The answers file as copier's documentation and every such template write it.
ANSWERS_TEMPLATE = (
    "# Changes here will be overwritten by Copier; NEVER EDIT MANUALLY\n"
    "{{ _copier_answers|to_nice_yaml -}}\n"
)

_QUESTIONS = """\
project_name:
  type: str
  help: The project's name, as people read it
  default: My Project
SLUG:
  type: str
  help: The Python package
  default: "{{ project_name | lower | replace(' ', '_') | replace('-', '_') }}"
description:
  type: str
  default: A company project.
use_docker:
  type: bool
  default: true
python_version:
  type: str
  default: "3.12"
  choices: ["3.12", "3.13"]
features:
  type: str
  multiselect: true
  choices: [api, celery, sentry]
  default: [api, sentry]
port:
  type: int
  default: 8000
extra_settings:
  type: yaml
  default: {CACHE_TIMEOUT: 300, ALLOWED_HOSTS: [localhost]}
api_token:
  type: str
  secret: true
  default: change-me
"""

_EXTENSION_SETTINGS = """\
_jinja_extensions:
  - copier_template_extensions.TemplateExtensionLoader
  - extensions/context.py:ContextUpdater
"""
#: A context hook as published templates write them (the version's build date).
EXTENSION = """\
from copier_template_extensions import ContextHook


class ContextUpdater(ContextHook):
    def hook(self, context):
        context["build"] = "2024.10"
"""


def company_template(
    root: Path,
    *,
    slug: str = "project_slug",
    answers_file: str | None = ".copier/project.yml",
    tasks: Sequence[str | Sequence[str]] = (),
    messages: Mapping[str, str] | None = None,
    extension: str | None = None,
    extra_config: str = "",
    extra_questions: str = "",
    extra_files: Mapping[str, str] | None = None,
) -> Path:
    """Write the template under *root* and return it. *slug* is the question that names
        the package; *extension*, the code of ``extensions/context.py`` (loaded with
        copier-template-extensions); *messages*, ``_message_*`` settings by stage name
        (``before_copy``...); *extra_questions*, more of ``copier.yml`` after the questions
    (that may refer to them)."""
    package = "{{ " + slug + " }}"
    config = "_templates_suffix: .jinja\n"
    if answers_file is not None:
        config += f"_answers_file: {answers_file}\n"
    for stage, text in (messages or {}).items():
        config += f"_message_{stage}: {json.dumps(text)}\n"
    if tasks:
        config += yaml.safe_dump(
            {"_tasks": [list(t) if not isinstance(t, str) else t for t in tasks]}
        )
    files: dict[str, str] = {}
    if extension is not None:
        config += _EXTENSION_SETTINGS
        files["extensions/context.py"] = extension
    config += extra_config + _QUESTIONS.replace("SLUG", slug) + extra_questions
    files.update(
        {
            "copier.yml": config,
            "{{ _copier_conf.answers_file }}.jinja": ANSWERS_TEMPLATE,
            "README.md.jinja": "# {{ project_name }}\n\n{{ description }}\n",
            "manage.py.jinja": (
                "import os\nimport sys\n\n\ndef main():\n"
                f'    os.environ.setdefault("THIBAUD_SETTINGS_MODULE", "{package}.settings")\n'
                "    from thibaud.core.management import execute_from_command_line\n\n"
                "    execute_from_command_line(sys.argv)\n\n\n"
                'if __name__ == "__main__":\n    main()\n'
            ),
            f"{package}/__init__.py": "",
            f"{package}/settings.py.jinja": (
                '"""Settings of {{ project_name }}."""\n\n'
                "from pathlib import Path\n\n"
                "BASE_DIR = Path(__file__).resolve().parent.parent\n"
                'SECRET_KEY = "thibaud-insecure-test-key-of-fifty-characters-at-least-0123"\n'
                "DEBUG = True\nALLOWED_HOSTS = {{ extra_settings.ALLOWED_HOSTS | tojson }}\n"
                f'ROOT_URLCONF = "{package}.urls"\n'
                "INSTALLED_APPS = []\n"
                "{% if 'sentry' in features %}SENTRY = True\n{% endif %}"
            ),
            f"{package}/urls.py": "urlpatterns = []\n",
            f"{package}/asgi.py.jinja": (
                "import os\n\nfrom thibaud.core.asgi import get_asgi_application\n\n"
                f'os.environ.setdefault("THIBAUD_SETTINGS_MODULE", "{package}.settings")\n\n'
                "application = get_asgi_application()\n"
            ),
            f"{package}/wsgi.py.jinja": (
                "import os\n\nfrom thibaud.core.wsgi import get_wsgi_application\n\n"
                f'os.environ.setdefault("THIBAUD_SETTINGS_MODULE", "{package}.settings")\n\n'
                "application = get_wsgi_application()\n"
            ),
        }
    )
    files.update(extra_files or {})
    return build_file_tree(root, files)


def release(template: Path, tag: str, changes: Mapping[str, str] | None = None) -> None:
    """Commit *changes* (paths to contents) to the template's repository, tagged *tag*."""
    build_file_tree(template, dict(changes or {}))
    git_commit_all(template, f"release {tag}", tag=tag)


def run_copier_copy(
    template: str,
    destination: Path,
    *,
    vcs_ref: str | None = None,
    quiet: bool = True,
    **data: object,
) -> None:
    """``copier copy --defaults --trust`` of *template* (at *vcs_ref*), in this process."""
    import warnings

    import copier
    from copier._settings import SettingsModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        copier.run_copy(
            template,
            destination,
            data=dict(data),
            vcs_ref=vcs_ref,
            defaults=True,
            unsafe=True,
            quiet=quiet,
            settings=SettingsModel(),
        )


def copier_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed ``copier`` program, run as a user runs it (its own process and
    environment, none of this test run's state)."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "copier"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=True,
    )
