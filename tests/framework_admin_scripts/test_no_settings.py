"""Thibaud 6.0a1's ``ThibaudAdminNoSettings`` tests, run on OUR command.

``check`` is Thibaud's own, forwarded unchanged; ``startproject`` is ours, and needs
no settings either.
"""

from __future__ import annotations

from tests.support.admin_scripts import AdminScriptTestCase


class ThibaudAdminNoSettings(AdminScriptTestCase):
    "A series of tests for thibaud-admin when there is no settings.py file."

    def test_builtin_command(self) -> None:
        """
        no settings: thibaud-admin builtin commands fail with an error when no
        settings provided.
        """
        args = ["check", "admin_scripts"]
        out, err = self.run_thibaud_admin(args)
        self.assertNoOutput(out)
        self.assertOutput(err, "settings are not configured")

    def test_builtin_with_bad_settings(self) -> None:
        """
        no settings: thibaud-admin builtin commands fail if settings file (from
        argument) doesn't exist.
        """
        args = ["check", "--settings=bad_settings", "admin_scripts"]
        out, err = self.run_thibaud_admin(args)
        self.assertNoOutput(out)
        self.assertOutput(err, "No module named '?bad_settings'?", regex=True)

    def test_builtin_with_bad_environment(self) -> None:
        """
        no settings: thibaud-admin builtin commands fail if settings file (from
        environment) doesn't exist.
        """
        args = ["check", "admin_scripts"]
        out, err = self.run_thibaud_admin(args, "bad_settings")
        self.assertNoOutput(out)
        self.assertOutput(err, "No module named '?bad_settings'?", regex=True)

    def test_commands_with_invalid_settings(self) -> None:
        """
        Commands that don't require settings succeed if the settings file
        doesn't exist.
        """
        args = ["startproject"]
        out, err = self.run_thibaud_admin(args, settings_file="bad_settings")
        self.assertNoOutput(out)
        # DIFFERENCE (wording): click's "Missing argument 'NAME'".
        self.assertOutput(err, "Missing argument 'NAME'", regex=True)
