"""Sphinx configuration of thibaud-cli's documentation site.

The site is built from the repository's own Markdown files, read by MyST as they read on
GitHub: the README is its home page, then the pages of ``docs/`` and the documents at the
repository's root. Build it with ``nox -s docs``; ``tests/test_docs.py`` builds it strictly
(``-W -n -E``: every warning, such as a broken link or anchor, is an error).

Run from the repository's root with this directory as the configuration directory:
``python -m sphinx -c docs . build/docs``.
"""

from __future__ import annotations

from typing import Any

project = "thibaud-cli"
copyright = "the thibaud-cli developers"
html_title = "thibaud-cli"

#: The site's pages after the README, in the order of its table of contents.
PAGES = [
    "docs/install",
    "docs/commands",
    "docs/templates",
    "docs/deploying",
    "docs/reliability",
    "docs/security",
    "docs/performance",
    "CONTRIBUTING",
    "ARCHITECTURE",
    "SECURITY",
    "bench/RESULTS",
]

extensions = ["myst_parser"]
root_doc = "README"
source_suffix = {".md": "markdown"}
# The source directory is the repository's root: only these files are pages, so the
# links between them are the links GitHub shows. Any other page under docs/ is read
# too, and fails the strict build until PAGES lists it (not in any table of contents).
include_patterns = ["README.md", "docs/**.md", *(f"{page}.md" for page in PAGES)]
exclude_patterns = [".*", "build", "dist", "docs/_extra"]

# Links to headings, written as GitHub writes them (`commands.md#asgi-middleware`), are
# checked against the headings themselves.
myst_heading_anchors = 4

html_theme = "furo"
# index.html, which sends a visitor to the home page (README.html).
html_extra_path = ["_extra"]


def _table_of_contents(app: Any, docname: str, source: list[str]) -> None:
    # The README is plain Markdown for GitHub and PyPI: its table of contents is added
    # here, for the site alone, rather than written into it.
    if docname == root_doc:
        entries = "\n".join(PAGES)
        source[0] += f"\n\n```{{toctree}}\n:hidden:\n\n{entries}\n```\n"


def setup(app: Any) -> dict[str, bool]:
    app.connect("source-read", _table_of_contents)
    return {"parallel_read_safe": True}
