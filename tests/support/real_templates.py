"""Throwaway copier templates shaped like the Django templates authors publish.

The shape of dlivxpr/copier-django-forge, lanshark/django-copier, rg3915's and
cookiecutter-django's layouts, ported to Thibaud by renaming alone: a display-name
``project_name`` ("My Project"), a ``project_slug`` package for the apps, the settings,
ASGI and WSGI modules in ``config/``, a boolean question, and (as options) tasks,
``!include``, custom ``_envops`` delimiters, and an ``asgi.py`` without middleware hooks.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.trees import build_file_tree

_QUESTIONS = """\
project_name:
  type: str
  help: The project's display name
  default: My Project
project_slug:
  type: str
  default: "{{ project_name | lower | replace(' ', '_') | replace('-', '_') }}"
"""
_INCLUDED = """\
use_celery:
  type: bool
  default: false
database:
  type: str
  default: sqlite
  choices: [sqlite, postgres]
"""
_HOOK_QUESTIONS = """\
asgi_middleware_imports:
  type: yaml
  default: []
  when: false
asgi_middleware_wraps:
  type: yaml
  default: []
  when: false
"""
_SQUARE = """\
_envops:
  variable_start_string: "[["
  variable_end_string: "]]"
  block_start_string: "[%"
  block_end_string: "%]"
  keep_trailing_newline: true
