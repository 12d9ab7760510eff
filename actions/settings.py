"""The action server's configuration: the `ActionSettings` rows of the one settings table
(knowledge/settings.py; the variables are listed in README.md's configuration table)."""

from knowledge.settings import DEFAULT_PARK_NAMES, MAX_PARK_NAME_CHARS, ActionSettings

__all__ = ["DEFAULT_PARK_NAMES", "MAX_PARK_NAME_CHARS", "ActionSettings"]
