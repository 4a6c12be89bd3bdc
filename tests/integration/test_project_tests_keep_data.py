"""A generated project's own tests never touch the development database (issue 22,
item 3): a user created in it survives ``pytest`` with a ``TransactionTestCase`` (which
empties every table it used), a ``TestCase`` and a plain test function that write
users, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from tests.support.servers import project_env
from tests.support.services import postgres_server

pytestmark = pytest.mark.servers

USER_TESTS = '''"""Tests a user adds: each writes users, one empties the tables after it."""

from thibaud.contrib.auth.models import User
from thibaud.test import TestCase, TransactionTestCase


class UsersInATransactionTestCase(TransactionTestCase):
    def test_starts_from_an_empty_table(self):
        self.assertFalse(User.objects.filter(username="developer").exists())
        User.objects.create_user("transaction-test-case")


class UsersInATestCase(TestCase):
    def test_writes_a_user(self):
        User.objects.create_user("test-case")
        self.assertTrue(User.objects.filter(username="test-case").exists())


def test_a_plain_function_writes_a_user():
    User.objects.create_user("plain-function")
'''
COUNT_USERS = (
    "from thibaud.contrib.auth.models import User; "
    "print(sorted(User.objects.values_list('username', flat=True)))"
)
CREATE_USER = "from thibaud.contrib.auth.models import User; User.objects.create_user('developer')"


def run(project: Path, env: Mapping[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, *argv],
        cwd=project,
        env=project_env(project, env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def check_the_development_data_survives(project: Path, env: Mapping[str, str]) -> None:
    run(project, env, "manage.py", "migrate", "--noinput")
    run(project, env, "manage.py", "shell", "-c", CREATE_USER)
    (project / "tests" / "test_users.py").write_text(USER_TESTS, "utf-8")
    tested = run(project, env, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert " passed" in tested.stdout and "failed" not in tested.stdout
    users = run(project, env, "manage.py", "shell", "-c", COUNT_USERS)
    assert users.stdout.strip() == "['developer']"
    assert "They never touch your data" in (project / "README.md").read_text("utf-8")


def test_sqlite_development_data_survives_the_tests(make_project: Callable[..., Path]) -> None:
    project = make_project()
    check_the_development_data_survives(project, {})
    assert (project / "db.sqlite3").is_file()


def test_postgresql_development_data_survives_the_tests(
    make_project: Callable[..., Path],
) -> None:
    project = make_project(database="postgresql")
    with postgres_server() as pg:
        env = {"DATABASE_URL": pg.create_database("mysite")}
        check_the_development_data_survives(project, env)
        # The test database was made beside it, and is gone.
        databases = pg.psql("SELECT datname FROM pg_database ORDER BY datname").split()
        assert "mysite" in databases and "test_mysite" not in databases
