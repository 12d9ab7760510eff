"""`rasa` as scripts/stack.py runs it: `.venv-rasa/bin/python -m scripts.rasa_cli run|shell|train ...`

The same command line, without the screenful of third-party DeprecationWarnings (pkg_resources,
distutils, pyparsing, jax) that `rasa shell` printed on the terminal. PYTHONWARNINGS=ignore
(stack.py sets it) is not enough: Sanic 21, Rasa's web server, files every DeprecationWarning
under "once" when it is imported, and Rasa files every UserWarning under "once" when it starts
(pyparsing's deprecation warnings are both). Both filters go in front of the earlier ones, so
ours are put back in front after each. Warnings raised in this project's packages still show.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

OWN_PACKAGES = ("actions", "bot", "channels", "knowledge", "scripts", "web")


def ignore_deprecations() -> None:
    """Ignore deprecation warnings, except those raised in this project's packages."""
    not_ours = rf"(?!({'|'.join(OWN_PACKAGES)})(\.|$))"  # matched against the warning's module
    for category in (DeprecationWarning, PendingDeprecationWarning):
        warnings.filterwarnings("ignore", category=category, module=not_ours)


def main() -> None:
    import sanic  # noqa: F401  # first: its filter, then ours in front of it

    ignore_deprecations()
    import rasa.__main__ as rasa_main

    configure = rasa_main.configure_logging_and_warnings

    def configure_then_ignore(*args: Any, **kwargs: Any) -> None:
        configure(*args, **kwargs)
        ignore_deprecations()

    rasa_main.configure_logging_and_warnings = configure_then_ignore
    if sys.argv[1:2] == ["shell"]:
        from channels import shell

        shell.install()  # printed buttons, never a selection prompt; numbers pick options
    sys.argv[0] = "rasa"  # its usage lines name the command
    rasa_main.main()


if __name__ == "__main__":
    main()
