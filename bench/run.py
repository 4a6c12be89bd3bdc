"""The benchmark run: every section side by side, the targets judged, RESULTS.md written.

``python -m bench`` from the repository root, in an environment holding the peers
(``nox -s bench`` makes one). ``--quick`` does fewer runs, for trying the harness.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from thibaud_cli.template.source import bundled_template_path

from . import projects, scale_out, scaling, served
from .peers import build_cookiecutter_template
from .report import Row, Section, Target, machine, markdown, print_progress, table
from .timing import Command, CommandFailed, Timing, time_commands

BIN = projects.BIN_DIR
PY = sys.executable
TA = projects.THIBAUD_ADMIN
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


@dataclass(frozen=True)
class Settings:
    startup_runs: int
    generation_runs: int
    requests: int
    rounds: int
    wrk_seconds: int
    http_rounds: int
    concurrency: int = 32

    def describe(self) -> str:
        return (
            f"medians of {self.startup_runs} start-up and {self.generation_runs} generation runs; "
            f"in-process: {self.requests} requests x {self.rounds} rounds, "
            f"{self.concurrency} concurrent; uvicorn: {self.wrk_seconds} s x "
            f"{self.http_rounds} rounds, {self.concurrency} connections"
        )


FULL = Settings(
    startup_runs=10, generation_runs=10, requests=300, rounds=16, wrk_seconds=4, http_rounds=8
)
QUICK = Settings(
    startup_runs=3, generation_runs=3, requests=200, rounds=2, wrk_seconds=1, http_rounds=2
)


def _seconds(timing: Timing) -> str:
    return f"{timing.median:.3f} s"


def _ratio(value: float, reference: float) -> str:
    return f"{value / reference:.2f}x"


def check_our_script() -> None:
    """Thibaud installs a ``thibaud-admin`` too: make sure ours is the one measured."""
    completed = subprocess.run([TA, "--version"], capture_output=True, text=True, check=False)
    if not completed.stdout.startswith("thibaud-admin "):
        sys.exit(
            f"{TA} is not thibaud-cli's (it printed {completed.stdout!r}): "
            "reinstall thibaud-cli after Thibaud (pip install -e .)."
        )


def startup(settings: Settings) -> tuple[Section, list[Target]]:
    print_progress("start-up ...")
    complete_env = {
        **os.environ,
        "_THIBAUD_ADMIN_COMPLETE": "bash_complete",
        "COMP_WORDS": "thibaud-admin st",
        "COMP_CWORD": "1",
    }
    commands: list[tuple[str, list[str], dict[str, str] | None]] = [
        ("django-admin --help", [str(BIN / "django-admin"), "--help"], None),
        ("thibaud-admin --help", [TA, "--help"], None),
        ("thibaud-admin completion (bash, 'st')", [TA], complete_env),
        ("python -m thibaud help", [PY, "-m", "thibaud", "help"], None),
        ("python -c pass (interpreter floor)", [PY, "-c", "pass"], None),
    ]
    timings = time_commands(
        {name: Command(argv, env=env) for name, argv, env in commands},
        runs=settings.startup_runs,
    )
    reference = timings["django-admin --help"].median
    section = Section(
        "Start-up",
        ("command", "median", "vs django-admin --help", "peak memory"),
        [
            Row(name, _seconds(t), _ratio(t.median, reference), t.memory())
            for name, t in timings.items()
        ],
    )
    ours = timings["thibaud-admin --help"].median
    target = Target(
        "`thibaud-admin --help` no slower than `django-admin --help`",
        f"{ours:.3f} s vs {reference:.3f} s ({_ratio(ours, reference)})",
        ours <= reference,
    )
    return section, [target]


def generation(settings: Settings, workdir: Path) -> tuple[Section, list[Target]]:
    print_progress("generation ...")
    template = bundled_template_path()
    cookiecutter_template = build_cookiecutter_template(
        template, workdir / "cookiecutter-template", {"project_name": "mysite", "secret_key": "y"}
    )
    commands: list[tuple[str, list[str]]] = [
        ("python -c 'import copier' (floor)", [PY, "-c", "import copier"]),
        ("thibaud-admin startproject", [TA, "startproject", "mysite"]),
        ("python -m thibaud startproject (stock)", [PY, "-m", "thibaud", "startproject", "mysite"]),
        ("django-admin startproject", [str(BIN / "django-admin"), "startproject", "mysite"]),
        (
            "copier copy (our template)",
            [str(BIN / "copier"), "copy", "--quiet", "--defaults", "--data", "project_name=mysite"]
            + ["--data", "secret_key=y", str(template), "mysite"],
        ),
        (
            "cookiecutter (same files)",
            [str(BIN / "cookiecutter"), "--no-input", str(cookiecutter_template), "-o", "."],
        ),
    ]
    timings = time_commands(
        {
            name: Command(argv, cwd=_fresh_directory(workdir / f"gen{index}"))
            for index, (name, argv) in enumerate(commands)
        },
        runs=settings.generation_runs,
    )
    floor = timings["python -c 'import copier' (floor)"].median
    stock = timings["python -m thibaud startproject (stock)"].median
    section = Section(
        "Generation",
        ("command", "median", "over the import copier floor", "vs the stock command"),
        [
            Row(name, _seconds(t), f"{t.median - floor:+.3f} s", _ratio(t.median, stock))
            for name, t in timings.items()
        ],
    )
    ours = timings["thibaud-admin startproject"].median
    target = Target(
        "`thibaud-admin startproject` within 0.25 s of the `import copier` floor",
        f"{ours:.3f} s - {floor:.3f} s = {ours - floor:+.3f} s",
        ours - floor <= 0.25,
    )
    return section, [target]


def _fresh_directory(parent: Path) -> Callable[[int], Path]:
    """A new empty directory for each run, so every run generates from scratch."""

    def make(run: int) -> Path:
        directory = parent / f"run{run + 1}"
        directory.mkdir(parents=True)
        return directory

    return make


def regeneration(settings: Settings, workdir: Path) -> Section:
    print_progress("regeneration ...")
    pristine = projects.ours(workdir, "mysite")
    (pristine.root / "mysite" / "passthrough.py").write_text(projects.PASS_THROUGH, "utf-8")
    copies = workdir / "copies"

    def copy(run: int) -> Path:
        destination = copies / f"run{run + 1}"
        shutil.copytree(pristine.root, destination)
        return destination

    add = [TA, "add-asgi-middleware", "mysite.passthrough:First"]
    timings = time_commands(
        {
            "add-asgi-middleware": Command(add, cwd=copy),
            "add-asgi-middleware --dry-run": Command([*add, "--dry-run"], cwd=pristine.root),
            "add-asgi-middleware --no-verify": Command(
                [*add, "--no-verify"], cwd=lambda run: copy(run + 1000)
            ),
        },
        # Each run takes about a second: half as many keep the whole run short.
        runs=max(3, settings.generation_runs // 2),
    )
    return Section(
        "Regeneration",
        ("command", "median", "", "peak memory"),
        [Row(name, _seconds(t), "", t.memory()) for name, t in timings.items()],
        note="On a freshly generated project; the verify step imports the middleware in a "
        "subprocess of the project's interpreter.",
    )


#: Answer sets for validate-template's --matrix: the defaults, then variants that change
#: rendered files without adding a dependency the bench environment may lack.
_VARIANTS = [
    {},
    {"python_version": "3.13"},
    {"description": "Another variant"},
    {"python_version": "3.13", "description": "A fourth variant"},
    {"description": "A fifth variant"},
]


def validate_template(settings: Settings, workdir: Path) -> tuple[Section, list[Target]]:
    """The bundled template with its defaults (one variant), then with 2, 3 and 5 variants
    given by --matrix, and its default matrix: the whole command, as CI runs it, no
    --server. The marginal cost is taken from 1 to 5 variants: steadier than one step."""
    print_progress("validate-template ...")
    section = Section("validate-template", ("command", "median", "marginal", ""))
    workdir.mkdir(parents=True, exist_ok=True)
    commands = {}
    for count in (1, 2, 3, 5):
        matrix = workdir / f"matrix-{count}.json"
        matrix.write_text(json.dumps(_VARIANTS[:count]), "utf-8")
        commands[str(count)] = Command(
            [TA, "validate-template", str(bundled_template_path()), "--matrix", str(matrix)]
        )
    commands["default"] = Command([TA, "validate-template", str(bundled_template_path())])
    try:
        timings = time_commands(commands, runs=settings.generation_runs)
    except CommandFailed as error:
        section.note = f"failed: {error}"
        return section, [Target("`validate-template` of the bundled template", "failed", False)]
    one, two, three, five = (timings[str(count)] for count in (1, 2, 3, 5))
    marginal = (five.median - one.median) / 4
    section.rows.append(Row("thibaud-admin validate-template (defaults: 1 variant)", _seconds(one)))
    section.rows.append(Row("... 2 variants", _seconds(two), f"{two.median - one.median:+.3f} s"))
    section.rows.append(
        Row("... 3 variants", _seconds(three), f"{three.median - two.median:+.3f} s")
    )
    section.rows.append(
        Row("... 5 variants", _seconds(five), f"{marginal:+.3f} s per variant from 1")
    )
    section.rows.append(Row("... its default matrix (no --matrix)", _seconds(timings["default"])))
    targets = [
        Target(
            "`validate-template` of the bundled template (defaults) under 1.5 s",
            _seconds(one),
            one.median < 1.5,
        ),
        Target("each extra variant 0.15 s or less", f"{marginal:+.3f} s", marginal <= 0.15),
    ]
    return section, targets


def serving(settings: Settings, workdir: Path) -> tuple[list[Section], list[Target]]:
    print_progress("served projects ...")
    ours = projects.ours(workdir)
    stock = projects.stock(workdir)
    # A/A control: a second stock project, measured like the others. How far its
    # ratio to the first strays from 1.00x is the noise of this run.
    control = projects.stock(workdir, "stockagain", "python -m thibaud startproject, again (A/A)")
    chained = projects.ours_with_middleware(workdir)
    configs: list[tuple[projects.Project, str, str]] = [
        (project, kind, f"/hello/{kind}/")
        for kind in ("sync", "async")
        for project in (stock, ours, chained)
    ]
    configs.append((served.raw(workdir / "raw"), "raw", "/"))
    in_configs = [*configs, *[(control, kind, f"/hello/{kind}/") for kind in ("sync", "async")]]

    client = "wrk" if served.wrk_available() else "a Python client"
    with contextlib.ExitStack() as drivers:
        warm: dict[projects.Project, served.Driver] = {}
        for project, _kind, path in in_configs:
            if project not in warm:
                warm[project] = drivers.enter_context(
                    served.driver(
                        project, path, concurrency=settings.concurrency, warmup=settings.requests
                    )
                )

        def in_process(project: projects.Project, path: str) -> served.Throughput:
            scale = 50 if served.is_raw(project) else 1
            return warm[project].measure(path, settings.requests * scale)

        for project, _kind, path in in_configs:
            in_process(project, path)  # each path warmed up once, untimed
        in_proc = _rounds("in-process", in_process, in_configs, settings.rounds)
    with contextlib.ExitStack() as servers:
        # One server per project for all the rounds: idle servers cost nothing,
        # and not restarting them leaves time for more, shorter rounds.
        running: dict[projects.Project, served.Server] = {}
        for project, _kind, path in in_configs:
            if project not in running:
                running[project] = servers.enter_context(served.uvicorn(project, path))

        def over_http(project: projects.Project, path: str) -> served.Throughput:
            return served.load(
                running[project],
                path,
                seconds=settings.wrk_seconds,
                concurrency=settings.concurrency,
            )

        http = _rounds(f"uvicorn + {client}", over_http, in_configs, settings.http_rounds)
    # Enough calls of the 2-microsecond raw app for a sub-microsecond difference.
    link_us = served.pass_through_cost_us(chained, requests=settings.requests * 400)

    sections = [
        _throughput_section("Served project: in-process ASGI calls", in_proc, stock, in_configs),
        _throughput_section(
            f"Served project: uvicorn, loaded by {client}", http, stock, in_configs
        ),
    ]
    targets: list[Target] = []
    for where, figures in (("in-process", in_proc), ("uvicorn", http)):
        for kind in ("sync", "async"):
            ratio, unit = _speed_ratio(figures, ours, stock, kind)
            if (control, kind) in figures:
                noise, _ = _speed_ratio(figures, control, stock, kind)
                unit += f"; the A/A control measured {noise:.3f}x"
            targets.append(
                Target(
                    f"generated project serves >= 0.95x the stock project ({kind}, {where})",
                    f"{ratio:.3f}x {unit}",
                    ratio >= 0.95,
                )
            )
    for kind in ("sync", "async"):
        # The chain's extra cost per request, per link, as a share of a request.
        slowdown, unit = _speed_ratio(in_proc, ours, chained, kind)
        share = (slowdown - 1) / 3
        request_s = statistics.median(1 / r.rps for r in in_proc[(ours, kind)])
        isolated = link_us * 1e-6 / request_s
        targets.append(
            Target(
                f"each generated pass-through middleware < 5% of a request ({kind})",
                f"{share:+.2%} per link in the project ({unit}); "
                f"{link_us:.2f} us alone = {isolated:.3%} of a request",
                share < 0.05,
            )
        )
    return sections, targets


Figures = dict[tuple[projects.Project, str], list[served.Throughput]]


def _rounds(
    what: str,
    measure: Callable[[projects.Project, str], served.Throughput],
    configs: list[tuple[projects.Project, str, str]],
    rounds: int,
) -> Figures:
    """Each round measures every configuration once, so a slow spell on the shared
    machine hits them all alike and each round's ratios are fair. The order is
    shuffled from round to round (seeded, so runs are comparable): a rotation kept
    the same neighbours, and a configuration measured right after a heavy one
    inherits its aftermath (busy thread pools, sockets in TIME_WAIT)."""
    figures: Figures = {}
    for number in range(rounds):
        print_progress(f"  {what}: round {number + 1}/{rounds}")
        for project, kind, path in random.Random(number).sample(configs, len(configs)):
            figures.setdefault((project, kind), []).append(measure(project, path))
    return figures


def _speed_ratio(
    figures: Figures, a: projects.Project, b: projects.Project, kind: str
) -> tuple[float, str]:
    """How much faster *a* serves than *b*, as a paired median ratio.

    By CPU time per request when it was measured: on a shared machine, req/s
    moves with whatever else runs, CPU time per request far less.
    """
    if all(t.cpu_us for t in figures[(a, kind)] + figures[(b, kind)]):
        return _paired(figures, a, b, kind, lambda x, y: _cpu(y) / _cpu(x)), "by CPU/request"
    return _paired(figures, a, b, kind, lambda x, y: x.rps / y.rps), "by req/s"


def _cpu(figure: served.Throughput) -> float:
    assert figure.cpu_us is not None  # noqa: S101 - checked by the caller
    return figure.cpu_us


def _paired(
    figures: Figures,
    a: projects.Project,
    b: projects.Project,
    kind: str,
    compare: Callable[[served.Throughput, served.Throughput], float],
) -> float:
    """The median over rounds of a comparison made within each round."""
    return statistics.median(
        compare(x, y) for x, y in zip(figures[(a, kind)], figures[(b, kind)], strict=True)
    )


def _throughput_section(
    title: str,
    figures: Figures,
    stock: projects.Project,
    configs: list[tuple[projects.Project, str, str]],
) -> Section:
    section = Section(
        title,
        (
            "project (view)",
            "req/s",
            "vs stock (req/s)",
            "CPU per request",
            "vs stock (CPU)",
            "p50 / p99 (errors)",
        ),
    )
    for project, kind, _ in configs:
        figure = served.median_throughput(figures[(project, kind)])
        compared = (stock, kind) in figures
        by_rps, by_cpu, unit = 0.0, 0.0, ""
        if compared:
            by_rps = _paired(figures, project, stock, kind, lambda a, b: a.rps / b.rps)
            by_cpu, unit = _speed_ratio(figures, project, stock, kind)
        section.rows.append(
            Row(
                f"{project.label} ({kind})",
                f"{figure.rps:,.0f}",
                f"{by_rps:.2f}x" if compared else "",
                f"{figure.cpu_us:,.1f} us" if figure.cpu_us else "n/a",
                more=(
                    f"{by_cpu:.2f}x" if compared and unit == "by CPU/request" else "",
                    f"{figure.p50_ms:.2f} / {figure.p99_ms:.2f} ms ({figure.errors})",
                ),
            )
        )
    section.note = (
        "Hello views added to each project; medians over rounds, and ratios taken within "
        "each round. 'vs stock (CPU)' is the stock project's CPU time per request over "
        "this one's: above 1 means cheaper than stock."
    )
    return section


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer runs, to try the harness")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write results")
    parser.add_argument(
        "--only",
        choices=["scaling", "validate", "generation"],
        help=(
            "run one section only: scaling is appended to the results, validate and "
            "generation are only printed"
        ),
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=None,
        help="runs of each scaling command (default 3, quick 1), or of each validate one",
    )
    parser.add_argument(
        "--sizes",
        type=lambda text: [scaling.Size(int(files)) for files in text.split(",")],
        default=None,
        help="with --only scaling: template sizes in files, comma-separated (e.g. 10,1000)",
    )
    parser.add_argument(
        "--command",
        action="append",
        choices=scaling.command_names(),
        help="with --only scaling: measure this command only (repeatable)",
    )
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    check_our_script()
    if args.only == "scaling":
        only = frozenset(args.command) if args.command else None
        _append_scaling(args.output, quick=args.quick, runs=args.runs, sizes=args.sizes, only=only)
        return
    if args.only == "validate":
        _print_section(validate_template, settings, runs=args.runs)
        return
    if args.only == "generation":
        _print_section(generation, settings, runs=args.runs)
        return
    sections: list[Section] = []
    targets: list[Target] = []
    with tempfile.TemporaryDirectory(prefix="thibaud-bench-") as temporary:
        workdir = Path(temporary)
        section, found = startup(settings)
        sections.append(section)
        targets += found
        section, found = validate_template(settings, workdir / "validate")
        sections.append(section)
        targets += found
        section, found = generation(settings, workdir / "generation")
        sections.insert(1, section)
        targets[1:1] = found
        sections.insert(2, regeneration(settings, workdir / "regeneration"))
        serving_sections, found = serving(settings, workdir / "served")
        sections += serving_sections
        targets += found
        section = scale_out.scale_out(
            seconds=settings.wrk_seconds,
            rounds=max(1, settings.http_rounds // 2),
            concurrency=settings.concurrency,
            workdir=workdir / "scale-out",
        )
        sections.append(section)
        targets += scale_out.targets(section)
        sizes, runs = scaling.sizes_for(args.quick)
        sections.append(scaling.section(sizes, args.runs or runs, workdir / "scaling"))
    text = markdown(sections, targets, settings.describe())
    args.output.write_text(text, "utf-8")
    print(text)
    print_progress(f"written to {args.output}")


def _append_scaling(
    output: Path,
    *,
    quick: bool,
    runs: int | None,
    sizes: list[scaling.Size] | None = None,
    only: frozenset[str] | None = None,
) -> None:
    """The scaling section alone (*sizes* and *only* those commands, if given), appended
    to *output* under a dated heading."""
    from datetime import UTC, datetime

    default_sizes, default_runs = scaling.sizes_for(quick)
    runs = runs or default_runs
    with tempfile.TemporaryDirectory(prefix="thibaud-bench-") as temporary:
        found = scaling.section(sizes or default_sizes, runs, Path(temporary), only)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n".join(
        [f"\n## {found.title}, {now}\n", f"{machine()}.\n", *table(found), "", found.note, ""]
    )
    with output.open("a", encoding="utf-8") as results:
        results.write(text)
    print(text)
    print_progress(f"appended to {output}")


def _print_section(
    measure: Callable[[Settings, Path], tuple[Section, list[Target]]],
    settings: Settings,
    *,
    runs: int | None,
) -> None:
    """One section alone (*measure*: ``generation`` or ``validate_template``), printed
    (RESULTS.md is left as it is)."""
    if runs is not None:
        settings = dataclasses.replace(settings, generation_runs=runs)
    with tempfile.TemporaryDirectory(prefix="thibaud-bench-") as temporary:
        section, targets = measure(settings, Path(temporary))
    print(f"{machine()}; medians of {settings.generation_runs} runs.\n")
    print("\n".join([*table(section), "", section.note]))
    for target in targets:
        print(f"- {target.what}: {target.measured} ({'met' if target.met else 'missed'})")
