"""The one error every module of the embedded cluster raises, and how it talks to the user."""

from __future__ import annotations

from collections.abc import Callable

#: Where progress lines go: ``print`` for the CLI, a list's ``append`` in tests.
Report = Callable[[str], None]


class LocalDbError(RuntimeError):
    """A problem with the embedded cluster; the message is one line that names the fix."""
