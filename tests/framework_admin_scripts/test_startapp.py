"""Thibaud 6.0a1's ``StartApp`` tests (tests/admin_scripts/tests.py), run on OUR command.

``startapp`` is Thibaud's own command, forwarded unchanged: these hold as they are.
"""

from __future__ import annotations

import os
import stat

from tests.support.admin_scripts import HAS_BLACK, AdminScriptTestCase


class StartApp(AdminScriptTestCase):
    def test_invalid_name(self) -> None:
        """startapp validates that app name is a valid Python identifier."""
        for bad_name in ("7testproject", "../testproject"):
            with self.subTest(app_name=bad_name):
                args = ["startapp", bad_name]
                testproject_dir = os.path.join(self.test_dir, bad_name)

                out, err = self.run_thibaud_admin(args)
                self.assertOutput(
                    err,
                    f"CommandError: '{bad_name}' is not a valid app name. Please make "
                    "sure the name is a valid identifier.",
                )
                self.assertFalse(os.path.exists(testproject_dir))

    def test_importable_name(self) -> None:
        """
        startapp validates that app name doesn't clash with existing Python
        modules.
        """
        bad_name = "os"
        args = ["startapp", bad_name]
        testproject_dir = os.path.join(self.test_dir, bad_name)

        out, err = self.run_thibaud_admin(args)
        self.assertOutput(
            err,
            "CommandError: 'os' conflicts with the name of an existing "
            "Python module and cannot be used as an app name. Please try "
            "another name.",
        )
        self.assertFalse(os.path.exists(testproject_dir))

    def test_invalid_target_name(self) -> None:
        for bad_target in ("invalid.dir_name", "7invalid_dir_name", ".invalid_dir_name"):
            with self.subTest(bad_target):
                _, err = self.run_thibaud_admin(["startapp", "app", bad_target])
                self.assertOutput(
                    err,
                    f"CommandError: '{bad_target}' is not a valid app directory. Please "
                    "make sure the directory is a valid identifier.",
                )

    def test_importable_target_name(self) -> None:
        _, err = self.run_thibaud_admin(["startapp", "app", "os"])
        self.assertOutput(
            err,
            "CommandError: 'os' conflicts with the name of an existing Python "
            "module and cannot be used as an app directory. Please try "
            "another directory.",
        )

    def test_trailing_slash_in_target_app_directory_name(self) -> None:
        app_dir = os.path.join(self.test_dir, "apps", "app1")
        os.makedirs(app_dir)
        _, err = self.run_thibaud_admin(["startapp", "app", os.path.join("apps", "app1", "")])
        self.assertNoOutput(err)
        self.assertIs(os.path.exists(os.path.join(app_dir, "apps.py")), True)

    def test_overlaying_app(self) -> None:
        # Use a subdirectory so it is outside the PYTHONPATH.
        os.makedirs(os.path.join(self.test_dir, "apps/app1"))
        self.run_thibaud_admin(["startapp", "app1", "apps/app1"])
        out, err = self.run_thibaud_admin(["startapp", "app2", "apps/app1"])
        self.assertOutput(
            err,
            "already exists. Overlaying an app into an existing directory "
            "won't replace conflicting files.",
        )

    def test_template(self) -> None:
        out, err = self.run_thibaud_admin(["startapp", "new_app"])
        self.assertNoOutput(err)
        app_path = os.path.join(self.test_dir, "new_app")
        self.assertIs(os.path.exists(app_path), True)
        with open(os.path.join(app_path, "apps.py")) as f:
            content = f.read()
            self.assertIn("class NewAppConfig(AppConfig)", content)
            if HAS_BLACK:
                test_str = 'default_auto_field = "thibaud.db.models.BigAutoField"'
            else:
                test_str = "default_auto_field = 'thibaud.db.models.BigAutoField'"
            self.assertIn(test_str, content)
            self.assertIn('name = "new_app"' if HAS_BLACK else "name = 'new_app'", content)


class StartProjectFormatter(AdminScriptTestCase):
    """``StartProject.test_failure_to_format_code``: it runs ``startapp``."""

    def test_failure_to_format_code(self) -> None:
        # The framework mocks shutil.which to name a missing black, in process; in a
        # subprocess, a black on PATH that cannot be executed fails the same way.
        bin_dir = os.path.join(self.test_dir, "bin")
        os.mkdir(bin_dir)
        black = os.path.join(bin_dir, "black")
        with open(black, "w") as f:
            f.write("#!/nonexistent/interpreter\n")
        os.chmod(black, stat.S_IRWXU)
        path = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
        # The framework renders into its test directory, which is not on its path;
        # here it is (PYTHONPATH), so a subdirectory that is not.
        directory = os.path.join(self.test_dir, "apps", "mynewapp_dir")
        os.makedirs(directory)
        _, err = self.run_test(["-m", "thibaud_cli", "startapp", "mynewapp", directory], path=path)
        self.assertIn("Formatters failed to launch", err)
