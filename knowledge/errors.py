"""Errors the knowledge library raises on purpose, each with a message that names the fix."""


class KnowledgeError(Exception):
    """Base class: a problem a user can act on (message is shown as is, no traceback)."""


class IndexNotReadyError(KnowledgeError):
    """The index is missing, corrupt or was built with another embedder."""


class InvalidQuestionError(KnowledgeError):
    """The question is empty or has no searchable text."""
