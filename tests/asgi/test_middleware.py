"""SPEC and option parsing, and the Python lines generated for a chain."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thibaud_cli.asgi.codegen import chain_code
from thibaud_cli.asgi.spec import (
    MiddlewareEntry,
    ObjectPath,
    OptionValue,
    parse_option,
    parse_options,
    python_literal,
)
from thibaud_cli.errors import MiddlewareSpecError

RUFF = str(Path(sys.executable).parent / "ruff")


@pytest.mark.parametrize(
    ("spec", "module", "attribute"),
    [
        ("pkg.mod.Name", "pkg.mod", "Name"),
        ("pkg.mod:Name", "pkg.mod", "Name"),
        ("mod:Name", "mod", "Name"),
        ("mod.Name", "mod", "Name"),
        (
            " uvicorn.middleware.proxy_headers:ProxyHeadersMiddleware ",
            "uvicorn.middleware.proxy_headers",
            "ProxyHeadersMiddleware",
        ),
    ],
)
def test_specs_in_both_forms(spec: str, module: str, attribute: str) -> None:
    path = ObjectPath.parse(spec)
    assert (path.module, path.attribute) == (module, attribute)
    assert ObjectPath.parse(str(path)) == path


@pytest.mark.parametrize(
    "spec",
    [
        "Name",
        "",
        ":",
        "pkg.mod:",
        ":Name",
        "pkg..mod.Name",
        "pkg.mod:A:B",
        "pkg-x.mod.Name",
        "pkg.mod.1Name",
        "class.mod.Name",
        "pkg.mod:A.B",
        "pkg.mod.Name()",
        "pkg/mod.Name",
        "os.system('x')",
        "pkg.mod.Náme",
    ],
)
def test_bad_specs_are_refused_with_the_right_form(spec: str) -> None:
    with pytest.raises(MiddlewareSpecError) as caught:
        ObjectPath.parse(spec)
    assert "pkg.module" in str(caught.value) or "':'" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x=1", 1),
        ("x=1.5", 1.5),
        ("x=True", True),
        ("x=None", None),
        ("x='text'", "text"),
        ('x="text"', "text"),
        ("x=[1, 'a']", [1, "a"]),
        ("x=(1,)", (1,)),
        ("x={'k': [1, 2]}", {"k": [1, 2]}),
        ("x=-3", -3),
    ],
)
def test_option_literals(text: str, expected: object) -> None:
    key, value = parse_option(text)
    assert key == "x"
    assert value.literal == expected
    assert type(value.literal) is type(expected)


def test_option_reference() -> None:
    key, value = parse_option("hook=@mypkg.hooks.on_request")
    assert value.reference == ObjectPath("mypkg.hooks", "on_request")
    assert value.source == "@mypkg.hooks:on_request"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("novalue", "expected KEY=VALUE"),
        ("1x=1", "not a valid keyword argument name"),
        ("class=1", "not a valid keyword argument name"),
        ("app=1", "'app' is the wrapped application"),
        ("x=legacy", "neither a Python literal nor an @reference"),
        ('x=os.system("ls")', "neither a Python literal nor an @reference"),
        ("x=__import__('os')", "neither a Python literal nor an @reference"),
        ("x={1, 2}", "set values are not supported"),
        ("x=b'bytes'", "bytes values are not supported"),
        ("x=1e999", "infinite or NaN"),
        ("x=@", "not a valid reference"),
        ("x=@os", "not a valid reference"),
    ],
)
def test_bad_options_are_refused(text: str, fragment: str) -> None:
    with pytest.raises(MiddlewareSpecError) as caught:
        parse_option(text)
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_option_given_twice_is_refused() -> None:
    with pytest.raises(MiddlewareSpecError, match="given twice"):
        parse_options(["x=1", "x=2"])


HOSTILE_STRINGS = [
    '"); import os; os.system("id',
    "line\nbreak",
    "quote ' and \" both",
    "\\",
    "\x00",
]


@pytest.mark.parametrize("hostile", HOSTILE_STRINGS)
def test_hostile_strings_stay_string_literals(hostile: str) -> None:
    _, value = parse_option(f"header={python_literal(hostile)}")
    code = chain_code([MiddlewareEntry(ObjectPath("pkg.mod", "M"), {"header": value})])
    tree = ast.parse("\n".join(code.wraps))
    call = tree.body[0].value  # type: ignore[attr-defined]
    assert isinstance(call, ast.Call)
    keyword_value = call.keywords[0].value
    assert isinstance(keyword_value, ast.Constant) and keyword_value.value == hostile


json_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
literals = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=4).map(tuple)
        | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)


@given(literals)
def test_literals_round_trip_through_their_source(value: object) -> None:
    source = python_literal(value)
    assert ast.literal_eval(source) == value
    assert OptionValue.from_source(source, key="k").literal == value


identifiers = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(
    lambda name: not __import__("keyword").iskeyword(name)
)
object_paths = st.builds(
    lambda parts, attribute: ObjectPath(".".join(parts), attribute),
    st.lists(identifiers, min_size=1, max_size=3),
    st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,10}", fullmatch=True).filter(
        lambda name: not __import__("keyword").iskeyword(name)
    ),
)
entries = st.builds(
    MiddlewareEntry,
    object_paths,
    st.dictionaries(
        identifiers.filter(lambda name: name != "app"),
        literals.map(lambda value: OptionValue(literal=value))
        | object_paths.map(lambda path: OptionValue(reference=path)),
        max_size=3,
    ),
)


@settings(max_examples=200)
@given(st.lists(entries, max_size=5))
def test_generated_chain_is_valid_python_binding_every_name_once(
    chain: list[MiddlewareEntry],
) -> None:
    code = chain_code(chain)
    source = "\n".join([*code.imports, *code.wraps])
    tree = ast.parse(source)
    bound = [
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    ]
    assert len(bound) == len(set(bound))
    assert not {"os", "application", "get_asgi_application"} & set(bound)
    assert len(code.wraps) == len(chain)
    for line, entry in zip(code.wraps, chain, strict=True):
        call = ast.parse(line).body[0].value  # type: ignore[attr-defined]
        assert isinstance(call.args[0], ast.Name) and call.args[0].id == "application"
        assert [keyword.arg for keyword in call.keywords] == list(entry.options)


def test_clashing_names_are_aliased() -> None:
    chain = [
        MiddlewareEntry(ObjectPath("a.mw", "Middleware")),
        MiddlewareEntry(ObjectPath("b.mw", "Middleware")),
        MiddlewareEntry(ObjectPath("c", "application")),
    ]
    code = chain_code(chain)
    assert code.imports == (
        "from a.mw import Middleware  # noqa: E402",
        "from b.mw import Middleware as b_mw_Middleware  # noqa: E402",
        "from c import application as c_application  # noqa: E402",
    )
    assert code.wraps == (
        "application = Middleware(application)",
        "application = b_mw_Middleware(application)",
        "application = c_application(application)",
    )


def _ruff_clean(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.ruff.lint]\nselect = ["E4", "E7", "E9", "F", "I", "W"]\n'
    )
    (tmp_path / "asgi.py").write_text(source)
    check = subprocess.run([RUFF, "check", "asgi.py"], cwd=tmp_path, capture_output=True, text=True)
    if check.returncode:
        return check
    return subprocess.run(
        [RUFF, "format", "--check", "--diff", "asgi.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )


def test_generated_lines_are_ruff_clean_including_sorting_and_long_lines(tmp_path: Path) -> None:
    chain = [
        MiddlewareEntry(ObjectPath("zeta.mw", "Zed")),
        MiddlewareEntry(ObjectPath("alpha.mw", "apple_middleware")),
        MiddlewareEntry(ObjectPath("alpha.mw", "CONSTANT_MW")),
        MiddlewareEntry(ObjectPath("alpha.mw", "Beta")),
        MiddlewareEntry(ObjectPath("Alpha.other", "Thing")),
        MiddlewareEntry(ObjectPath("other", "Beta")),
        MiddlewareEntry(
            ObjectPath(
                "a_very_long_package_name.with_a_long_module_path.and_more",
                "AVeryLongMiddlewareName",
            ),
            {
                "allowed": OptionValue(
                    literal=["a-long-host-name.example.com", "another.example.com"]
                )
            },
        ),
        MiddlewareEntry(
            ObjectPath("hooks", "Hooked"),
            {
                "hook": OptionValue(reference=ObjectPath("mysite.hooks", "on_request")),
                "n": OptionValue(literal=3),
            },
        ),
    ]
    code = chain_code(chain)
    uses = "\n".join(code.wraps)
    source = (
        "import os\n\nfrom thibaud.core.asgi import get_asgi_application\n\n"
        'os.environ.setdefault("X", "y")\n\napplication = get_asgi_application()\n\n'
        "# block\n" + "\n".join(code.imports) + "\n\n" + uses + "\n"
    )
    result = _ruff_clean(tmp_path, source)
    assert result.returncode == 0, result.stdout + result.stderr
