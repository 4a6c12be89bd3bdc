"""The diff ``update --dry-run`` prints never shows the project's secrets: its
development SECRET_KEY, nor the answers to secret questions (issue 25: the key was
printed as diff context)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.support.cli import run_cli
from tests.support.trees import build_file_tree, git_commit_all, tree_snapshot
from thibaud_cli.template.secrets import MASK, MAX_COMPARED_LINE, mask_diff, values_on_disk

COPIER = """\
_templates_suffix: .jinja
project_name:
  type: str
secret_key:
  type: str
  secret: true
  default: ""
  when: false
db_password:
  type: str
  secret: true
  default: change-me-before-production
"""

# The key and the password without any prefix that would give them away: only what
# the template wrote around them tells where they are.
SETTINGS_V1 = """\
DEBUG = True
SECRET_KEY = "{{ secret_key }}"
DATABASE_PASSWORD = "{{ db_password }}"
# Served from:
ALLOWED_HOSTS = []
"""
# The next line but one after the secrets changes: they are the diff's context.
SETTINGS_V2 = SETTINGS_V1.replace("ALLOWED_HOSTS = []", 'ALLOWED_HOSTS = ["localhost"]')


def _shown(done: object) -> str:
    return str(getattr(done, "stdout", "")) + str(getattr(done, "stderr", ""))


def test_the_development_key_of_a_bundled_project_is_masked(tmp_path: Path) -> None:
    # Version 2's settings.py changes right under the key: the diff's context holds it.
    created = run_cli("startproject", "mysite", "--vcs-ref", "2", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    project = tmp_path / "mysite"
    settings = (project / "mysite" / "settings.py").read_text()
    key = re.search(r'"thibaud-insecure-(.+)",\n', settings)
    assert key is not None
    git_commit_all(project, "version 2")
    before = tree_snapshot(project)
    done = run_cli("update", "--dry-run", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "+++ b/mysite/settings.py" in done.stdout
    assert f'     "thibaud-insecure-{MASK}",\n' in done.stdout
    assert key.group(1) not in _shown(done)
    assert tree_snapshot(project) == before


def test_a_templates_key_and_secret_answer_are_masked_where_it_wrote_them(
    tmp_path: Path,
) -> None:
    template = build_file_tree(
        tmp_path / "template",
        {
            "copier.yml": COPIER,
            "{{ project_name }}/__init__.py": "",
            "{{ project_name }}/settings.py.jinja": SETTINGS_V1,
        },
    )
    git_commit_all(template, "v1", tag="v1")
    password = "the-real-password-given-once"
    created = run_cli(
        "startproject",
        "blog",
        "--template",
        str(template),
        "--data",
        f"db_password={password}",
        cwd=tmp_path,
    )
    assert created.returncode == 0, created.stderr
    project = tmp_path / "blog"
    settings = (project / "blog" / "settings.py").read_text()
    key = re.search(r'SECRET_KEY = "(.+)"', settings)
    assert key is not None and password in settings
    git_commit_all(project, "generated")
    build_file_tree(template, {"{{ project_name }}/settings.py.jinja": SETTINGS_V2})
    git_commit_all(template, "v2", tag="v2")

    done = run_cli("update", "--dry-run", cwd=project)
    assert done.returncode == 0, done.stderr
    assert f' SECRET_KEY = "{MASK}"\n DATABASE_PASSWORD = "{MASK}"\n' in done.stdout
    assert key.group(1) not in _shown(done)
    assert password not in _shown(done)

    # A new secret given to the update: masked as it is written, and in the conflict
    # it makes with the user's own answer.
    given = "a-new-password-for-v2"
    done = run_cli("update", "--dry-run", "--data", f"db_password={given}", cwd=project)
    assert done.returncode == 1
    assert "conflict" in done.stderr
    for secret in (key.group(1), password, given):
        assert secret not in _shown(done)


def test_a_stand_in_is_found_only_with_the_text_around_it() -> None:
    rendered = 'KEY = "regenerated-without-secret"\nregenerated-without-secret\nOTHER = 1\n'
    on_disk = 'KEY = "the-real-key"\nsomething else\nOTHER = 1\n'
    # The line of the stand-in alone would match any line: it gives nothing.
    assert values_on_disk(rendered, on_disk, {"regenerated-without-secret"}) == {"the-real-key"}
    assert values_on_disk(rendered, "KEY = the-real-key\n", {"regenerated-without-secret"}) == set()
    assert mask_diff(' KEY = "the-real-key"\n', {"the-real-key"}) == f' KEY = "{MASK}"\n'


def test_many_stand_ins_on_one_line_are_matched_in_linear_time() -> None:
    # A template line holding the stand-in eight times, against long lines on disk
    # that nearly match: as a regular expression of eight lazy groups this backtracked
    # for minutes (five stand-ins against 200 characters took 46 s). Run in a process
    # of its own with a deadline a hundred times what it takes, so a regression fails
    # the test instead of hanging it.
    program = (
        "from thibaud_cli.template.secrets import values_on_disk\n"
        "stand_in = 'regenerated-without-secret'\n"
        "rendered = 'K = ' + ' s '.join([stand_in] * 8) + ' end\\n'\n"
        "near = 'K = ' + 's ' * 400 + 'x\\n'\n"
        "exact = 'K = ' + ' s '.join(f'key{i}' for i in range(8)) + ' end\\n'\n"
        "print(sorted(values_on_disk(rendered, near * 50 + exact, {stand_in})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout == repr([f"key{i}" for i in range(8)]) + "\n"


def test_a_line_too_long_is_not_searched_and_gaps_are_never_empty() -> None:
    stand_in = "regenerated-without-secret"
    rendered = f'KEY = "{stand_in}"\nPAIR = {stand_in}:{stand_in}\n'
    long_key = "k" * (MAX_COMPARED_LINE + 1)
    assert values_on_disk(rendered, f'KEY = "{long_key}"\n', {stand_in}) == set()
    assert values_on_disk(rendered, 'KEY = ""\n', {stand_in}) == set()
    # Each gap takes at least one character; the first place that leaves a match wins.
    assert values_on_disk(rendered, "PAIR = a:b:c\n", {stand_in}) == {"a", "b:c"}
    assert values_on_disk(rendered, "PAIR = :b\n", {stand_in}) == set()
