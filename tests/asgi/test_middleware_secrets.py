"""The diffs and conflicts the middleware commands print never show the project's
secrets, whatever their form: a SECRET_KEY without Thibaud's ``thibaud-insecure-``
prefix, the answer to a secret question (issue 25, as ``update`` does:
tests/update/test_update_secrets.py). Only the template says where they are."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from tests.support.cli import run_cli
from tests.support.trees import tree_snapshot
from thibaud_cli.template.secrets import MASK

BUNDLED = Path(__file__).resolve().parents[2] / "templates" / "project"
GZIP = "thibaud.middleware.gzip.GZipMiddleware"
PROXY = "uvicorn.middleware.proxy_headers.ProxyHeadersMiddleware"
PASSWORD = "the-real-password-given-once"
_END = "# End of ASGI middleware.\n"


def _template(root: Path, *, asgi_secret_after_end: bool) -> Path:
    """The bundled template, its key written bare, next to what the commands change:
    above ``MIDDLEWARE``, and beside the end of asgi.py's middleware block (right
    after it: the diff's context; or right before it: the block's own lines)."""
    template = shutil.copytree(BUNDLED, root)
    copier = template / "copier.yml"
    copier.write_text(
        copier.read_text()
        + "\ndb_password:\n  type: str\n  secret: true\n  default: change-me-before-production\n"
    )
    settings = template / "{{ project_name }}" / "settings.py.jinja"
    text = settings.read_text().replace('"thibaud-insecure-{{ secret_key }}"', '"{{ secret_key }}"')
    secrets = 'SIGNING_KEY = "{{ secret_key }}"\nDATABASE_PASSWORD = "{{ db_password }}"\n'
    settings.write_text(text.replace("MIDDLEWARE = [\n", secrets + "MIDDLEWARE = [\n", 1))
    asgi = template / "{{ project_name }}" / "asgi.py.jinja"
    text = asgi.read_text()
    assert _END in text
    asgi_secrets = 'ASGI_KEY = "{{ secret_key }}"\nASGI_PASSWORD = "{{ db_password }}"\n'
    if asgi_secret_after_end:
        text = text.replace(_END, _END + asgi_secrets, 1)
    else:
        text = text.replace(_END, asgi_secrets + _END, 1)
    asgi.write_text(text)
    return template


def _project(tmp_path: Path, *, asgi_secret_after_end: bool = True) -> tuple[Path, str]:
    template = _template(tmp_path / "template", asgi_secret_after_end=asgi_secret_after_end)
    created = run_cli(
        "startproject",
        "mysite",
        "--template",
        str(template),
        "--data",
        f"db_password={PASSWORD}",
        cwd=tmp_path,
    )
    assert created.returncode == 0, created.stderr
    project = tmp_path / "mysite"
    settings = (project / "mysite" / "settings.py").read_text()
    key = re.search(r'SIGNING_KEY = "(.+)"', settings)
    assert key is not None and "thibaud-insecure-" not in key.group(1)
    assert PASSWORD in settings
    return project, key.group(1)


def _shown(done: object) -> str:
    return str(getattr(done, "stdout", "")) + str(getattr(done, "stderr", ""))


def test_add_middleware_dry_run_masks_a_bare_key_and_a_secret_answer(tmp_path: Path) -> None:
    project, key = _project(tmp_path)
    before = tree_snapshot(project)
    first = "thibaud.middleware.security.SecurityMiddleware"
    done = run_cli(
        "add-middleware", GZIP, "--before", first, "--no-verify", "--dry-run", cwd=project
    )
    assert done.returncode == 0, done.stderr
    assert (
        f' SIGNING_KEY = "{MASK}"\n DATABASE_PASSWORD = "{MASK}"\n MIDDLEWARE = [\n' in done.stdout
    )
    assert key not in _shown(done) and PASSWORD not in _shown(done)
    # Shown again with -v 2 once written: masked the same.
    done = run_cli("add-middleware", GZIP, "--before", first, "--no-verify", "-v", "2", cwd=project)
    assert done.returncode == 0, done.stderr
    assert f' SIGNING_KEY = "{MASK}"\n' in done.stdout
    assert key not in _shown(done) and PASSWORD not in _shown(done)
    done = run_cli("remove-middleware", GZIP, "--dry-run", cwd=project)
    assert done.returncode == 0, done.stderr
    assert f' DATABASE_PASSWORD = "{MASK}"\n' in done.stdout
    assert key not in _shown(done) and PASSWORD not in _shown(done)
    assert before != tree_snapshot(project)  # the -v 2 run wrote; the dry runs did not


def test_add_asgi_middleware_dry_run_masks_a_bare_key_and_a_secret_answer(
    tmp_path: Path,
) -> None:
    project, key = _project(tmp_path)
    before = tree_snapshot(project)
    done = run_cli("add-asgi-middleware", PROXY, "--dry-run", cwd=project)
    assert done.returncode == 0, done.stderr
    assert f' {_END} ASGI_KEY = "{MASK}"\n ASGI_PASSWORD = "{MASK}"\n' in done.stdout
    assert key not in _shown(done) and PASSWORD not in _shown(done)
    assert tree_snapshot(project) == before


def test_a_conflict_of_add_asgi_middleware_masks_the_secrets_in_its_hunks(
    tmp_path: Path,
) -> None:
    # The secrets sit right before the block's end, where the wraps go: the lines on
    # disk differ from the render's stand-ins there, so the hunks hold them.
    project, key = _project(tmp_path, asgi_secret_after_end=False)
    asgi = project / "mysite" / "asgi.py"
    asgi.write_text(asgi.read_text().replace(_END, "print('mine')\n" + _END, 1))
    before = tree_snapshot(project)
    done = run_cli("add-asgi-middleware", PROXY, cwd=project)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "conflicts with your edits" in done.stderr
    assert f'ASGI_KEY = "{MASK}"' in done.stderr
    assert key not in _shown(done) and PASSWORD not in _shown(done)
    assert tree_snapshot(project) == before
