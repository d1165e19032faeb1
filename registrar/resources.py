"""Where an installation's data files are, and the one way they are read.

The law (``rules/<kind>.toml``), the roles, the territory and the messages travel inside the
package (``registrar/config``), read through :mod:`importlib.resources` as Flask's tutorial reads
its schema with ``open_resource``: a wheel installed anywhere finds them, whatever the current
folder. An operator who must change one (a new territory register, a reworded message) puts
their own copy under ``REGISTRAR_CONFIG_DIR`` with the same relative name; the files they do not
copy stay the packaged ones.

A file that is missing, unreadable or not TOML is a fault of the installation, not of what a
user asked: the command line reports it with its path and exits 1.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

ENVIRONMENT_VARIABLE = "REGISTRAR_CONFIG_DIR"


class InstallationError(RuntimeError):
    """A data file the installation must provide is missing, unreadable or malformed; names its path."""


def packaged(relative: str) -> Traversable:
    """The copy of ``relative`` (e.g. ``"rules/presidential.toml"``) that ships with the package."""
    return files("registrar").joinpath("config", *relative.split("/"))


def operator_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    named = (os.environ if environ is None else environ).get(ENVIRONMENT_VARIABLE, "")
    return Path(named) if named else None


def config_file(relative: str, environ: Mapping[str, str] | None = None) -> Traversable:
    """The file in force: the operator's copy under REGISTRAR_CONFIG_DIR if there is one, else the packaged."""
    directory = operator_dir(environ)
    if directory is not None:
        own = directory.joinpath(*relative.split("/"))
        if own.is_file():
            return own
    return packaged(relative)


def names_in(relative_dir: str, suffix: str = ".toml") -> list[str]:
    """The stems of the files in a config folder (packaged and the operator's), sorted."""
    places: list[Traversable] = [packaged(relative_dir)]
    directory = operator_dir()
    if directory is not None:
        places.append(directory.joinpath(*relative_dir.split("/")))
    found = {entry.name for place in places if place.is_dir() for entry in place.iterdir()}
    return sorted(name.removesuffix(suffix) for name in found if name.endswith(suffix))


def read_toml(path: Traversable, error: type[Exception] = InstallationError, missing: str = "no such file") -> dict[str, Any]:
    """Parse one TOML file; every failure is ``error("<path>: <reason>")``, never a traceback."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: {missing}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise error(f"{path}: cannot be read: {err}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise error(f"{path}: not valid TOML: {err}") from None
