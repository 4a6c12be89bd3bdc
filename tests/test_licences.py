"""No direct runtime dependency may be under the GPL or the AGPL.

thibaud-cli is BSD-3-Clause. A GPL or AGPL library imported by it would put the
program as a whole under that licence. The LGPL is accepted: a Python library used
unmodified and installed on its own, which the user can replace, is what the LGPL
allows without extending its terms to ours.

The licences are read from each installed distribution's metadata: the SPDX
``License-Expression`` when there is one (core metadata 2.4), otherwise the free-text
``License`` field and the ``License ::`` classifiers.
"""

from __future__ import annotations

import re
import tomllib
from email.message import Message
from importlib import metadata
from pathlib import Path

import pytest

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"

# GPL or AGPL, not LGPL, in SPDX identifiers ("GPL-3.0-only", "AGPL-3.0-or-later"), in
# free text ("GPL3", "GPLv2+", "GNU General Public License", "GNU Affero ...") and in
# classifiers ("GNU General Public License v3 (GPLv3)").
_GPL_TEXT = re.compile(
    r"(?<![A-Za-z])A?GPL|GNU (Affero )?General Public Licen[cs]e|\bAffero\b", re.IGNORECASE
)


def copyleft_licence(distribution: Message) -> str | None:
    """The GPL or AGPL licence *distribution*'s metadata declares, or None."""
    expression = distribution.get("License-Expression")
    if expression:
        # "MIT OR GPL-2.0-only" may be taken as MIT: one GPL-free choice is enough.
        choices = re.split(r"\s+OR\s+", expression.replace("(", " ").replace(")", " "))
        if all(_GPL_TEXT.search(choice) for choice in choices):
            return expression
        return None
    declared = [distribution.get("License") or ""]
    declared += [c for c in distribution.get_all("Classifier") or [] if c.startswith("License ::")]
    for text in declared:
        if _GPL_TEXT.search(text):
            return text
    return None


def declares_a_licence(distribution: Message) -> bool:
    return bool(
        distribution.get("License-Expression")
        or distribution.get("License")
        or any(c.startswith("License ::") for c in distribution.get_all("Classifier") or [])
    )


def direct_dependencies() -> list[str]:
    """The distribution names in ``[project] dependencies`` of pyproject.toml."""
    project = tomllib.loads(PYPROJECT.read_text("utf-8"))["project"]
    names = []
    for requirement in project["dependencies"]:
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
        assert match, requirement
        names.append(match[0])
    return names


def sample(**fields: str | list[str]) -> Message:
    message = Message()
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            message[name.replace("_", "-")] = item
    return message


@pytest.mark.parametrize(
    ("fields", "copyleft"),
    [
        # merge3 1.0.0, the merge library this project used before.
        ({"License_Expression": "GPL-2.0-or-later"}, True),
        # jinja2-ansible-filters 1.3.2, which copier requires.
        ({"License": "GPL3"}, True),
        ({"License": "GNU Affero General Public License v3"}, True),
        ({"License_Expression": "AGPL-3.0-only"}, True),
        ({"License_Expression": "GPL-3.0-only AND MIT"}, True),
        (
            {"Classifier": ["License :: OSI Approved :: GNU General Public License v3 (GPLv3)"]},
            True,
        ),
        (
            {
                "License": "",
                "Classifier": ["License :: OSI Approved :: GNU General Public License (GPL)"],
            },
            True,
        ),
        ({"License_Expression": "LGPL-3.0-or-later"}, False),
        ({"License": "LGPLv3+"}, False),
        (
            {
                "Classifier": [
                    "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)"
                ]
            },
            False,
        ),
        ({"License_Expression": "MIT OR GPL-2.0-only"}, False),
        ({"License_Expression": "BSD-3-Clause"}, False),
        ({"Classifier": ["License :: OSI Approved :: BSD License"]}, False),
        # A licence field that is the whole licence text, as some packages have.
        ({"License": "Copyright (c) 2020\nPermission is hereby granted, free of charge"}, False),
    ],
)
def test_copyleft_licence_tells_gpl_from_the_rest(
    fields: dict[str, str | list[str]], copyleft: bool
) -> None:
    assert (copyleft_licence(sample(**fields)) is not None) == copyleft


def test_no_direct_dependency_is_gpl() -> None:
    names = direct_dependencies()
    assert "copier" in names and "merge3" not in names
    for name in names:
        distribution = metadata.metadata(name)
        assert declares_a_licence(distribution), f"{name} declares no licence: check it by hand"
        licence = copyleft_licence(distribution)
        assert licence is None, f"{name} is under {licence!r}: a direct dependency may not be GPL"
