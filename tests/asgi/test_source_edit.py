"""The two syntax-tree editors, on many shapes of file: what goes in comes out, byte for byte.

``asgi.source_edit`` (the chain in an ASGI module) and ``project.middleware_setting`` (the
``MIDDLEWARE`` list), driven by hypothesis over the layouts people write: quotes, comments
on and between lines, trailing commas, a missing final newline, CRLF, tabs, code after the
binding, a function, a class or an import bound to ``application``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from thibaud_cli.asgi.source_edit import ModuleSource
from thibaud_cli.asgi.spec import MiddlewareEntry, ObjectPath, OptionValue
from thibaud_cli.errors import EntryPointError, MiddlewareChainError
from thibaud_cli.project.middleware_order import default_position
from thibaud_cli.project.middleware_setting import find_setting

_NAMES = st.sampled_from(
    ["a.b.C", "x.y.Z", "pkg.mw.Timing", "thibaud.middleware.gzip.GZipMiddleware"]
)


@st.composite
def middleware_lists(draw: st.DrawFn) -> tuple[str, list[str]]:
    entries = draw(st.lists(_NAMES, unique=True, max_size=4))
    quote = draw(st.sampled_from(["'", '"']))
    opening, closing = draw(st.sampled_from([("[", "]"), ("(", ")")]))
    multiline = draw(st.booleans()) or (opening == "(" and len(entries) == 1)
    trailing = draw(st.booleans()) or (opening == "(" and len(entries) == 1)
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    if not multiline:
        body = ", ".join(f"{quote}{entry}{quote}" for entry in entries)
        text = f"MIDDLEWARE = {opening}{body}{',' if trailing and entries else ''}{closing}"
    else:
        lines = [f"MIDDLEWARE = {opening}" + draw(st.sampled_from(["", "  # the chain"]))]
        for index, entry in enumerate(entries):
            if draw(st.booleans()):
                lines.append(draw(st.sampled_from(["", "    # about the next one"])))
            comma = "," if index < len(entries) - 1 or trailing else ""
            comment = draw(st.sampled_from(["", "  # why"]))
            lines.append(f"    {quote}{entry}{quote}{comma}{comment}")
        if draw(st.booleans()):
            lines.append("    # the end")
        lines.append(closing)
        text = newline.join(lines)
    before = draw(
        st.sampled_from(["", f"DEBUG = True{newline}", f'"""Settings."""{newline}{newline}'])
    )
    after = draw(st.sampled_from(["", newline, f"{newline}MIDDLEWARE += ['late.One']{newline}"]))
    return before + text + after, entries


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(shape=middleware_lists(), data=st.data())
def test_a_setting_takes_one_entry_and_gives_the_file_back(
    tmp_path: Path, shape: tuple[str, list[str]], data: st.DataObject
) -> None:
    text, entries = shape
    settings_file = tmp_path / "site" / "settings.py"
    settings_file.parent.mkdir(exist_ok=True)
    settings_file.write_bytes(text.encode())
    setting = find_setting(tmp_path, tmp_path, "site.settings")
    assert list(setting.entries) == entries
    index = data.draw(st.integers(0, len(entries)))
    added = setting.added("new.mw.Added", index)
    ast.parse(added)
    settings_file.write_bytes(added.encode())
    changed = find_setting(tmp_path, tmp_path, "site.settings")
    assert list(changed.entries) == [*entries[:index], "new.mw.Added", *entries[index:]]
    assert changed.removed("new.mw.Added") == text


def test_the_default_place_follows_the_documented_order() -> None:
    stock = [
        "thibaud.middleware.security.SecurityMiddleware",
        "thibaud.contrib.sessions.middleware.SessionMiddleware",
        "thibaud.middleware.common.CommonMiddleware",
        "thibaud.middleware.csrf.CsrfViewMiddleware",
        "thibaud.contrib.auth.middleware.AuthenticationMiddleware",
        "thibaud.contrib.messages.middleware.MessageMiddleware",
        "thibaud.middleware.clickjacking.XFrameOptionsMiddleware",
    ]
    assert default_position(stock, "thibaud.middleware.gzip.GZipMiddleware") == 1
    assert default_position(stock, "thibaud.middleware.security.SecurityMiddleware") == 0
    assert default_position(stock, "thibaud.middleware.locale.LocaleMiddleware") == 2
    assert default_position(stock, "thibaud.middleware.cache.UpdateCacheMiddleware") == 1
    assert default_position(stock, "thibaud.middleware.cache.FetchFromCacheMiddleware") == 7
    assert default_position(stock, "thibaud.contrib.auth.middleware.LoginRequiredMiddleware") == 5
    assert default_position(stock, "thirdparty.Middleware") == 7
    ours = [*stock, "mine.First", "thibaud.contrib.redirects.middleware.RedirectFallbackMiddleware"]
    assert default_position(ours, "mine.Second") == 8  # after mine.First, before the fallback
    assert default_position(ours, "thibaud.middleware.gzip.GZipMiddleware") == 1
    assert default_position([], "thibaud.middleware.gzip.GZipMiddleware") == 0
    # Out of the documented order: never before what must come first.
    assert default_position(list(reversed(stock)), "thibaud.middleware.gzip.GZipMiddleware") == 7


# -- the ASGI module ------------------------------------------------------------------------

_LITERALS = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text("ab'\"\\ é", max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text("kv", max_size=2), inner, max_size=2)
    ),
    max_leaves=6,
)
_TARGETS = st.sampled_from(
    [
        ObjectPath("uvicorn.middleware.proxy_headers", "ProxyHeadersMiddleware"),
        ObjectPath("mysite.chain", "AddHeader"),
        ObjectPath("other.chain", "AddHeader"),  # the same name from another module
        ObjectPath("mysite.chain", "os"),  # a name the module already uses
    ]
)


@st.composite
def entries(draw: st.DrawFn) -> MiddlewareEntry:
    options: dict[str, OptionValue] = {}
    for key in draw(st.lists(st.sampled_from(["value", "hosts", "hook"]), unique=True, max_size=2)):
        if key == "hook":
            options[key] = OptionValue(reference=ObjectPath("mysite.hooks", "on_request"))
        else:
            options[key] = OptionValue(literal=draw(_LITERALS))
    return MiddlewareEntry(draw(_TARGETS), options)


_BINDINGS = [
    "application = get_asgi_application()",
    "application: object = get_asgi_application()",
    "application = Router(\n    {\n        'http': get_asgi_application(),  # HTTP\n    }\n)",
    "async def application(scope, receive, send):\n    await inner(scope, receive, send)",
    "class application:\n    pass",
    "from mysite.routing import application",
    "application = get_asgi_application(); ready = True",
]


@st.composite
def modules(draw: st.DrawFn) -> str:
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    parts = []
    if draw(st.booleans()):
        parts.append('"""The ASGI entry point."""\n')
    parts.append(
        draw(
            st.sampled_from(
                [
                    "",
                    "import os\n",
                    "import os\n\nfrom thibaud.core.asgi import get_asgi_application\n",
                    "from __future__ import annotations\n\nimport os  # the environment\n",
                ]
            )
        )
    )
    parts.append(
        draw(
            st.sampled_from(["", "\nos.environ.setdefault('X', 'y')\n", "\n# Settings first.\n\n"])
        )
    )
    parts.append("\n" + draw(st.sampled_from(_BINDINGS)) + "\n")
    parts.append(
        draw(
            st.sampled_from(
                [
                    "",
                    "\n# Apply ASGI middleware here.\n",
                    "\n\ndef helper():\n    return application\n",
                    "\nif __name__ == '__main__':\n    print(application)\n",
                ]
            )
        )
    )
    text = "".join(parts)
    if draw(st.booleans()):
        text = text.rstrip("\n")
    return text.replace("\n", newline)


@settings(max_examples=80, deadline=None)
@given(source=modules(), chain=st.lists(entries(), min_size=1, max_size=3), data=st.data())
def test_a_chain_edited_in_and_out_gives_the_module_back_byte_for_byte(
    source: str, chain: list[MiddlewareEntry], data: st.DataObject
) -> None:
    text = source
    for position, entry in enumerate(chain):
        text = ModuleSource(text, "asgi.py").add(chain[:position], entry, {"mysite"})
        ast.parse(text)
    edited = ModuleSource(text, "asgi.py")
    assert edited.drift(chain) is None
    assert all(found is not None for found in edited.locate(chain))
    # The wraps are the module's last bindings, in order: the last added outermost.
    tree = ast.parse(text)
    wraps = [
        node
        for node in tree.body
        if isinstance(node, ast.Assign)
        and ast.unparse(node.targets[0]) == "application"
        and isinstance(node.value, ast.Call)
        and node.value.args
        and ast.unparse(node.value.args[0]) == "application"
    ]
    assert len(wraps) >= len(chain)
    remaining = list(chain)
    while remaining:
        position = data.draw(st.integers(0, len(remaining) - 1))
        removed = ModuleSource(text, "asgi.py").remove(remaining, position)
        assert removed is not None
        text = removed
        del remaining[position]
        ast.parse(text)
    assert text == source


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "if DEBUG:\n    application = a()\nelse:\n    application = b()\n",
            "inside an if block (line 1)",
        ),
        (
            "try:\n    from x import application\nexcept ImportError:\n    application = b()\n",
            "inside a try block",
        ),
        (
            "application = a()\nwith ctx():\n    application = b(application)\n",
            "inside a with block (line 2)",
        ),
        ("def make():\n    application = 1\n", "does not bind `application` at its top level"),
        ("application = (\n", "is not valid Python (line"),
    ],
)
def test_a_binding_a_wrap_cannot_follow_safely_is_refused(source: str, message: str) -> None:
    entry = MiddlewareEntry(ObjectPath("m", "M"))
    with pytest.raises(
        EntryPointError, match="(?s)" + message.replace("(", r"\(").replace(")", r"\)")
    ):
        ModuleSource(source, "asgi.py").add((), entry, set())


def test_a_hand_wrap_of_the_same_middleware_needs_allow_duplicate() -> None:
    source = (
        "from m import M\n\napplication = get_asgi_application()\napplication = M(application)\n"
    )
    entry = MiddlewareEntry(ObjectPath("m", "M"))
    with pytest.raises(MiddlewareChainError, match="already wraps application in m:M .line 4"):
        ModuleSource(source, "asgi.py").add((), entry, set())
    added = ModuleSource(source, "asgi.py").add((), entry, set(), allow_duplicate=True)
    # Its own name (M is the user's), and the wrap outermost.
    assert added.endswith("application = M(application)\napplication = m_M(application)\n")
    assert "from m import M as m_M\n" in added
    assert ModuleSource(added, "asgi.py").remove([entry], 0) == source
