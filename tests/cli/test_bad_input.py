"""The bad-input matrix: every command, every kind of bad input. Each gets one clear
``Error:`` line, the right exit code (2 usage, 1 failure), no traceback, and the
tree is byte-identical afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.trees import build_file_tree, tree_snapshot
from thibaud_cli.asgi.spec import python_literal
from thibaud_cli.cli import main
from thibaud_cli.operations.startproject import start_project
from thibaud_cli.project.answers import ANSWERS_FILENAME

PROXY = "uvicorn.middleware.proxy_headers:ProxyHeadersMiddleware"
# Nine levels of nine aliases: a billion strings once expanded.
YAML_BOMB = "bomb_0: &a0 [lol]\n" + "".join(
    f"bomb_{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]\n" for n in range(1, 10)
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("world")
    start_project("mysite", root / "project")
    start_project("mysite", root / "latin1")
    asgi = root / "latin1" / "mysite" / "asgi.py"
    asgi.write_bytes(asgi.read_bytes() + "# caf\u00e9\n".encode("latin-1"))
    start_project("mysite", root / "internal")
    answers = root / "internal" / ANSWERS_FILENAME
    answers.write_text(answers.read_text() + "_copier_conf: {}\n")
    start_project("mysite", root / "bomb")
    answers = root / "bomb" / ANSWERS_FILENAME
    answers.write_text(answers.read_text() + YAML_BOMB)
    build_file_tree(
        root,
        {
            "outside/readme.txt": "not a project\n",
            "notatemplate/README.md": "# no copier.yml\n",
            "brokentemplate/copier.yml": "_templates_suffix: [unclosed\n",
            "matrix-not-list.yml": "answer: 1\n",
            "matrix-bad-yaml.yml": "- [unclosed\n",
            "a-file.txt": "x\n",
            "corrupt/.thibaud-answers.yml": "_template: [unclosed\n",
            "corrupt/mysite/asgi.py": "application = None\n",
            "noasgi/.thibaud-answers.yml": (
                "_template: bundled\nproject_name: mysite\nasgi_middleware: []\n"
            ),
        },
    )
    return root


# (id, arguments with {root} placeholders, exit code, fragment of the message)
MATRIX = [
    # startproject: names
    ("name-dash", ["startproject", "my-site", "{root}/out1"], 2, "Try 'my_site'"),
    ("name-digit", ["startproject", "1st", "{root}/out1"], 2, "not a valid project name"),
    ("name-keyword", ["startproject", "import", "{root}/out1"], 2, "Python keyword"),
    ("name-dunder", ["startproject", "__main__", "{root}/out1"], 2, "dunder"),
    ("name-stdlib", ["startproject", "json", "{root}/out1"], 2, "existing Python module"),
    ("name-installed", ["startproject", "click", "{root}/out1"], 2, "existing Python module"),
    ("name-framework", ["startproject", "thibaud", "{root}/out1"], 2, "existing Python module"),
    ("name-empty", ["startproject", "", "{root}/out1"], 2, "is empty"),
    ("name-missing", ["startproject"], 2, "Missing argument 'NAME'"),
    # startproject: directories
    ("dir-exists", ["startproject", "mysite", "{root}/project"], 1, "would overwrite"),
    ("dir-is-file", ["startproject", "mysite", "{root}/a-file.txt"], 1, "is not a directory"),
    ("dir-no-parent", ["startproject", "mysite", "{root}/no/such/parent"], 1, "does not exist"),
    # startproject: --data
    ("data-no-equals", ["startproject", "shop", "{root}/out1", "--data", "x"], 2, "KEY=VALUE"),
    ("data-empty-key", ["startproject", "shop", "{root}/out1", "--data", "=1"], 2, "KEY=VALUE"),
    (
        "data-bad-key",
        ["startproject", "shop", "{root}/out1", "--data", "a-b=1"],
        2,
        "question name",
    ),
    (
        "data-reserved",
        ["startproject", "shop", "{root}/out1", "--data", "secret_key=1"],
        2,
        "itself",
    ),
    (
        "data-bad-choice",
        ["startproject", "shop", "{root}/out1", "--data", "python_version=1"],
        2,
        "python_version",
    ),
    (
        "data-unknown-question",
        ["startproject", "shop", "{root}/out1", "--data", "descripton=x"],
        2,
        "asks no such question",
    ),
    # startproject: --template
    (
        "tpl-missing",
        ["startproject", "shop", "{root}/out1", "--template", "{root}/nope"],
        2,
        "does not exist",
    ),
    (
        "tpl-not-template",
        ["startproject", "shop", "{root}/out1", "--template", "{root}/notatemplate"],
        2,
        "neither a copier template",
    ),
    (
        "tpl-file",
        ["startproject", "shop", "{root}/out1", "--template", "{root}/a-file.txt"],
        2,
        "is a file",
    ),
    (
        "tpl-bad-yaml",
        ["startproject", "shop", "{root}/out1", "--template", "{root}/brokentemplate"],
        1,
        "not valid YAML",
    ),
    # add-asgi-middleware: SPECs and options
    (
        "spec-no-module",
        ["add-asgi-middleware", "Name", "--project-dir", "{root}/project"],
        2,
        "needs a module",
    ),
    (
        "spec-two-colons",
        ["add-asgi-middleware", "a:b:C", "--project-dir", "{root}/project"],
        2,
        "one ':'",
    ),
    (
        "spec-bad-part",
        ["add-asgi-middleware", "a.1b.C", "--project-dir", "{root}/project"],
        2,
        "not a Python identifier",
    ),
    (
        "spec-code",
        ["add-asgi-middleware", "os.system('x')", "--project-dir", "{root}/project"],
        2,
        "not a Python identifier",
    ),
    (
        "spec-missing-module",
        ["add-asgi-middleware", "no_such_mod.M", "--project-dir", "{root}/project"],
        1,
        "was not found",
    ),
    (
        "spec-missing-attr",
        [
            "add-asgi-middleware",
            "uvicorn.middleware.proxy_headers.Nope",
            "--project-dir",
            "{root}/project",
        ],
        1,
        "no attribute 'Nope'",
    ),
    (
        "opt-no-equals",
        ["add-asgi-middleware", PROXY, "-o", "x", "--project-dir", "{root}/project"],
        2,
        "KEY=VALUE",
    ),
    (
        "opt-bad-key",
        ["add-asgi-middleware", PROXY, "-o", "a.b=1", "--project-dir", "{root}/project"],
        2,
        "keyword argument name",
    ),
    (
        "opt-app",
        ["add-asgi-middleware", PROXY, "-o", "app=1", "--project-dir", "{root}/project"],
        2,
        "wrapped application",
    ),
    (
        "opt-bare-word",
        ["add-asgi-middleware", PROXY, "-o", "x=legacy", "--project-dir", "{root}/project"],
        2,
        "Python literal",
    ),
    (
        "opt-code",
        [
            "add-asgi-middleware",
            PROXY,
            "-o",
            "x=__import__('os')",
            "--project-dir",
            "{root}/project",
        ],
        2,
        "Python literal",
    ),
    (
        "opt-set",
        ["add-asgi-middleware", PROXY, "-o", "x={1}", "--project-dir", "{root}/project"],
        2,
        "not supported",
    ),
    (
        "opt-bad-ref",
        ["add-asgi-middleware", PROXY, "-o", "x=@nomodule", "--project-dir", "{root}/project"],
        2,
        "reference",
    ),
    (
        "opt-twice",
        ["add-asgi-middleware", PROXY, "-o", "x=1", "-o", "x=2", "--project-dir", "{root}/project"],
        2,
        "twice",
    ),
    (
        "remove-absent",
        ["remove-asgi-middleware", PROXY, "--project-dir", "{root}/project"],
        1,
        "not in the chain",
    ),
    # outside a project, corrupt answers, missing asgi.py
    (
        "add-outside",
        ["add-asgi-middleware", PROXY, "--project-dir", "{root}/outside"],
        1,
        "No ASGI module found",
    ),
    (
        "remove-outside",
        ["remove-asgi-middleware", PROXY, "--project-dir", "{root}/outside"],
        1,
        "No ASGI module found",
    ),
    (
        "list-outside",
        ["list-asgi-middleware", "--project-dir", "{root}/outside"],
        1,
        "No ASGI module found",
    ),
    (
        "regen-outside",
        ["regenerate-asgi", "--project-dir", "{root}/outside"],
        1,
        "No ASGI module found",
    ),
    ("update-outside", ["update", "--project-dir", "{root}/outside"], 1, "not a project generated"),
    (
        "add-middleware-outside",
        [
            "add-middleware",
            "thibaud.middleware.gzip.GZipMiddleware",
            "--project-dir",
            "{root}/outside",
        ],
        1,
        # A settings command: what it misses is the settings module, not an ASGI one.
        "No settings module found",
    ),
    (
        "remove-middleware-outside",
        [
            "remove-middleware",
            "thibaud.middleware.gzip.GZipMiddleware",
            "--project-dir",
            "{root}/outside",
        ],
        1,
        "No settings module found",
    ),
    (
        "list-middleware-outside",
        ["list-middleware", "--project-dir", "{root}/outside"],
        1,
        "No settings module found",
    ),
    (
        "add-middleware-before-and-after",
        [
            "add-middleware",
            "a.B",
            "--before",
            "c.D",
            "--after",
            "e.F",
            "--project-dir",
            "{root}/project",
        ],
        2,
        "not both",
    ),
    (
        "add-option-too-deep",
        [
            "add-asgi-middleware",
            PROXY,
            "-o",
            "k=" + "[" * 200 + "]" * 200,
            "--project-dir",
            "{root}/project",
        ],
        2,
        "nests more than 50 levels",
    ),
    (
        "project-dir-missing",
        ["list-asgi-middleware", "--project-dir", "{root}/nowhere"],
        1,
        "not a directory",
    ),
    (
        "project-dir-file",
        ["list-asgi-middleware", "--project-dir", "{root}/a-file.txt"],
        2,
        "is a file",
    ),
    (
        "answers-corrupt",
        ["add-asgi-middleware", PROXY, "--project-dir", "{root}/corrupt"],
        1,
        "not valid YAML",
    ),
    ("update-answers-corrupt", ["update", "--project-dir", "{root}/corrupt"], 1, "not valid YAML"),
    (
        "asgi-missing",
        ["add-asgi-middleware", PROXY, "--project-dir", "{root}/noasgi"],
        1,
        "is missing",
    ),
    # validate-template
    ("validate-missing", ["validate-template", "{root}/nope"], 2, "does not exist"),
    (
        "validate-not-template",
        ["validate-template", "{root}/notatemplate"],
        2,
        "neither a copier template",
    ),
    (
        "validate-matrix-missing",
        ["validate-template", "--matrix", "{root}/nope.yml"],
        2,
        "does not exist",
    ),
    (
        "validate-matrix-not-list",
        ["validate-template", "--matrix", "{root}/matrix-not-list.yml"],
        2,
        "list",
    ),
    (
        "validate-matrix-bad-yaml",
        ["validate-template", "--matrix", "{root}/matrix-bad-yaml.yml"],
        2,
        "YAML",
    ),
    ("validate-bad-data", ["validate-template", "--data", "nonsense"], 2, "KEY=VALUE"),
    ("validate-bad-jobs", ["validate-template", "--jobs", "0"], 2, "0"),
    ("validate-bad-server", ["validate-template", "--server", "apache"], 2, "apache"),
    ("validate-bad-format", ["validate-template", "--format", "xml"], 2, "xml"),
    (
        "validate-junit-no-dir",
        ["validate-template", "--junit-xml", "{root}/no/dir/r.xml"],
        2,
        "does not exist",
    ),
    # update
    (
        "update-bad-conflict",
        ["update", "--conflict", "merge", "--project-dir", "{root}/project"],
        2,
        "merge",
    ),
    (
        "update-unknown-version",
        ["update", "--to", "99", "--project-dir", "{root}/project"],
        2,
        "99",
    ),
    # copier's own variables, as --data or in the answers file
    *(
        (
            f"data-internal{key}",
            ["startproject", "shop", "{root}/out1", "--data", f"{key}=x"],
            2,
            "copier's own",
        )
        for key in (
            "_copier_conf",
            "_folder_name",
            "_copier_python",
            "_copier_answers",
            "_copier_phase",
            "_copier_operation",
        )
    ),
    (
        "update-data-internal",
        ["update", "--data", "_copier_conf=x", "--project-dir", "{root}/project"],
        2,
        "copier's own",
    ),
    (
        "validate-data-internal",
        ["validate-template", "--data", "_folder_name=x", "--no-boot"],
        2,
        "copier's own",
    ),
    (
        "answers-internal-key",
        ["update", "--check", "--project-dir", "{root}/internal"],
        2,
        "_copier_conf",
    ),
    (
        "answers-internal-key-regenerate",
        ["regenerate-asgi", "--project-dir", "{root}/internal"],
        2,
        "_copier_conf",
    ),
    (
        "answers-yaml-bomb",
        ["list-asgi-middleware", "--project-dir", "{root}/bomb"],
        1,
        "aliases",
    ),
    (
        "answers-yaml-bomb-update",
        ["update", "--check", "--project-dir", "{root}/bomb"],
        1,
        "aliases",
    ),
    (
        "update-data-unknown",
        ["update", "--dry-run", "--data", "licence=MIT", "--project-dir", "{root}/project"],
        2,
        "asks no such question",
    ),
    (
        "update-data-bad-choice",
        ["update", "--dry-run", "--data", "python_version=2.7", "--project-dir", "{root}/project"],
        2,
        "Invalid choice",
    ),
    (
        "validate-no-boot-server",
        ["validate-template", "--no-boot", "--server", "uvicorn"],
        2,
        "--no-boot",
    ),
    # middleware that is not one
    *(
        (
            f"add-not-middleware-{spec}",
            ["add-asgi-middleware", spec, "--project-dir", "{root}/project"],
            2,
            fragment,
        )
        for spec, fragment in (
            ("mysite.asgi:application", "own ASGI application"),
            ("mysite.asgi.application", "own ASGI application"),
            ("mysite.settings.DEBUG", "is a bool, not a middleware"),
            ("mysite.settings:ALLOWED_HOSTS", "is a list, not a middleware"),
            ("os:path", "is a module, not a middleware"),
        )
    ),
    (
        "add-not-utf8-asgi",
        ["add-asgi-middleware", PROXY, "--project-dir", "{root}/latin1"],
        1,
        "not UTF-8",
    ),
    (
        "regenerate-not-utf8-asgi",
        ["regenerate-asgi", "--project-dir", "{root}/latin1"],
        1,
        "not UTF-8",
    ),
    (
        "remove-not-utf8-asgi",
        ["remove-asgi-middleware", PROXY, "--project-dir", "{root}/latin1"],
        1,
        "not in the chain",
    ),
]


@pytest.mark.parametrize(
    ("args", "code", "fragment"), [m[1:] for m in MATRIX], ids=[m[0] for m in MATRIX]
)
def test_bad_input(world: Path, args: list[str], code: int, fragment: str) -> None:
    argv = [arg.replace("{root}", str(world)) for arg in args]
    before = tree_snapshot(world)
    result = CliRunner().invoke(main, argv)
    output = result.output
    assert result.exit_code == code, output
    assert "Traceback" not in output
    error_lines = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1, output
    assert fragment in error_lines[0], output
    assert tree_snapshot(world) == before


def test_the_matrix_is_wide() -> None:
    commands = {args[0] for _, args, _, _ in MATRIX if args}
    assert commands >= {
        "startproject",
        "add-asgi-middleware",
        "remove-asgi-middleware",
        "list-asgi-middleware",
        "regenerate-asgi",
        "validate-template",
        "update",
    }


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    spec=st.text(max_size=40)
    | st.from_regex(
        r"[a-z_]{1,6}(\.[a-z_]{1,6}){0,2}[.:][A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True
    ),
    option=st.text(max_size=40)
    | st.builds(
        lambda key, value: f"{key}={python_literal(value)}",
        st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=10),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=4), inner, max_size=3)
            ),
            max_leaves=6,
        ),
    ),
)
def test_any_spec_and_option_is_refused_cleanly_or_gives_valid_python(
    world: Path, spec: str, option: str
) -> None:
    import ast

    project = world / "project"
    asgi = project / "mysite" / "asgi.py"
    answers = project / ANSWERS_FILENAME
    before = (asgi.read_bytes(), answers.read_bytes())
    result = CliRunner().invoke(
        main,
        ["add-asgi-middleware", spec, "-o", option, "--no-verify", "--project-dir", str(project)],
    )
    try:
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            result.exception
        )
        if result.exit_code == 0:
            tree = ast.parse(asgi.read_text())
            # Whatever was given, asgi.py holds its docstring, imports, the settings
            # default and assignments to application: nothing that runs anything else.
            django_default = (
                "if os.environ.get('DJANGO_SETTINGS_MODULE'):\n"
                "    os.environ.setdefault('THIBAUD_SETTINGS_MODULE', "
                "os.environ['DJANGO_SETTINGS_MODULE'])"
            )
            for index, node in enumerate(tree.body):
                if isinstance(node, ast.Expr):
                    is_docstring = index == 0 and isinstance(node.value, ast.Constant)
                    is_default = ast.unparse(node).startswith("os.environ.setdefault(")
                    assert is_docstring or is_default, ast.unparse(node)
                elif isinstance(node, ast.If):
                    # The template's own blocks (the Django default, static files and
                    # health probes), unchanged.
                    template_blocks = {
                        ast.unparse(block)
                        for block in ast.parse(before[0]).body
                        if isinstance(block, ast.If)
                    }
                    assert django_default in template_blocks
                    assert ast.unparse(node) in template_blocks
                elif isinstance(node, ast.Assign):
                    assert [ast.unparse(t) for t in node.targets] == ["application"]
                    # Options are literals and names bound by the imports: never calls.
                    call = node.value
                    assert isinstance(call, ast.Call)
                    for keyword in call.keywords:
                        assert not any(isinstance(n, ast.Call) for n in ast.walk(keyword.value))
                else:
                    assert isinstance(node, ast.Import | ast.ImportFrom), ast.unparse(node)
        else:
            # With --no-verify only parsing can refuse: a usage error.
            assert result.exit_code == 2, result.output
            assert (asgi.read_bytes(), answers.read_bytes()) == before
    finally:
        asgi.write_bytes(before[0])
        answers.write_bytes(before[1])
