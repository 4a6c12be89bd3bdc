"""The command that restores thibaud-cli, read from pip's PEP 610 record (issue 22).

The real thing (a wheel and a git URL installed, Thibaud reinstalled over them, the
printed command run) is in ``tests/integration/test_wheel.py``; here, every shape of
``direct_url.json`` PEP 610 defines, as pip writes them.
"""

from __future__ import annotations

import pytest

from thibaud_cli.project.installed import _install_spec


@pytest.mark.parametrize(
    ("record", "spec"),
    [
        ({"url": "file:///src/thibaud-cli", "dir_info": {}}, ["/src/thibaud-cli"]),
        (
            {"url": "file:///src/thibaud-cli", "dir_info": {"editable": True}},
            ["-e", "/src/thibaud-cli"],
        ),
        (
            {"url": "file:///src/my%20checkout", "dir_info": {"editable": False}},
            ["/src/my checkout"],
        ),
        (
            {
                "url": "file:///tmp/thibaud_cli-0.3.0-py3-none-any.whl",
                "archive_info": {"hashes": {"sha256": "0" * 64}},
            },
            ["/tmp/thibaud_cli-0.3.0-py3-none-any.whl"],
        ),
        (
            {
                "url": "https://github.com/thibaud-cli/thibaud-cli",
                "vcs_info": {
                    "vcs": "git",
                    "requested_revision": "v0.3.0",
                    "commit_id": "7f0c2d3e4b5a69788796a5b4c3d2e1f001122334",
                },
            },
            [
                "git+https://github.com/thibaud-cli/thibaud-cli"
                "@7f0c2d3e4b5a69788796a5b4c3d2e1f001122334"
            ],
        ),
        (
            {
                "url": "ssh://git@example.com/tools.git",
                "vcs_info": {"vcs": "git", "commit_id": "abc123"},
                "subdirectory": "cli",
            },
            ["git+ssh://git@example.com/tools.git@abc123#subdirectory=cli"],
        ),
        (
            {"url": "https://example.com/thibaud_cli-0.3.0.tar.gz", "archive_info": {}},
            ["https://example.com/thibaud_cli-0.3.0.tar.gz"],
        ),
        # Nothing we can reinstall exactly: no advice rather than a wrong one.
        ({"url": "https://hg.example.com/cli", "vcs_info": {"vcs": "hg", "commit_id": "1"}}, None),
    ],
)
def test_each_origin_gives_its_own_reinstall(
    record: dict[str, object], spec: list[str] | None
) -> None:
    assert _install_spec(record) == spec
