"""What is a secret, and how a report or a diff shows one: the one place that decides.

A template's secrets are the answers to its ``secret: true`` questions and the
``SECRET_KEY`` thibaud-admin gives every render (``secret_key``). validate-template's
reports and every diff we print (``update --dry-run``, the middleware commands'
``--dry-run``) mask them with :data:`MASK`, by value: a secret is replaced wherever its
text appears.

A diff shows a project's files, whose secrets no answers file records: the
``SECRET_KEY`` was generated when the project was, and regeneration renders a
placeholder in its place. :func:`values_on_disk` finds what a rendered placeholder
(or default) stands for in the file on disk, from the line the template wrote around
it. A development key written with Thibaud's ``thibaud-insecure-`` prefix (as Thibaud's
own ``startproject`` writes it) is recognised by that prefix too
(:func:`development_keys`), in whatever file a diff shows. :func:`secrets_shown` is the
one decision of which secrets a diff of the project may show, for every command that
prints one (``update``, the middleware commands).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any

#: What a report or a diff shows instead of a secret.
MASK = "******"
#: The answer thibaud-admin sets to the render's SECRET_KEY (never recorded).
SECRET_KEY_ANSWER = "secret_key"
#: The SECRET_KEY regenerated files are rendered with (the real one is not recorded).
SECRET_PLACEHOLDER = "regenerated-without-secret"
#: Lines of a file on disk longer than this are not searched for a secret: a
#: SECRET_KEY's line is short, and a minified or generated line would only cost time.
MAX_COMPARED_LINE = 4096
#: Secret values shorter than this are masked in answers and names (by key), not inside
#: free text: a one-letter secret replaced there would garble every word holding it,
#: and a value that short is no secret from anyone who can guess.
MIN_MASKED_LENGTH = 4
#: The prefix of a development SECRET_KEY, Thibaud's (and Django's) own marker of one.
_DEVELOPMENT_KEY = re.compile(r"(?:thibaud|django)-insecure-([^\s\"'`]+)")


def secret_questions(config: Mapping[str, Any]) -> frozenset[str]:
    """The questions of a template's copier.yml marked ``secret: true``."""
    return frozenset(
        str(name)
        for name, spec in config.items()
        if isinstance(spec, Mapping) and spec.get("secret") is True
    )


def secret_defaults(config: Mapping[str, Any]) -> frozenset[str]:
    """The literal defaults of the secret questions (a default with Jinja in it is
    known once rendered: ``RenderedTemplate.secret_values``)."""
    secret = secret_questions(config)
    return frozenset(
        str(spec["default"])
        for name, spec in config.items()
        if name in secret
        and isinstance(spec, Mapping)
        and spec.get("default") not in (None, "")
        and "{" not in str(spec["default"])
    )


def maskable(values: Iterable[str]) -> list[str]:
    """The *values* masked inside text, longest first (a secret holding another goes whole)."""
    return sorted(
        {value for value in values if len(value) >= MIN_MASKED_LENGTH}, key=len, reverse=True
    )


def mask_text(text: str, values: Iterable[str]) -> str:
    """*text* with every secret value in it (:func:`maskable`) replaced by :data:`MASK`.
    Mask before cutting a text short: a cut secret's tail would no longer match."""
    for value in maskable(values):
        text = text.replace(value, MASK)
    return text


def development_keys(text: str) -> set[str]:
    """The development SECRET_KEYs in *text*, less their ``thibaud-insecure-`` prefix
    (kept in view: it tells the reader which key was masked)."""
    return set(_DEVELOPMENT_KEY.findall(text))


def mask_diff(diff: str, values: Iterable[str] = ()) -> str:
    """A diff we print, every secret in it masked: *values*, and development keys."""
    return mask_text(diff, {*values, *development_keys(diff)})


def values_on_disk(rendered: str, on_disk: str, stand_ins: Collection[str]) -> set[str]:
    """What each of *stand_ins* (a placeholder or a default a render put where a secret
    goes) stands for in *on_disk*, the file the render's *rendered* text became.

    A line of *rendered* that holds a stand-in is a pattern: the same text around it,
    anything (not nothing) in its place. Every line of *on_disk* that matches gives the
    secret there. A line the user has changed around the secret no longer matches, nor
    does one with too little around it (the stand-in alone): that secret is not found.
    Matched by finding each literal part in turn, in time linear in the line (a regular
    expression of several stand-ins backtracked for minutes on one line), on lines of
    at most :data:`MAX_COMPARED_LINE` characters.
    """
    wanted = [value for value in stand_ins if len(value) >= MIN_MASKED_LENGTH]
    if not wanted:
        return set()
    patterns: set[tuple[str, ...]] = set()
    for line in rendered.splitlines():
        for value in wanted:
            parts = tuple(line.split(value))
            # Too little around the stand-in (a line of it alone) would match any line.
            if len(parts) > 1 and len("".join(parts).strip()) >= MIN_MASKED_LENGTH:
                patterns.add(parts)
    found: set[str] = set()
    if not patterns:
        return found
    for line in on_disk.splitlines():
        if len(line) > MAX_COMPARED_LINE:
            continue
        for parts in patterns:
            holes = _holes(line, parts)
            if holes is not None:
                found.update(hole for hole in holes if hole not in wanted)
    return found


def _holes(line: str, parts: tuple[str, ...]) -> list[str] | None:
    """What fills the gaps between *parts* (each gap at least one character) when they
    make up *line*, or None. Each middle part is taken where it first occurs: for gaps
    that take anything, the leftmost choice finds a match whenever there is one."""
    first, *middle, last = parts
    end = len(line) - len(last)
    if not line.startswith(first) or not line.endswith(last) or end < len(first):
        return None
    holes, position = [], len(first)
    for part in middle:
        found = line.find(part, position + 1, end)
        if found < 0:
            return None
        holes.append(line[position:found])
        position = found + len(part)
    if end <= position:
        return None
    holes.append(line[position:end])
    return holes


def secrets_shown(
    files: Iterable[tuple[str, str]],
    rendered_values: Iterable[str],
    stand_ins: Iterable[str] = (),
    given: Iterable[str] = (),
) -> frozenset[str]:
    """The secrets a diff of the project may show: the one decision, for ``update`` and
    the middleware commands alike.

    *files* pairs a file's text as the template renders it from the recorded answers
    (the SECRET_KEY :data:`SECRET_PLACEHOLDER`, secret questions at their defaults)
    with its text on disk; *rendered_values* are the answers to secret questions the
    renders had (defaults, generated defaults), *stand_ins* those of the render the
    *files* come from, *given* the ones the user gives now. What the stand-ins stand
    for on disk (:func:`values_on_disk`) is the project's own key and the answers given
    at startproject, which no answers file records.
    """
    wanted = {SECRET_PLACEHOLDER, *stand_ins}
    found: set[str] = set()
    for rendered, on_disk in files:
        if any(value in rendered for value in wanted):
            found |= values_on_disk(rendered, on_disk, wanted)
    return frozenset({*rendered_values, *given, *found})
