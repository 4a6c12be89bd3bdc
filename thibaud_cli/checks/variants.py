"""validate-template's variants: the answer sets a template is rendered with.

Without ``--matrix``, the defaults plus one variant per other choice of every
question with ``choices``; with it, the answer sets the file lists.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from thibaud_cli.checks.results import VariantResult
from thibaud_cli.errors import MatrixFileError
from thibaud_cli.formats.yaml import MAX_VALUES, YamlError, describe_error, load, too_large
from thibaud_cli.fs.regular import read_regular_bytes

#: Without --matrix: at most this many combinations, else a pairwise set.
MAX_DEFAULT_VARIANTS = 12
#: What a report shows instead of the answer to a ``secret: true`` question.
MASK = "******"


@dataclass(frozen=True)
class Variant:
    """One answer set to render: a name for reports, and the answers given."""

    name: str
    answers: dict[str, Any]


def _choice_values(choices: object) -> list[Any]:
    """The values of a copier ``choices`` list or mapping ({label: value} or [label, value])."""
    if isinstance(choices, Mapping):
        raw = list(choices.values())
    elif isinstance(choices, list):
        raw = [
            item[1] if isinstance(item, list | tuple) and len(item) == 2 else item
            for item in choices
        ]
    else:
        return []  # a Jinja expression: only copier can evaluate it
    return [
        item["value"] if isinstance(item, Mapping) and "value" in item else item for item in raw
    ]


def secret_questions(config: Mapping[str, Any]) -> frozenset[str]:
    """The questions of a template's copier.yml marked ``secret: true``."""
    return frozenset(
        str(name)
        for name, spec in config.items()
        if isinstance(spec, Mapping) and spec.get("secret") is True
    )


def secret_defaults(config: Mapping[str, Any]) -> frozenset[str]:
    """The literal defaults of the secret questions (a default with Jinja in it is
    known once rendered: :attr:`RenderedTemplate.secret_values`)."""
    return frozenset(
        str(spec["default"])
        for name, spec in config.items()
        if name in secret_questions(config)
        and isinstance(spec, Mapping)
        and spec.get("default") not in (None, "")
        and "{" not in str(spec["default"])
    )


def mask_answers(answers: Mapping[str, Any], secrets: Collection[str]) -> dict[str, Any]:
    """*answers* with the answer to every secret question replaced by :data:`MASK`."""
    return {key: MASK if key in secrets else value for key, value in answers.items()}


#: Secret values shorter than this are masked in answers and names (by key), not inside
#: free text: a one-letter secret replaced there would garble every word holding it,
#: and a value that short is no secret from anyone who can guess.
MIN_MASKED_LENGTH = 4


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


def mask_result(
    result: VariantResult, secrets: Collection[str], values: Iterable[str]
) -> VariantResult:
    """*result* as reports may show it: secret answers masked in its answers, and
    secret *values* masked wherever they appear (its name, every check's message)."""
    ordered = maskable(values)

    def masked(text: str) -> str:
        return mask_text(text, ordered)

    return VariantResult(
        masked(result.name),
        mask_answers(result.answers, secrets),
        tuple(replace(check, message=masked(check.message)) for check in result.checks),
    )


def _variant_name(answers: Mapping[str, Any], secrets: Collection[str] = ()) -> str:
    shown = mask_answers(answers, secrets)
    return ", ".join(f"{key}={value}" for key, value in shown.items()) or "defaults"


def _varied_values(spec: Mapping[str, Any]) -> list[Any]:
    """The values a question is varied over, its default first; [] if it is not varied."""
    if spec.get("when") is False:
        return []
    if "choices" in spec:
        values = _choice_values(spec["choices"])
    elif spec.get("type") == "bool":
        values = [True, False]
    else:
        return []
    default = spec.get("default")
    if default in values:
        values = [default, *(value for value in values if value != default)]
    return values if len(values) > 1 else []


