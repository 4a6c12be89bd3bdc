"""Where a middleware goes in ``MIDDLEWARE`` by default: the framework's documented order.

Thibaud's reference ("Middleware ordering", as Django's) says, in order: SecurityMiddleware
near the top; UpdateCacheMiddleware before those that modify ``Vary``; GZipMiddleware
before any middleware that may change or use the response body; SessionMiddleware;
ConditionalGetMiddleware after GZip; LocaleMiddleware after Session; CommonMiddleware;
CsrfViewMiddleware before any authentication middleware that may log in;
AuthenticationMiddleware after Session (and the remote-user and login-required ones
after it); MessageMiddleware; FetchFromCacheMiddleware after any middleware that
modifies ``Vary``; the flatpage and redirect fallbacks at the bottom, last resorts.
XFrameOptionsMiddleware ends the stock list ``startproject`` writes.

A middleware the framework does not document goes after the framework's own and before
the last resorts: after what the user added before it.
"""

from __future__ import annotations

from collections.abc import Sequence

#: The framework's middleware, in the documented order.
DOCUMENTED_ORDER = (
    "thibaud.middleware.security.SecurityMiddleware",
    "thibaud.middleware.cache.UpdateCacheMiddleware",
    "thibaud.middleware.gzip.GZipMiddleware",
    "thibaud.contrib.sessions.middleware.SessionMiddleware",
    "thibaud.middleware.http.ConditionalGetMiddleware",
    "thibaud.middleware.locale.LocaleMiddleware",
    "thibaud.middleware.common.CommonMiddleware",
    "thibaud.middleware.csrf.CsrfViewMiddleware",
    "thibaud.contrib.auth.middleware.AuthenticationMiddleware",
    "thibaud.contrib.auth.middleware.RemoteUserMiddleware",
    "thibaud.contrib.auth.middleware.PersistentRemoteUserMiddleware",
    "thibaud.contrib.auth.middleware.LoginRequiredMiddleware",
    "thibaud.contrib.messages.middleware.MessageMiddleware",
    "thibaud.middleware.clickjacking.XFrameOptionsMiddleware",
    None,  # where a middleware the order does not name goes
    "thibaud.middleware.cache.FetchFromCacheMiddleware",
    "thibaud.contrib.flatpages.middleware.FlatpageFallbackMiddleware",
    "thibaud.contrib.redirects.middleware.RedirectFallbackMiddleware",
)
_RANK = {name: rank for rank, name in enumerate(DOCUMENTED_ORDER) if name is not None}
_UNNAMED = DOCUMENTED_ORDER.index(None)


def rank(dotted: str) -> int | None:
    """*dotted*'s place in the documented order; None for a middleware it does not name."""
    return _RANK.get(dotted.replace(":", "."))


def default_position(entries: Sequence[str], dotted: str) -> int:
    """The index *dotted* is inserted at in *entries*, following the documented order.

    After every named middleware that comes before it and, for one of the framework's
    own, as early as that allows (GZip right after Security, before anything that
    reads the body); an unnamed one as late as it can go before those that come after
    it (after what the user added before).
    """
    own = rank(dotted)
    new = own if own is not None else _UNNAMED
    ranks = [rank(entry) for entry in entries]
    lowest = 1 + max(
        (index for index, found in enumerate(ranks) if found is not None and found < new),
        default=-1,
    )
    highest = min(
        (index for index, found in enumerate(ranks) if found is not None and found > new),
        default=len(entries),
    )
    if highest < lowest:  # the list is not in the documented order: never before its elders
        return lowest
    return lowest if own is not None else highest