"""


def django_like_template(
    root: Path,
    *,
    hooks: bool = True,
    declare: bool = False,
    square: bool = False,
    include: bool = False,
    tasks: tuple[str, ...] = (),
    settings_extra: str = "",
    asgi_variable: str = "THIBAUD_SETTINGS_MODULE",
    nested: bool = False,
    django: bool = False,
) -> Path:
    """Write the template under *root* and return it. With *nested*, the project is
    rendered into a ``<repo_name>/`` directory (manage.py included), as some templates do.
    With *django*, the template as published, before any port: it imports ``django`` and
    sets ``DJANGO_SETTINGS_MODULE``."""
    v0, v1, b0, b1 = ("[[", "]]", "[%", "%]") if square else ("{{", "}}", "{%", "%}")
    config = "_templates_suffix: .jinja\n"
    config += _SQUARE if square else ""
    if declare:
        config += "_thibaud:\n  name_question: project_slug\n  settings: config.settings\n"
    if tasks:
        config += "_tasks:\n" + "".join(f"  - {task!r}\n" for task in tasks)
    config += _QUESTIONS.replace("{{", v0).replace("}}", v1)
    config += _HOOK_QUESTIONS if hooks else ""
    files: dict[str, str] = {}
    if include:
        config += "---\n!include 'questions/*.yml'\n"
        files["questions/features.yml"] = _INCLUDED
    else:
        config += _INCLUDED
    hook_block = (
        f"{b0} for line in asgi_middleware_imports {b1}{v0} line {v1}\n{b0} endfor {b1}"
        f"{b0} for line in asgi_middleware_wraps {b1}{v0} line {v1}\n{b0} endfor {b1}"
        if hooks
        else ""
    )
    slug = f"{v0} project_slug {v1}"
    files.update(
        {
            "copier.yml": config,
            "manage.py": (
                "import os\nimport sys\n\n\ndef main():\n"
                '    os.environ.setdefault("THIBAUD_SETTINGS_MODULE", "config.settings")\n'
                "    from thibaud.core.management import execute_from_command_line\n\n"
                "    execute_from_command_line(sys.argv)\n\n\n"
                'if __name__ == "__main__":\n    main()\n'
            ),
            "config/__init__.py": "",
            "config/settings.py.jinja": (
                f'"""Settings of {v0} project_name {v1}."""\n'
                "from pathlib import Path\n\n"
                "BASE_DIR = Path(__file__).resolve().parent.parent\n"
                'SECRET_KEY = "thibaud-insecure-test-key-of-fifty-characters-at-least-0123"\n'
                "DEBUG = True\nALLOWED_HOSTS = []\n"
                f'INSTALLED_APPS = ["{slug}"]\n'
                'ROOT_URLCONF = "config.urls"\n'
                'DATABASES = {"default": {"ENGINE": "thibaud.db.backends.sqlite3", '
                '"NAME": BASE_DIR / "db.sqlite3"}}\n'
                f'{b0} if use_celery {b1}CELERY_BROKER_URL = "redis://localhost"\n{b0} endif {b1}'
                # A Thibaud template in a Python string: {{ }} that must stay as it is.
                f'PAGE = "{b0} raw {b1}<h1>{{{{ title }}}}</h1>{b0} endraw {b1}"\n' + settings_extra
            ),
            "config/urls.py.jinja": (
                f"from {slug}.views import home\nfrom thibaud.urls import path\n\n"
                'urlpatterns = [path("", home)]\n'
            ),
            "config/asgi.py.jinja": (
                "import os\n\nfrom thibaud.core.asgi import get_asgi_application\n\n"
                f'os.environ.setdefault("{asgi_variable}", "config.settings")\n\n'
                f"application = get_asgi_application()\n{hook_block}"
            ),
            "config/wsgi.py": (
                "import os\n\nfrom thibaud.core.wsgi import get_wsgi_application\n\n"
                'os.environ.setdefault("THIBAUD_SETTINGS_MODULE", "config.settings")\n\n'
                "application = get_wsgi_application()\n"
            ),
            f"{slug}/__init__.py": "",
            f"{slug}/views.py": (
                "from thibaud.http import HttpResponse\n\n\n"
                'def home(request):\n    return HttpResponse("home")\n'
            ),
        }
    )
    if django:
        files = {
            name: content.replace("thibaud.", "django.").replace("THIBAUD_", "DJANGO_")
            for name, content in files.items()
        }
        files["config/settings.py.jinja"] = files["config/settings.py.jinja"].replace(
            "from pathlib import Path\n",
            "from pathlib import Path\n\nfrom django.utils.translation import gettext_lazy as _\n",
        )
    if nested:
        config_files = {"copier.yml", "questions/features.yml"}
        files = {
            (name if name in config_files else f"{v0} repo_name {v1}/{name}"): content
            for name, content in files.items()
        }
        files["copier.yml"] += "repo_name:\n  type: str\n  default: site\n"
    return build_file_tree(root, files)


def django_style_template(root: Path) -> Path:
    """Django's own project template as ``django-admin startproject`` ships it: Thibaud's
    (``thibaud/conf/project_template``), renamed back (``thibaud`` -> ``django``), its
    ``*-tpl`` files and ``project_name`` directory rendered by the framework's engine."""
    import thibaud

    stock = Path(thibaud.__path__[0]) / "conf" / "project_template"
    files: dict[str, str] = {}
    for path in sorted(stock.rglob("*")):
        if path.is_file():
            text = path.read_text("utf-8")
            text = text.replace("thibaud", "django").replace("THIBAUD", "DJANGO")
            files[str(path.relative_to(stock))] = text.replace("Thibaud", "Django")
    return build_file_tree(root, files)


def cookiecutter_template(root: Path) -> Path:
    """A cookiecutter project template as published ones are laid out (rsalmaso's
    django-project-template, cookiecutter-django): ``cookiecutter.json``, ``hooks/``,
    and the project under a ``{{cookiecutter.project_dir}}`` directory."""
    project = "{{cookiecutter.project_dir}}"
    return build_file_tree(
        root,
        {
            "cookiecutter.json": (
                '{\n    "project_title": "My New Project",\n    "project_name": "web",\n'
                '    "project_dir": '
                "\"_{{ cookiecutter.project_title|lower|replace(' ', '-') }}\",\n"
                '    "license": ["MIT", "BSD-3"]\n}\n'
            ),
            "hooks/post_gen_project.py": "import os\n\nprint(os.getcwd())\n",
            f"{project}/manage.py": (
                "import os\nimport sys\n\n"
                'os.environ.setdefault("THIBAUD_SETTINGS_MODULE", '
                '"{{cookiecutter.project_name}}.settings")\n'
            ),
            f"{project}/{{{{cookiecutter.project_name}}}}/__init__.py": "",
            f"{project}/{{{{cookiecutter.project_name}}}}/settings.py": "DEBUG = True\n",
        },
    )
