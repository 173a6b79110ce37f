"""Errors of the administrative use cases (organizations, tokens): shown to an operator."""

from __future__ import annotations


class AdminError(Exception):
    """A request an operator made that cannot be carried out; the message says why."""


class NotFoundError(AdminError):
    """The organization or token named does not exist."""


class NotPermittedError(AdminError):
    """The organization's license or setup does not allow this (the console answers 403)."""
