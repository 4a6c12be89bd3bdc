"""Templates from strangers, given with --template: refused or contained, and nothing
is ever written outside the target."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.trees import build_file_tree, tree_snapshot
from thibaud_cli.cli import main
from thibaud_cli.template.source import resolve_template

BASE = {
    "copier.yml": "_templates_suffix: .jinja\n",
    "{{ project_name }}/__init__.py": "",
    "{{ project_name }}/asgi.py.jinja": "application = None\n",
}


def make_template(root: Path, extra: dict[str, str], config: str = "") -> Path:
    spec = dict(BASE)
    spec["copier.yml"] += config
    spec.update(extra)
    return build_file_tree(root / "template", spec)


def start(runner: CliRunner, root: Path, template: Path, *extra: str) -> tuple[int, str]:
    result = runner.invoke(
        main,
        ["startproject", "shop", str(root / "out" / "shop"), "--template", str(template), *extra],
    )
    return result.exit_code, result.output


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "out").mkdir()
    return tmp_path


def assert_nothing_written(root: Path, before: dict[str, str]) -> None:
    after = tree_snapshot(root)
    assert after == before, sorted(set(after) ^ set(before))


@pytest.mark.parametrize(
    ("name", "files"),
    [
        ("dot-dot directory", {"{{ '..' }}/escaped.txt": "out\n"}),
        ("dot-dot twice", {"{{ '..' }}/{{ '..' }}/escaped.txt": "out\n"}),
        ("absolute path", {"{{ '%ctmp%cthibaud-escaped'|format(47, 47) }}.txt": "out\n"}),
    ],
)
def test_rendered_paths_that_escape_are_refused(
    runner: CliRunner, root: Path, name: str, files: dict[str, str]
) -> None:
    template = make_template(root, files)
    before = tree_snapshot(root)
    code, output = start(runner, root, template)
    assert code == 1, output
    assert "Traceback" not in output
    assert_nothing_written(root, before)
    assert not Path("/tmp/thibaud-escaped.txt").exists()


def test_a_symlink_to_a_file_outside_the_template_is_refused(runner: CliRunner, root: Path) -> None:
    (root / "secret.txt").write_text("private\n")
    template = make_template(root, {})
    os.symlink(root / "secret.txt", template / "leak.txt")
    before = tree_snapshot(root)
    code, output = start(runner, root, template)
    assert code == 1 and "leak.txt" in output
    assert_nothing_written(root, before)


def test_a_symlink_to_a_directory_outside_the_template_is_refused(
    runner: CliRunner, root: Path
) -> None:
    build_file_tree(root / "elsewhere", {"private.txt": "private\n"})
    template = make_template(root, {})
    os.symlink(root / "elsewhere", template / "linked")
    before = tree_snapshot(root)
    code, output = start(runner, root, template)
    assert code == 1 and "linked" in output
    assert_nothing_written(root, before)


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../outside", "{{ '/etc' }}"])
def test_preserved_symlinks_leading_outside_the_project_are_refused(
    runner: CliRunner, root: Path, target: str
) -> None:
    template = make_template(root, {}, config="_preserve_symlinks: true\n")
    link = "leak.jinja" if "{{" in target else "leak"
    os.symlink(target, template / link)
    before = tree_snapshot(root)
    code, output = start(runner, root, template)
    assert code == 1, output
    assert "outside the project" in output
    assert_nothing_written(root, before)


def test_a_preserved_symlink_inside_the_project_is_kept(runner: CliRunner, root: Path) -> None:
    template = make_template(
        root, {"docs/index.md": "# docs\n"}, config="_preserve_symlinks: true\n"
    )
    os.symlink("docs/index.md", template / "INDEX.md")
    code, output = start(runner, root, template)
    assert code == 0, output
    assert os.readlink(root / "out" / "shop" / "INDEX.md") == "docs/index.md"


TASK_MARKER = "task-ran.txt"


@pytest.mark.parametrize(
    ("config", "feature"),
    [
        (f"_tasks:\n  - touch {TASK_MARKER}\n", "tasks"),
        ("_migrations:\n  - version: v2\n    command: touch migrated.txt\n", "migrations"),
        ("_jinja_extensions:\n  - jinja2.ext.debug\n", "jinja_extensions"),
    ],
)
def test_code_running_features_need_trust(
    runner: CliRunner, root: Path, config: str, feature: str
) -> None:
    template = make_template(root, {}, config=config)
    before = tree_snapshot(root)
    code, output = start(runner, root, template)
    assert code == 1
    assert feature in output and "pass --trust" in output
    assert_nothing_written(root, before)


def test_trust_lets_tasks_run(runner: CliRunner, root: Path) -> None:
    template = make_template(root, {}, config=f"_tasks:\n  - touch {TASK_MARKER}\n")
    code, output = start(runner, root, template, "--trust")
    assert code == 0, output
    assert (root / "out" / "shop" / TASK_MARKER).exists()


# CVE-2024-56201: a template whose *file name* carries code, imported from. Fixed Jinja
# escapes the name; the code must never run.
MARKER = "cve-2024-56201-ran"
EVIL_NAME = "x{__import__('pathlib').Path('" + MARKER + "').touch()}.txt.jinja"


def test_cve_2024_56201_malicious_file_name(
    runner: CliRunner, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = make_template(
        root,
        {
            "lib.txt.jinja": "{% macro there() %}x{% endmacro %}",
            EVIL_NAME: '{% from "lib.txt.jinja" import nothing %}ok\n',
        },
    )
    monkeypatch.chdir(root)
    start(runner, root, template)
    assert not list(root.rglob(MARKER))
    assert not Path(MARKER).exists()


@pytest.mark.parametrize(
    "payload",
    [
        # CVE-2024-56326: a stored reference to str.format, called later.
        '{% set f = "{0.__class__.__mro__}".format %}{{ f(1) }}',
        '{% set f = "{0.__class__.__base__.__subclasses__}".format_map %}{{ f({"0": 1}) }}',
        # CVE-2025-27516: the attr filter reaching str.format.
        '{% set f = "{0.__class__.__mro__}"|attr("format") %}{{ f(1) }}',
        '{{ ("{0.__class__.__mro__}"|attr("format"))(1) }}',
        # The classic escape, for good measure.
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    ],
)
def test_jinja_sandbox_escapes_are_contained(runner: CliRunner, root: Path, payload: str) -> None:
    template = make_template(root, {"payload.txt.jinja": payload + "\n"})
    before = tree_snapshot(root)
    code, output = start(runner, root, template)
    if code == 0:
        rendered = (root / "out" / "shop" / "payload.txt").read_text()
        assert "<class" not in rendered, rendered
    else:
        assert code == 1 and "Traceback" not in output
        assert_nothing_written(root, before)


@pytest.mark.parametrize(
    "payload",
    [
        '{{ "x" * 10000000000 }}',
        '{{ ["x"] * 10000000000 }}',
        '{{ "x"|center(10000000000) }}',
        '{{ "x".ljust(10000000000) }}',
        "{{ 7 ** 1000000000 }}",
        "{% for i in range(100000) %}{% for j in range(100000) %}xxxxxxxxxx"
        "{% endfor %}{% endfor %}",
    ],
)
def test_huge_output_is_refused_before_it_exhausts_memory(
    runner: CliRunner, root: Path, payload: str
) -> None:
    template = make_template(root, {"huge.txt.jinja": payload})
    before = tree_snapshot(root)
    code, output = start(runner, root, template)
    assert code == 1, output
    assert "refused, nothing was written" in output
    assert_nothing_written(root, before)


@pytest.mark.parametrize("content", ["{{ 'y' * 5000 }}", ""])
def test_many_files_from_one_template_are_bounded(
    runner: CliRunner, root: Path, monkeypatch: pytest.MonkeyPatch, content: str
) -> None:
    # Files count by their size plus what each costs on disk, empty ones too. A
    # smaller budget than the real one (128 MiB) keeps the test short: the limit
    # is reached the same way, after fewer files.
    monkeypatch.setattr("thibaud_cli.template.sandbox.limits.MAX_RENDERED_BYTES", 8 * 1024 * 1024)
    template = make_template(
        root,
        {"{% yield n from range(100000) %}f{{ n }}{% endyield %}.txt.jinja": content},
    )
    before = tree_snapshot(root)
    code, output = start(runner, root, template)
    assert code == 1, output
    assert "refused" in output
    assert_nothing_written(root, before)


def test_many_honest_files_are_not_refused(runner: CliRunner, root: Path) -> None:
    # 1,000 files once hit a limit on how many strings a render made (at ~440 files).
    template = make_template(
        root, {"{% yield n from range(1000) %}f{{ n }}{% endyield %}.txt.jinja": "{{ n }}\n"}
    )
    code, output = start(runner, root, template)
    assert code == 0, output
    assert (root / "out" / "shop" / "f999.txt").read_text() == "999\n"


@pytest.mark.parametrize(
    "payload",
    [
        # Over the sandbox's range() limit.
        "{% for i in range(10000000) %}{% endfor %}",
        # join and + build big strings out of parts that are each within bounds.
        '{% set a = "x" * 100000000 %}{{ ([a] * 3)|join|length }}',
        '{% set a = "x" * 100000000 %}{{ (a + a)|length }}',
    ],
)
def test_other_ways_to_compute_too_much_are_refused(
    runner: CliRunner, root: Path, payload: str
) -> None:
    template = make_template(root, {"big.txt.jinja": payload})
    before = tree_snapshot(root)
    code, output = start(runner, root, template)
    assert code == 1, output
    assert "refused, nothing was written" in output
    assert "internal error" not in output
    assert_nothing_written(root, before)


def test_a_render_that_never_ends_is_stopped(
    runner: CliRunner, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Loops that produce nothing are bounded by time only (30 s by default).
    monkeypatch.setattr("thibaud_cli.template.sandbox.limits.RENDER_TIMEOUT_SECONDS", 1.0)
    payload = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    template = make_template(root, {"slow.txt.jinja": payload})
    before = tree_snapshot(root)
    code, output = start(runner, root, template)
    assert code == 1, output
    assert "took longer than 1 s to render" in output
    assert_nothing_written(root, before)


def test_a_git_template_that_cannot_be_fetched_is_one_line(runner: CliRunner, root: Path) -> None:
    result = runner.invoke(
        main,
        [
            "startproject",
            "shop",
            str(root / "out" / "shop"),
            "--template",
            "file:///no/such/repo.git",
        ],
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: git could not fetch the template: ")
    assert len(result.output.strip().splitlines()) == 1
    assert not (root / "out" / "shop").exists()


@pytest.mark.parametrize(
    "files",
    [
        {"payload.txt.jinja": '{{ "{0}{1}".format(1) }}'},
        {"payload.txt.jinja": '{{ "{x}".format_map({}) }}'},
        {"payload.txt.jinja": '{% set f = "{0}{1}{2}".format %}{{ f(1) }}'},
        {"payload.txt.jinja": "{{ 1 / 0 }}"},
        {"payload.txt.jinja": '{{ [1, "a"] | sort }}'},
        {"payload.txt.jinja": '{{ "%d" % "x" }}'},
        {"payload.txt.jinja": "{{ (1).__class__ }}{{ none.x.y }}"},
        {'{{ "{0}{1}".format(1) }}.txt': "x"},
        {"{{ 1 // 0 }}/x.txt": "x"},
    ],
)
def test_template_code_that_raises_is_one_line(
    runner: CliRunner, root: Path, files: dict[str, str]
) -> None:
    template = make_template(root, files)
    before = tree_snapshot(root)
    code, output = start(runner, root, template)
    assert code == 1, output
    assert "internal error" not in output and "Traceback" not in output
    assert len(output.strip().splitlines()) == 1, output
    assert_nothing_written(root, before)


def test_validate_template_no_boot_runs_none_of_the_templates_code(
    runner: CliRunner, root: Path
) -> None:
    from tests.support.trees import copy_bundled_template

    template = copy_bundled_template(root / "template")
    marker = root / "settings-imported"
    settings = template / "{{ project_name }}" / "settings.py.jinja"
    settings.write_text(
        settings.read_text() + f"\nimport pathlib\npathlib.Path({str(marker)!r}).touch()\n"
    )
    result = runner.invoke(main, ["validate-template", str(template), "--no-boot", "-v", "2"])
    assert result.exit_code == 0, result.output
    assert not marker.exists()
    assert "skip settings: not run: --no-boot" in result.output
    assert "ok   compile" in result.output
    # The control: booting does run it.
    result = runner.invoke(main, ["validate-template", str(template), "--jobs", "1"])
    assert marker.exists()


def test_validate_template_help_says_it_runs_the_templates_code(runner: CliRunner) -> None:
    result = runner.invoke(main, ["validate-template", "--help"])
    assert "RUNS THE TEMPLATE'S CODE" in result.output
    assert "--no-boot" in result.output


@pytest.mark.parametrize(
    "payload",
    [
        '{{ "$THIBAUD_TEST_SECRET" | expandvars }}',
        '{{ "~" | expanduser }}',
        '{{ "/etc/*" | fileglob }}',
        '{{ "/proc/self/cwd" | realpath }}',
        '{{ "x" | relpath }}',
        # Reached some other way than by filter syntax.
        '{% set f = "expandvars" %}{{ "$THIBAUD_TEST_SECRET" | map(f) | list }}',
        # In a validator message, which reports print.
    ],
)
def test_filters_that_read_this_machine_are_refused(
    runner: CliRunner, root: Path, payload: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THIBAUD_TEST_SECRET", "s3cr3t-value")
    template = make_template(root, {"payload.txt.jinja": payload})
    before = tree_snapshot(root)
    code, output = start(runner, root, template)
    assert code == 1, output
    assert "reads this machine" in output and "--trust" in output
    assert "s3cr3t-value" not in output
    assert_nothing_written(root, before)


def test_a_validator_cannot_print_the_environment(
    runner: CliRunner, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THIBAUD_TEST_SECRET", "s3cr3t-value")
    config = (
        "name:\n  type: str\n  default: x\n"
        "  validator: \"{{ '$THIBAUD_TEST_SECRET' | expandvars }}\"\n"
    )
    template = make_template(root, {}, config=config)
    code, output = start(runner, root, template)
    assert code == 1, output
    assert "s3cr3t-value" not in output
    result = runner.invoke(main, ["validate-template", str(template), "--no-boot"])
    assert "s3cr3t-value" not in result.output


def test_trust_gives_the_host_filters_back(
    runner: CliRunner, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THIBAUD_TEST_SECRET", "s3cr3t-value")
    template = make_template(
        root, {"payload.txt.jinja": '{{ "$THIBAUD_TEST_SECRET" | expandvars }}\n'}
    )
    code, output = start(runner, root, template, "--trust")
    assert code == 0, output
    assert (root / "out" / "shop" / "payload.txt").read_text() == "s3cr3t-value\n"


@pytest.mark.parametrize("name", ["to_yaml", "to_nice_yaml", "to_json", "to_nice_json"])
@pytest.mark.parametrize("value", ["_copier_conf", "_copier_conf.settings", "_copier_conf.data"])
def test_internal_state_is_not_serialised(
    runner: CliRunner, root: Path, name: str, value: str
) -> None:
    template = make_template(root, {"state.txt.jinja": f"{{{{ {value} | {name} }}}}"})
    before = tree_snapshot(root)
    code, output = start(runner, root, template)
    if code == 0:  # a plain mapping of answers is fine; copier's objects are not
        rendered = (root / "out" / "shop" / "state.txt").read_text()
        assert "!!python" not in rendered and "dst_path" not in rendered
        assert "thibaud-tmp" not in rendered
    else:
        assert code == 1, output
        assert len(output.strip().splitlines()) == 1 and "internal error" not in output
        assert f"applies {name}" in output
        assert_nothing_written(root, before)


def test_serialising_answers_still_works(runner: CliRunner, root: Path) -> None:
    template = make_template(
        root,
        {"data.txt.jinja": '{{ {"a": [1, "é"], "b": none} | to_nice_yaml }}{{ [1] | to_json }}'},
    )
    code, output = start(runner, root, template)
    assert code == 0, output
    assert (root / "out" / "shop" / "data.txt").read_text() == "a:\n- 1\n- é\nb: null\n[1]"


def test_preserved_symlinks_that_lead_nowhere_are_reported_not_crashed_on(
    runner: CliRunner, root: Path
) -> None:
    template = make_template(root, {"project_name_q": ""}, config="_preserve_symlinks: true\n")
    (template / "project_name_q").unlink()
    os.symlink("missing.py", template / "{{ project_name }}" / "broken.py")
    result = runner.invoke(main, ["validate-template", str(template), "--no-boot"])
    assert result.exit_code == 1, result.output
    assert "broken.py: cannot be read (a symlink to missing.py)" in result.output
    assert "Error:" not in result.output


@pytest.mark.parametrize(
    ("data", "code", "fragment"),
    [
        (["--data", "count=abc", "--data", "required=x"], 2, "--data count: invalid literal"),
        (["--data", "flavour=mint", "--data", "required=x"], 2, "Invalid choice for 'flavour'"),
        ([], 2, "give it with --data required=VALUE"),
        (["--data", "required=x", "--data", "checked=bad"], 2, "checked"),
        # The template's own default fails its validator: the template's error.
        (["--data", "required=x"], 1, "The template failed to render"),
    ],
)
def test_answers_that_do_not_fit_are_usage_errors(
    runner: CliRunner, root: Path, data: list[str], code: int, fragment: str
) -> None:
    config = (
        "count:\n  type: int\n  default: 1\n"
        "flavour:\n  type: str\n  default: vanilla\n  choices: [vanilla, chocolate]\n"
        "required:\n  type: str\n"
        "checked:\n  type: str\n  default: bad\n"
        "  validator: \"{% if checked == 'bad' %}must not be bad{% endif %}\"\n"
    )
    if code == 2 and "checked=bad" not in data:
        config = config.replace("default: bad", "default: good")
    template = make_template(root, {}, config=config)
    before = tree_snapshot(root)
    code_, output = start(runner, root, template, *data)
    assert code_ == code, output
    assert fragment in output and len(output.strip().splitlines()) == 1, output
    assert_nothing_written(root, before)


# Nine levels of nine aliases: a billion values once expanded.
YAML_BOMB = "_b0: &a0 [lol]\n" + "".join(
    f"_b{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]\n" for n in range(1, 10)
)


def test_a_yaml_bomb_in_copier_yml_is_refused(runner: CliRunner, root: Path) -> None:
    template = make_template(
        root, {}, config=YAML_BOMB + "q:\n  type: str\n  default: x\n  choices: *a9\n"
    )
    before = tree_snapshot(root)
    code, output = start(runner, root, template)
    assert code == 1 and "aliases are expanded" in output, output
    assert_nothing_written(root, before)
    result = runner.invoke(main, ["validate-template", str(template), "--no-boot"])
    assert result.exit_code == 1 and "aliases are expanded" in result.output


def test_aliases_in_copier_yml_are_still_fine(runner: CliRunner, root: Path) -> None:
    config = (
        "_common: &common\n  type: str\n  default: x\n"
        "first:\n  <<: *common\nsecond:\n  <<: *common\n  default: y\n"
    )
    template = make_template(
        root, {"answers.txt.jinja": "{{ first }}{{ second }}\n"}, config=config
    )
    code, output = start(runner, root, template)
    assert code == 0, output
    assert (root / "out" / "shop" / "answers.txt").read_text() == "xy\n"


def test_a_yaml_bomb_in_a_matrix_file_is_refused(runner: CliRunner, root: Path) -> None:
    matrix = root / "matrix.yml"
    matrix.write_text(
        "- &x0 {q: [lol]}\n"
        + "".join(f"- &x{n} {{q: [{', '.join([f'*x{n - 1}'] * 9)}]}}\n" for n in range(1, 10))
    )
    result = runner.invoke(main, ["validate-template", "--no-boot", "--matrix", str(matrix)])
    assert result.exit_code == 2, result.output
    assert "aliases" in result.output and len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "payload",
    ["{{ _copier_conf | to_json(default=none) }}", "{{ [1] | to_yaml(Dumper=none) }}"],
)
def test_serialiser_options_cannot_bring_objects_back(
    runner: CliRunner, root: Path, payload: str
) -> None:
    template = make_template(root, {"state.txt.jinja": payload})
    before = tree_snapshot(root)
    code, output = start(runner, root, template)
    assert code == 1 and "refused, nothing was written" in output, output
    assert_nothing_written(root, before)


def test_serialiser_formatting_options_still_work(runner: CliRunner, root: Path) -> None:
    template = make_template(
        root, {"data.txt.jinja": '{{ {"a": "é"} | to_json(ensure_ascii=False, indent=1) }}'}
    )
    code, output = start(runner, root, template)
    assert code == 0, output
    assert (root / "out" / "shop" / "data.txt").read_text() == '{\n "a": "é"\n}'


def test_a_render_in_another_thread_is_stopped_too(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # validate-template renders its variants in threads, where no signal reaches.
    import threading

    from thibaud_cli.errors import TemplateError
    from thibaud_cli.template.engine.render import render_template

    monkeypatch.setattr("thibaud_cli.template.sandbox.limits.RENDER_TIMEOUT_SECONDS", 1.0)
    payload = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    template = make_template(root, {"slow.txt.jinja": payload})
    outcome: list[BaseException | None] = []

    def render() -> None:
        try:
            render_template(
                resolve_template(str(template)),
                root / "out" / "shop",
                data={"project_name": "shop"},
            )
        except BaseException as error:  # noqa: BLE001 - handed to the test thread
            outcome.append(error)
        else:
            outcome.append(None)

    thread = threading.Thread(target=render)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert isinstance(outcome[0], TemplateError)
    assert "took longer than 1 s to render" in str(outcome[0])