def default_variants(
    config: Mapping[str, Any], data: Mapping[str, Any], secrets: Collection[str] | None = None
) -> tuple[list[Variant], list[str]]:
    """Every combination of the values of the questions with ``choices`` and the
    ``bool`` questions (questions answered by *data* stay fixed), the defaults first;
    when there are more than :data:`MAX_DEFAULT_VARIANTS`, a pairwise set instead:
    every pair of values of any two of those questions appears in some variant.

    Returns the variants and notes for the report (which set was run, and why)."""
    from itertools import product

    from thibaud_cli.checks.pairwise import pairwise

    if secrets is None:
        secrets = secret_questions(config)
    parameters = {
        question: values
        for question, spec in config.items()
        if not question.startswith("_")
        and question not in data
        and isinstance(spec, Mapping)
        and (values := _varied_values(spec))
    }
    total = 1
    for values in parameters.values():
        total *= len(values)
    notes = []
    if total <= MAX_DEFAULT_VARIANTS:
        rows = [
            dict(zip(parameters, combo, strict=True)) for combo in product(*parameters.values())
        ]
    else:
        rows = pairwise(parameters)
        notes.append(
            f"The {len(parameters)} varied questions have {total} combinations, more than "
            f"{MAX_DEFAULT_VARIANTS}: {len(rows)} pairwise variants were run (every pair of "
            "values of any two questions appears in one). List others in a --matrix file."
        )
        defaults = {question: values[0] for question, values in parameters.items()}
        if defaults not in rows:
            rows.insert(0, defaults)
    variants = []
    for row in rows:
        changed = {q: v for q, v in row.items() if v != parameters[q][0]}
        if changed:
            name = _variant_name(changed, secrets)
        else:
            name = _variant_name(data, secrets) if data else "defaults"
        variants.append(Variant(name, {**data, **changed}))
    variants.sort(key=lambda variant: variant.answers != dict(data))
    return variants, notes


def select_variant(variants: list[Variant], name: str) -> list[Variant]:
    """The variant called *name* (``--variant``), or a usage error listing the names."""
    chosen = [variant for variant in variants if variant.name == name]
    if not chosen:
        names = "; ".join(variant.name for variant in variants)
        raise MatrixFileError(f"--variant {name}: no such variant (the variants: {names}).")
    return chosen


def select_shard(variants: list[Variant], shard: tuple[int, int]) -> list[Variant]:
    """The *shard* ``(K, N)`` of *variants* (``--shard K/N``): every Nth variant from the
    Kth, so that N jobs together run each variant once, in shares that differ by one."""
    number, count = shard
    if not 1 <= number <= count:
        raise MatrixFileError(f"--shard {number}/{count}: K must be from 1 to {count}.")
    return variants[number - 1 :: count]


def matrix_json(variants: list[Variant]) -> str:
    """The variants as a GitHub Actions ``strategy.matrix`` (``fromJSON`` of it)."""
    import json

    return json.dumps({"variant": [variant.name for variant in variants]})


def github_matrix(variants: list[Variant]) -> str:
    """The variants as a GitHub Actions ``strategy.matrix`` of ``include`` entries: a job
    per variant, whose name the job reads as ``matrix.variant``."""
    import json

    return json.dumps({"include": [{"variant": variant.name} for variant in variants]})


def load_matrix(
    path: Path, data: Mapping[str, Any], secrets: Collection[str] = ()
) -> list[Variant]:
    """The answer sets of a ``--matrix`` file (YAML or JSON: a list of mappings), each
    over *data*. Variants are named with the answers to *secrets* masked."""
    try:
        entries = load(read_regular_bytes(path).decode("utf-8"))
    except OSError as error:
        raise MatrixFileError(f"--matrix {path}: cannot be read: {error.strerror}") from error
    except (UnicodeDecodeError, YamlError) as error:
        problem, _ = describe_error(error)
        raise MatrixFileError(f"--matrix {path}: is not valid YAML or JSON: {problem}") from error
    if too_large(entries):
        # In CI the matrix file comes with the pull request: nested aliases would expand
        # into billions of answers.
        raise MatrixFileError(
            f"--matrix {path}: holds more than {MAX_VALUES} values once its aliases are expanded."
        )
    example = 'e.g. [{"python_version": "3.12"}, {"python_version": "3.13"}]'
    if not isinstance(entries, list) or not entries:
        raise MatrixFileError(
            f"--matrix {path}: expected a non-empty list of answer sets, {example}."
        )
    variants: list[Variant] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not all(isinstance(key, str) for key in entry):
            raise MatrixFileError(
                f"--matrix {path}: entry {number} is not a mapping of question names to "
                f"answers, {example}."
            )
        name = _variant_name(entry, secrets)
        if name in seen:
            name = f"{name} (#{number})"
        seen.add(name)
        variants.append(Variant(name, {**data, **entry}))
    return variants
