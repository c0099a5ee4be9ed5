"""The one error publishers raise: its message says what went wrong and what to do."""


class PublishError(Exception):
    """Publishing failed; nothing was lost (results stay in the store, unpublished)."""
