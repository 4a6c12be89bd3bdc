"""
DATABASE_URL, read into a Thibaud DATABASES entry.

This project's own parser rather than a library's: dj-database-url names Django's
backends and installs Django beside Thibaud. It reads the URLs Thibaud has backends
for here, with the spelling dj-database-url uses, so that a URL written for one
works with the other:

    postgres://user:password@host:5432/name     (also postgresql://, pgsql://)
    postgres://%2Fvar%2Frun%2Fpostgresql/name   (a Unix socket directory as the host)
    sqlite:////srv/project/db.sqlite3           (an absolute path: four slashes)
    sqlite:///db.sqlite3                        (relative to the working directory)
    sqlite://:memory:                           (also sqlite://)

User, password, host and name are percent-decoded (a password holding `@` or `/`
is written `%40`, `%2F`). The query string becomes OPTIONS, passed to the driver as
they are (`?sslmode=require&connect_timeout=5`), numbers as int.
"""

from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

POSTGRESQL = "thibaud.db.backends.postgresql"
SQLITE = "thibaud.db.backends.sqlite3"

#: The URL schemes read, and the Thibaud backend each selects.
ENGINES = {
    "postgres": POSTGRESQL,
    "postgresql": POSTGRESQL,
    "pgsql": POSTGRESQL,
    "sqlite": SQLITE,
}


def parse(
    url: str, *, conn_max_age: int | None = 0, conn_health_checks: bool = False
) -> dict[str, Any]:
    """The DATABASES entry *url* names; ValueError, saying what is wrong, otherwise."""
    scheme, _, rest = url.partition("://")
    engine = ENGINES.get(scheme.lower())
    if not rest and scheme == url:
        raise ValueError(
            f"{url!r} is not a URL (expected e.g. postgres://user@host/name)"
        )
    if engine is None:
        known = ", ".join(f"{name}://" for name in ENGINES)
        raise ValueError(f"unknown scheme {scheme + '://'!r}: use one of {known}")
    entry: dict[str, Any] = {
        "ENGINE": engine,
        "CONN_MAX_AGE": conn_max_age,
        "CONN_HEALTH_CHECKS": conn_health_checks,
    }
    if engine == SQLITE:
        entry["NAME"] = sqlite_name(rest)
        return entry
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"the port of {redacted(url)!r} is not a number") from None
    name = unquote(parts.path[1:])
    if not name:
        raise ValueError(f"{redacted(url)!r} names no database (add /name at its end)")
    entry.update(
        NAME=name,
        USER=unquote(parts.username or ""),
        PASSWORD=unquote(parts.password or ""),
        HOST=host(parts.netloc),
        PORT=port or "",
    )
    options = query_options(parts.query)
    if options:
        entry["OPTIONS"] = options
    return entry


def sqlite_name(rest: str) -> str:
    """The file of ``sqlite://<rest>``: an empty path or ``:memory:`` is in memory."""
    path, _, _ = rest.partition("?")
    if path in ("", "/", ":memory:", "/:memory:"):
        return ":memory:"
    if not path.startswith("/"):
        raise ValueError(
            f"sqlite://{path} has a host; write sqlite:///{path} (three slashes) for a "
            "relative path, four for an absolute one"
        )
    return unquote(path[1:])


def host(netloc: str) -> str:
    """The host of *netloc*, percent-decoded (a socket directory), without brackets."""
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):
        return hostport[1 : hostport.index("]")]
    return unquote(hostport.partition(":")[0])


def query_options(query: str) -> dict[str, Any]:
    return {
        key: int(value) if value.isdigit() else value
        for key, value in parse_qsl(query, keep_blank_values=True)
    }


def redacted(url: str) -> str:
    """*url* with its password hidden, for an error message."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return parts._replace(netloc=f"{user}:***@{hostport}").geturl()
