"""The lint ratchet: pylint messages may only become fewer, never more, against a baseline."""
