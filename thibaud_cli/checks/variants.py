"""validate-template's variants: the answer sets a template is rendered with.

Without ``--matrix``, the combinations of the values of the template's questions
(``questions/``: what is varied, and where copier asks); with it, the answer sets the
file lists.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from thibaud_cli.checks.questions.conditions import Conditions
from thibaud_cli.checks.questions.parameters import Parameter, answers_of, question_parameters
from thibaud_cli.checks.results import VariantResult
from thibaud_cli.errors import MatrixFileError
from thibaud_cli.formats.yaml import MAX_VALUES, YamlError, describe_error, load, too_large
from thibaud_cli.fs.regular import read_regular_bytes
from thibaud_cli.template.secrets import MASK, mask_text, maskable, secret_questions

#: Without --matrix: at most this many combinations, else a pairwise set.
MAX_DEFAULT_VARIANTS = 12


@dataclass(frozen=True)
class Variant:
    """One answer set to render: a name for reports, and the answers given."""

    name: str
    answers: dict[str, Any]


def mask_answers(answers: Mapping[str, Any], secrets: Collection[str]) -> dict[str, Any]:
    """*answers* with the answer to every secret question replaced by :data:`MASK`."""
    return {key: MASK if key in secrets else value for key, value in answers.items()}


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


def _shown(value: Any) -> str:
    if isinstance(value, list):  # a multiselect answer
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def _variant_name(answers: Mapping[str, Any], secrets: Collection[str] = ()) -> str:
    shown = mask_answers(answers, secrets)
    return ", ".join(f"{key}={_shown(value)}" for key, value in shown.items()) or "defaults"


def _parameters(config: Mapping[str, Any], data: Mapping[str, Any]) -> list[Parameter]:
    return [
        parameter
        for question, spec in config.items()
        if not str(question).startswith("_") and question not in data and isinstance(spec, Mapping)
        for parameter in question_parameters(str(question), spec)
    ]


def _values(parameters: list[Parameter], row: tuple[int, ...]) -> list[Any]:
    return [parameter.values[index] for parameter, index in zip(parameters, row, strict=True)]


def _rows(
    parameters: list[Parameter], conditions: Conditions, data: Mapping[str, Any]
) -> tuple[list[tuple[int, ...]], list[str]]:
    """Rows of value indices: every combination, or past the cap a pairwise set."""
    from itertools import product

    from thibaud_cli.checks.pairwise import pairwise_indices

    sizes = [len(parameter.values) for parameter in parameters]
    total = 1
    for size in sizes:
        total *= size
    if total <= MAX_DEFAULT_VARIANTS:
        return list(product(*(range(size) for size in sizes))), []

    def effective(row: tuple[int, ...]) -> tuple[int | None, ...]:
        values = _values(parameters, row)
        kept = conditions.effective(answers_of(parameters, values), data)
        return tuple(
            index
            if parameter.question in kept or value == parameter.default
            else None  # copier does not ask it in this row
            for parameter, index, value in zip(parameters, row, values, strict=True)
        )

    rows = pairwise_indices(sizes, effective if conditions.gated else None)
    questions = len({parameter.question for parameter in parameters})
    note = (
        f"The {questions} varied questions have {total} combinations, more than "
        f"{MAX_DEFAULT_VARIANTS}: {len(rows)} pairwise variants were run (every pair of "
        "values of any two questions appears in one). List others in a --matrix file."
    )
    return rows, [note]


def default_variants(
    config: Mapping[str, Any], data: Mapping[str, Any], secrets: Collection[str] | None = None
) -> tuple[list[Variant], list[str]]:
    """Every combination of the values of the questions with ``choices`` (a
    ``multiselect`` one's choices each in or out) and the ``bool`` questions (those
    *data* answers stay fixed), the defaults first; when there are more than
    :data:`MAX_DEFAULT_VARIANTS`, a pairwise set instead: every pair of values of any
    two of those questions appears in some variant. A question copier would not ask
    given the other answers (``when``) is left to its default.

    Returns the variants and notes for the report (which set was run, and why). The
    ``when`` expressions render within a render's bounds (deadline, memory ceiling)."""
    from thibaud_cli.template.sandbox.limits import render_bounds

    with render_bounds():
        return _default_variants(config, data, secrets)


def _default_variants(
    config: Mapping[str, Any], data: Mapping[str, Any], secrets: Collection[str] | None
) -> tuple[list[Variant], list[str]]:
    if secrets is None:
        secrets = secret_questions(config)
    conditions = Conditions(config)
    parameters = _parameters(config, data)
    rows, notes = _rows(parameters, conditions, data)
    variants: list[Variant] = []
    seen: list[dict[str, Any]] = []
    # The defaults first; a question without a default is answered with its first value.
    first = tuple(0 for _ in parameters)
    for row in [first, *(row for row in rows if row != first)]:
        values = _values(parameters, row)
        changed = conditions.effective(answers_of(parameters, values), data)
        if changed in seen:
            continue  # the same answers once a question not asked is left out
        seen.append(changed)
        name = _variant_name(changed or data, secrets)
        variants.append(Variant(name, {**data, **changed}))
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
