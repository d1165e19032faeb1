"""The installation's data files, each loaded once before anything starts.

``registrar serve`` and ``registrar worker`` call :func:`check` first, so a missing or broken
file (the law, the roles, the territory, a language's messages) stops the start with its path,
instead of answering a request or a deadline with an error hours later.
"""

from __future__ import annotations

from registrar import notifications, roles, rules, territory


def check() -> list[str]:
    """Load every data file in force; returns the election kinds found. Raises InstallationError."""
    kinds = rules.kinds()
    for kind in kinds:
        rules.for_kind(kind)
    roles.grants()
    territory.current()
    for language in notifications.LANGUAGES:
        notifications.catalogue(language)
    return kinds
