"""validate-template's report reaches standard output whole, with variants rendered in
threads: in a real process, whose file descriptors the template's tasks share."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.support.cli import run_cli
from tests.support.trees import build_file_tree

REPO = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("validate-template", *args, cwd=REPO, module=True, timeout=300)


def test_the_report_of_parallel_variants_reaches_standard_output() -> None:
    done = run("templates/project", "--no-boot", "--jobs", "2")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].startswith("Passed: 7 variant(s)")


def test_task_output_stays_out_of_the_json_report(tmp_path: Path) -> None:
    template = build_file_tree(
        tmp_path / "template",
        {
            "copier.yml": (
                "_templates_suffix: .jinja\n"
                "_tasks:\n  - echo TASK-SAID-THIS\n  - echo TASK-ERR >&2\n"
                "flavour:\n  type: str\n  default: a\n  choices: [a, b, c]\n"
            ),
            "README.md.jinja": "{{ flavour }}\n",
        },
    )
    done = run(str(template), "--trust", "--no-boot", "--jobs", "2", "--format", "json")
    report = json.loads(done.stdout)  # nothing but the report on standard output
    assert [variant["name"] for variant in report["variants"]] == [
        "defaults",
        "flavour=b",
        "flavour=c",
    ]
    assert "TASK-ERR" not in done.stderr
    renders = [variant["checks"][0]["message"] for variant in report["variants"]]
    assert all("TASK-SAID-THIS" in message for message in renders), renders
