"""Which declared requirement brings Django into a variant's environment (--install).

Django ecosystem packages (django-axes, dj-database-url...) import ``django`` and do not
run on Thibaud; some pull Django itself in. Whether they do is what the built
environment holds, not what their names look like: the environment's own interpreter
is asked (it is another interpreter than the one running thibaud-admin), walking the
``Requires-Dist`` of its distributions from each declared requirement.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

#: The distribution that must not be there.
DJANGO = "django"
#: How long the environment's interpreter may take to list its distributions.
_TIMEOUT = 60.0

# Run by the environment's interpreter (-I: nothing of the project's directory or the
# caller's environment on its path). argv[1]: the declared names, canonical. Prints the
# declared names whose dependencies (their own included) hold Django, or null when Django
# is not installed. A dependency behind an extra is followed only when nothing else
# explains Django: an extra nobody asked for installs nothing.
_PROBE = r"""
import json, re, sys
from importlib import metadata

def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()

def named(requirement):
    found = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return canonical(found.group(1)) if found else None

plain, every = {}, {}
for dist in metadata.distributions():
    name = dist.metadata["Name"]
    if not name:
        continue
    requires = dist.requires or []
    every[canonical(name)] = {named(r) for r in requires} - {None}
    unconditional = [r for r in requires if "extra" not in r.partition(";")[2]]
    plain[canonical(name)] = {named(r) for r in unconditional} - {None}

def reaches(start, graph):
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in seen or name not in graph:
            continue
        seen.add(name)
        todo.extend(graph[name])
    return "django" in seen

if "django" not in every:
    print("null")
else:
    declared = json.loads(sys.argv[1])
    by = [name for name in declared if reaches(name, plain)]
    by = by or [name for name in declared if reaches(name, every)]
    print(json.dumps(by))
"""


def django_brought_in_by(python: Path, requirements: Iterable[str]) -> list[str] | None:
    """The declared *requirements* (as written, e.g. ``django-axes>=6``) whose
    dependencies put Django in the environment of *python*; None when it holds no
    Django (an empty list: Django is there and no declared requirement explains it).
    An interpreter that cannot answer says None: the boot checks report what follows."""
    by_name = {canonicalize_name(Requirement(text).name): text for text in requirements}
    try:
        completed = subprocess.run(
            [str(python), "-I", "-c", _PROBE, json.dumps(sorted(by_name))],
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
        found = json.loads(completed.stdout) if completed.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError):
        return None
    if not isinstance(found, list):
        return None
    return [by_name[name] for name in found if name in by_name]
