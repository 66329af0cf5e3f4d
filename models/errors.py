"""The one root of every error KIT Flow raises on purpose."""


class KitflowError(Exception):
    """Base of all KIT Flow errors. The message says what was wrong, where, and how to fix it."""


class InputError(KitflowError):
    """A file or argument the user gave cannot be used as it is."""


class LogNotFoundError(KitflowError):
    """A stored event log of that name does not exist."""
