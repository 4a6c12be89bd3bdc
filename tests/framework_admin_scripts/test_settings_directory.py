"""Thibaud 6.0a1's ``ThibaudAdminSettingsDirectory`` tests, run on OUR command.

Every command here is Thibaud's own (startapp, check, an unknown one), forwarded
unchanged: these hold as they are.
"""

from __future__ import annotations

import os

from tests.support.admin_scripts import (
    HAS_BLACK,
    SYSTEM_CHECK_MSG,
    AdminScriptTestCase,
    custom_templates_dir,
)


class ThibaudAdminSettingsDirectory(AdminScriptTestCase):
    """
    A series of tests for thibaud-admin when the settings file is in a
    directory. (see #9751).
    """

    def setUp(self) -> None:
        super().setUp()
        self.write_settings("settings", is_dir=True)

    def test_setup_environ(self) -> None:
        "directory: startapp creates the correct directory"
        args = ["startapp", "settings_test"]
        app_path = os.path.join(self.test_dir, "settings_test")
        out, err = self.run_thibaud_admin(args, "test_project.settings")
        self.assertNoOutput(err)
        self.assertTrue(os.path.exists(app_path))
        with open(os.path.join(app_path, "apps.py")) as f:
            content = f.read()
            self.assertIn("class SettingsTestConfig(AppConfig)", content)
            self.assertIn(
                'name = "settings_test"' if HAS_BLACK else "name = 'settings_test'", content
            )

    def test_setup_environ_custom_template(self) -> None:
        "directory: startapp creates the correct directory with a custom template"
        template_path = os.path.join(custom_templates_dir, "app_template")
        args = ["startapp", "--template", template_path, "custom_settings_test"]
        app_path = os.path.join(self.test_dir, "custom_settings_test")
        out, err = self.run_thibaud_admin(args, "test_project.settings")
        self.assertNoOutput(err)
        self.assertTrue(os.path.exists(app_path))
        self.assertTrue(os.path.exists(os.path.join(app_path, "api.py")))

    def test_startapp_unicode_name(self) -> None:
        """startapp creates the correct directory with Unicode characters."""
        args = ["startapp", "こんにちは"]
        app_path = os.path.join(self.test_dir, "こんにちは")
        out, err = self.run_thibaud_admin(args, "test_project.settings")
        self.assertNoOutput(err)
        self.assertTrue(os.path.exists(app_path))
        with open(os.path.join(app_path, "apps.py"), encoding="utf8") as f:
            content = f.read()
            self.assertIn("class こんにちはConfig(AppConfig)", content)
            self.assertIn('name = "こんにちは"' if HAS_BLACK else "name = 'こんにちは'", content)

    def test_builtin_command(self) -> None:
        """
        directory: thibaud-admin builtin commands fail with an error when no
        settings provided.
        """
        args = ["check", "admin_scripts"]
        out, err = self.run_thibaud_admin(args)
        self.assertNoOutput(out)
        self.assertOutput(err, "settings are not configured")

    def test_builtin_with_bad_settings(self) -> None:
        """
        directory: thibaud-admin builtin commands fail if settings file (from
        argument) doesn't exist.
        """
        args = ["check", "--settings=bad_settings", "admin_scripts"]
        out, err = self.run_thibaud_admin(args)
        self.assertOutput(err, "No module named '?bad_settings'?", regex=True)

    def test_builtin_with_bad_environment(self) -> None:
        """
        directory: thibaud-admin builtin commands fail if settings file (from
        environment) doesn't exist.
        """
        args = ["check", "admin_scripts"]
        out, err = self.run_thibaud_admin(args, "bad_settings")
        self.assertNoOutput(out)
        self.assertOutput(err, "No module named '?bad_settings'?", regex=True)

    def test_custom_command(self) -> None:
        """
        directory: thibaud-admin can't execute user commands unless settings are
        provided.
        """
        args = ["noargs_command"]
        out, err = self.run_thibaud_admin(args)
        self.assertNoOutput(out)
        self.assertOutput(err, "No Thibaud settings specified")
        self.assertOutput(err, "Unknown command: 'noargs_command'")

    def test_builtin_with_settings(self) -> None:
        """
        directory: thibaud-admin builtin commands succeed if settings are
        provided as argument.
        """
        args = ["check", "--settings=test_project.settings", "admin_scripts"]
        out, err = self.run_thibaud_admin(args)
        self.assertNoOutput(err)
        self.assertOutput(out, SYSTEM_CHECK_MSG)

    def test_builtin_with_environment(self) -> None:
        """
        directory: thibaud-admin builtin commands succeed if settings are
        provided in the environment.
        """
        args = ["check", "admin_scripts"]
        out, err = self.run_thibaud_admin(args, "test_project.settings")
        self.assertNoOutput(err)
        self.assertOutput(out, SYSTEM_CHECK_MSG)
