"""Thibaud 6.0a1's ``MainModule`` and ``ThibaudAdminSuggestions`` tests, run on OUR command:
commands that are not ours are Thibaud's, forwarded unchanged."""

from __future__ import annotations

from tests.support.admin_scripts import AdminScriptTestCase


class MainModule(AdminScriptTestCase):
    """python -m thibaud_cli works like thibaud-admin."""

    def test_program_name_in_help(self) -> None:
        out, err = self.run_test(["-m", "thibaud_cli", "help"])
        # DIFFERENCE (program name): python -m thibaud_cli is thibaud-admin, and says so.
        self.assertOutput(
            out, "Type 'thibaud-admin help <subcommand>' for help on a specific subcommand."
        )


class ThibaudAdminSuggestions(AdminScriptTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.write_settings("settings.py")

    def test_suggestions(self) -> None:
        args = ["rnserver", "--settings=test_project.settings"]
        out, err = self.run_thibaud_admin(args)
        self.assertNoOutput(out)
        self.assertOutput(err, "Unknown command: 'rnserver'. Did you mean runserver?")

    def test_no_suggestions(self) -> None:
        args = ["abcdef", "--settings=test_project.settings"]
        out, err = self.run_thibaud_admin(args)
        self.assertNoOutput(out)
        self.assertNotInOutput(err, "Did you mean")
