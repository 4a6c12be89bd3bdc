"""Thibaud 6.0a1's ``StartProject`` tests (tests/admin_scripts/tests.py), run on OUR command.

Each test keeps its framework name and assertions. Where we differ on purpose the
test says so in a ``DIFFERENCE:`` comment and asserts our behaviour instead; the
list is in docs/commands.md. Message wording is ours.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import unittest

from thibaud import get_version

from tests.support.admin_scripts import AdminScriptTestCase, custom_templates_dir, live_server


class StartProject(AdminScriptTestCase):
    def setUp(self) -> None:
        super().setUp()
        stack = contextlib.ExitStack()
        self.addCleanup(stack.close)
        self.live_server_url, self.user_agents = stack.enter_context(live_server())

    def test_wrong_args(self) -> None:
        """
        Passing the wrong kinds of arguments outputs an error and prints usage.
        """
        out, err = self.run_thibaud_admin(["startproject"])
        self.assertNoOutput(out)
        # DIFFERENCE (wording): click's "Usage:" and "Missing argument 'NAME'".
        self.assertOutput(err, "Usage:")
        self.assertOutput(err, "Missing argument 'NAME'.")

    def test_simple_project(self) -> None:
        "Make sure the startproject management command creates a project"
        args = ["startproject", "testproject"]
        testproject_dir = os.path.join(self.test_dir, "testproject")

        out, err = self.run_thibaud_admin(args)
        self.assertNoOutput(err)
        self.assertTrue(os.path.isdir(testproject_dir))

        # running again..
        out, err = self.run_thibaud_admin(args)
        self.assertNoOutput(out)
        # DIFFERENCE (python -m only): the framework finds ./testproject on sys.path (the
        # current directory, under python -m) and calls it a module; we say it exists.
        self.assertOutput(err, "'testproject' already exists")

    def test_invalid_project_name(self) -> None:
        "Make sure the startproject management command validates a project name"
        for bad_name in ("7testproject", "../testproject"):
            with self.subTest(project_name=bad_name):
                args = ["startproject", bad_name]
                testproject_dir = os.path.join(self.test_dir, bad_name)

                out, err = self.run_thibaud_admin(args)
                self.assertOutput(
                    err,
                    f"Error: '{bad_name}' is not a valid project name: "
                    "it must be a Python identifier",
                )
                self.assertFalse(os.path.exists(testproject_dir))

    def test_importable_project_name(self) -> None:
        """
        startproject validates that project name doesn't clash with existing
        Python modules.
        """
        bad_name = "os"
        args = ["startproject", bad_name]
        testproject_dir = os.path.join(self.test_dir, bad_name)

        out, err = self.run_thibaud_admin(args)
        self.assertOutput(err, "'os' conflicts with the name of an existing Python module")
        self.assertFalse(os.path.exists(testproject_dir))

    def test_command_does_not_import(self) -> None:
        """
        startproject doesn't import modules (and cannot be fooled by a module
        raising ImportError).
        """
        bad_name = "raises_import_error"
        args = ["startproject", bad_name]
        testproject_dir = os.path.join(self.test_dir, bad_name)

        with open(os.path.join(self.test_dir, "raises_import_error.py"), "w") as f:
            f.write("raise ImportError")

        out, err = self.run_thibaud_admin(args)
        # DIFFERENCE (python -m only): a module in the current directory is not an
        # existing module of the project's interpreter, so the name is free; that the
        # module was not imported still shows: no ImportError, the project is made.
        self.assertNoOutput(err)
        self.assertNotInOutput(out, "ImportError")
        self.assertTrue(os.path.exists(os.path.join(testproject_dir, "manage.py")))

    def test_simple_project_different_directory(self) -> None:
        """
        The startproject management command creates a project in a specific
        directory.
        """
        args = ["startproject", "testproject", "othertestproject"]
        testproject_dir = os.path.join(self.test_dir, "othertestproject")
        os.mkdir(testproject_dir)

        out, err = self.run_thibaud_admin(args)
        self.assertNoOutput(err)
        self.assertTrue(os.path.exists(os.path.join(testproject_dir, "manage.py")))

        # running again..
        out, err = self.run_thibaud_admin(args)
        self.assertNoOutput(out)
        # DIFFERENCE (wording, and all or nothing): the framework writes until the first
        # clash; we name the clashes and write nothing.
        self.assertOutput(err, "which the project would overwrite: nothing was written")

    def test_custom_project_template(self) -> None:
        """
        The startproject management command is able to use a different project
        template.
        """
        template_path = os.path.join(custom_templates_dir, "project_template")
        args = ["startproject", "--template", template_path, "customtestproject"]
        testproject_dir = os.path.join(self.test_dir, "customtestproject")

        out, err = self.run_thibaud_admin(args)
        self.assertNoOutput(err)
        self.assertTrue(os.path.isdir(testproject_dir))
        self.assertTrue(os.path.exists(os.path.join(testproject_dir, "additional_dir")))

    def test_custom_project_template_non_python_files_not_formatted(self) -> None:
        template_path = os.path.join(custom_templates_dir, "project_template")
        args = ["startproject", "--template", template_path, "customtestproject"]
        testproject_dir = os.path.join(self.test_dir, "customtestproject")

        _, err = self.run_thibaud_admin(args)
        self.assertNoOutput(err)
        with open(os.path.join(template_path, "additional_dir", "requirements.in")) as f:
            expected = f.read()
        with open(os.path.join(testproject_dir, "additional_dir", "requirements.in")) as f:
            result = f.read()
        self.assertEqual(expected, result)

    def test_template_dir_with_trailing_slash(self) -> None:
        "Ticket 17475: Template dir passed has a trailing path separator"
        template_path = os.path.join(custom_templates_dir, "project_template" + os.sep)
        args = ["startproject", "--template", template_path, "customtestproject"]
        testproject_dir = os.path.join(self.test_dir, "customtestproject")

        out, err = self.run_thibaud_admin(args)
        self.assertNoOutput(err)
        self.assertTrue(os.path.isdir(testproject_dir))
        self.assertTrue(os.path.exists(os.path.join(testproject_dir, "additional_dir")))

    def test_custom_project_template_from_tarball_by_path(self) -> None:
        """
        The startproject management command is able to use a different project
        template from a tarball.
        """
        template_path = os.path.join(custom_templates_dir, "project_template.tgz")
        args = ["startproject", "--template", template_path, "tarballtestproject"]
        testproject_dir = os.path.join(self.test_dir, "tarballtestproject")

        out, err = self.run_thibaud_admin(args)
        self.assertNoOutput(err)
        self.assertTrue(os.path.isdir(testproject_dir))
        self.assertTrue(os.path.exists(os.path.join(testproject_dir, "run.py")))

    def test_custom_project_template_from_tarball_to_alternative_location(self) -> None:
        """
        Startproject can use a project template from a tarball and create it in
        a specified location.
        """
        template_path = os.path.join(custom_templates_dir, "project_template.tgz")
        args = ["startproject", "--template", template_path, "tarballtestproject", "altlocation"]
        testproject_dir = os.path.join(self.test_dir, "altlocation")
        os.mkdir(testproject_dir)

        out, err = self.run_thibaud_admin(args)
        self.assertNoOutput(err)
        self.assertTrue(os.path.isdir(testproject_dir))
        self.assertTrue(os.path.exists(os.path.join(testproject_dir, "run.py")))

    def test_custom_project_template_from_tarball_by_url(self) -> None:
        """
        The startproject management command is able to use a different project
        template from a tarball via a URL.
        """
        template_url = f"{self.live_server_url}/custom_templates/project_template.tgz"

        args = ["startproject", "--template", template_url, "urltestproject"]
        testproject_dir = os.path.join(self.test_dir, "urltestproject")

        out, err = self.run_thibaud_admin(args)
        self.assertNoOutput(err)
        self.assertTrue(os.path.isdir(testproject_dir))
        self.assertTrue(os.path.exists(os.path.join(testproject_dir, "run.py")))

    def test_custom_project_template_from_tarball_by_url_thibaud_user_agent(self) -> None:
        template_url = f"{self.live_server_url}/custom_templates/project_template.tgz"
        args = ["startproject", "--template", template_url, "urltestproject"]
        _, err = self.run_thibaud_admin(args)

        self.assertNoOutput(err)
        (user_agent,) = self.user_agents
        self.assertIn(f"Thibaud/{get_version()}", user_agent)

    def test_project_template_tarball_url(self) -> None:
        """
        Startproject management command handles project template tar/zip balls
        from non-canonical urls.
        """
        template_url = f"{self.live_server_url}/custom_templates/project_template.tgz/"

        args = ["startproject", "--template", template_url, "urltestproject"]
        testproject_dir = os.path.join(self.test_dir, "urltestproject")

        out, err = self.run_thibaud_admin(args)
        self.assertNoOutput(err)
        self.assertTrue(os.path.isdir(testproject_dir))
        self.assertTrue(os.path.exists(os.path.join(testproject_dir, "run.py")))

    def test_file_without_extension(self) -> None:
        "Make sure the startproject management command is able to render custom files"
        template_path = os.path.join(custom_templates_dir, "project_template")
        args = [
            "startproject",
            "--template",
            template_path,
            "customtestproject",
            "-e",
            "txt",
            "-n",
            "Procfile",
        ]
        testproject_dir = os.path.join(self.test_dir, "customtestproject")

        out, err = self.run_thibaud_admin(args)
        self.assertNoOutput(err)
        self.assertTrue(os.path.isdir(testproject_dir))
        self.assertTrue(os.path.exists(os.path.join(testproject_dir, "additional_dir")))
        base_path = os.path.join(testproject_dir, "additional_dir")
        for f in ("Procfile", "additional_file.py", "requirements.txt"):
            self.assertTrue(os.path.exists(os.path.join(base_path, f)))
            with open(os.path.join(base_path, f)) as fh:
                self.assertEqual(
                    fh.read().strip(), "# some file for customtestproject test project"
                )

    def test_custom_project_template_context_variables(self) -> None:
        "Make sure template context variables are rendered with proper values"
        template_path = os.path.join(custom_templates_dir, "project_template")
        args = ["startproject", "--template", template_path, "another_project", "project_dir"]
        testproject_dir = os.path.join(self.test_dir, "project_dir")
        os.mkdir(testproject_dir)
        out, err = self.run_thibaud_admin(args)
        self.assertNoOutput(err)
        test_manage_py = os.path.join(testproject_dir, "manage.py")
        with open(test_manage_py) as fp:
            content = fp.read()
            self.assertIn('project_name = "another_project"', content)
            self.assertIn(f'project_directory = "{testproject_dir}"', content)

    def test_no_escaping_of_project_variables(self) -> None:
        "Make sure template context variables are not html escaped"
        # DIFFERENCE (what carries the value): the framework passes "<&>" through a
        # custom startproject command's --extra option, run by manage.py; our
        # startproject has no such option, so "<&>" goes through project_directory.
        template_path = os.path.join(custom_templates_dir, "project_template")
        args = ["startproject", "--template", template_path, "another_project", "dir<&>"]
        testproject_dir = os.path.join(self.test_dir, "dir<&>")
        os.mkdir(testproject_dir)
        out, err = self.run_thibaud_admin(args)
        self.assertNoOutput(err)
        test_manage_py = os.path.join(testproject_dir, "manage.py")
        with open(test_manage_py) as fp:
            content = fp.read()
            self.assertIn("<&>", content)

    def test_custom_project_destination_missing(self) -> None:
        """
        Make sure an exception is raised when the provided
        destination directory doesn't exist
        """
        template_path = os.path.join(custom_templates_dir, "project_template")
        args = ["startproject", "--template", template_path, "yet_another_project", "project_dir2"]
        testproject_dir = os.path.join(self.test_dir, "project_dir2")
        out, err = self.run_thibaud_admin(args)
        # DIFFERENCE (on purpose): a DIRECTORY that does not exist is created, as for
        # every startproject of ours; only its parent must exist.
        self.assertNoOutput(err)
        self.assertTrue(os.path.exists(os.path.join(testproject_dir, "manage.py")))

    def test_custom_project_template_with_non_ascii_templates(self) -> None:
        """
        The startproject management command is able to render templates with
        non-ASCII content.
        """
        template_path = os.path.join(custom_templates_dir, "project_template")
        args = ["startproject", "--template", template_path, "--extension=txt", "customtestproject"]
        testproject_dir = os.path.join(self.test_dir, "customtestproject")

        out, err = self.run_thibaud_admin(args)
        self.assertNoOutput(err)
        self.assertTrue(os.path.isdir(testproject_dir))
        path = os.path.join(testproject_dir, "ticket-18091-non-ascii-template.txt")
        with open(path, encoding="utf-8") as f:
            self.assertEqual(
                f.read().splitlines(False),
                ["Some non-ASCII text for testing ticket #18091:", "üäö €"],
            )

    def test_custom_project_template_hidden_directory_default_excluded(self) -> None:
        """Hidden directories are excluded by default."""
        template_path = os.path.join(custom_templates_dir, "project_template")
        args = [
            "startproject",
            "--template",
            template_path,
            "custom_project_template_hidden_directories",
            "project_dir",
        ]
        testproject_dir = os.path.join(self.test_dir, "project_dir")
        os.mkdir(testproject_dir)

        _, err = self.run_thibaud_admin(args)
        self.assertNoOutput(err)
        hidden_dir = os.path.join(testproject_dir, ".hidden")
        self.assertIs(os.path.exists(hidden_dir), False)

    def test_custom_project_template_hidden_directory_included(self) -> None:
        """
        Template context variables in hidden directories are rendered, if not
        excluded.
        """
        template_path = os.path.join(custom_templates_dir, "project_template")
        project_name = "custom_project_template_hidden_directories_included"
        args = [
            "startproject",
            "--template",
            template_path,
            project_name,
            "project_dir",
            "--exclude",
        ]
        testproject_dir = os.path.join(self.test_dir, "project_dir")
        os.mkdir(testproject_dir)

        _, err = self.run_thibaud_admin(args)
        self.assertNoOutput(err)
        render_py_path = os.path.join(testproject_dir, ".hidden", "render.py")
        with open(render_py_path) as fp:
            self.assertIn(f"# The {project_name} should be rendered.", fp.read())

    def test_custom_project_template_exclude_directory(self) -> None:
        """
        Excluded directories (in addition to .git and __pycache__) are not
        included in the project.
        """
        template_path = os.path.join(custom_templates_dir, "project_template")
        project_name = "custom_project_with_excluded_directories"
        args = [
            "startproject",
            "--template",
            template_path,
            project_name,
            "project_dir",
            "--exclude",
            "additional_dir",
            "-x",
            ".hidden",
        ]
        testproject_dir = os.path.join(self.test_dir, "project_dir")
        os.mkdir(testproject_dir)

        _, err = self.run_thibaud_admin(args)
        self.assertNoOutput(err)
        excluded_directories = [".hidden", "additional_dir", ".git", "__pycache__"]
        for directory in excluded_directories:
            self.assertIs(os.path.exists(os.path.join(testproject_dir, directory)), False)
        not_excluded = os.path.join(testproject_dir, project_name)
        self.assertIs(os.path.exists(not_excluded), True)

    @unittest.skipIf(sys.platform == "win32", "Windows only partially supports umasks and chmod.")
    def test_honor_umask(self) -> None:
        _, err = self.run_thibaud_admin(["startproject", "testproject"], umask=0o077)
        self.assertNoOutput(err)
        testproject_dir = os.path.join(self.test_dir, "testproject")
        self.assertIs(os.path.isdir(testproject_dir), True)
        tests = [
            (["manage.py"], 0o700),
            (["testproject"], 0o700),
            (["testproject", "settings.py"], 0o600),
        ]
        for paths, expected_mode in tests:
            file_path = os.path.join(testproject_dir, *paths)
            with self.subTest(paths[-1]):
                self.assertEqual(stat.S_IMODE(os.stat(file_path).st_mode), expected_mode)
