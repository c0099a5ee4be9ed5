"""The results store (SQLAlchemy Core): SQLite by default, any SQLAlchemy URL accepted."""

from harness.store.locate import DEFAULT_STORE, STORE_ENV, resolve_store_target
from harness.store.store import Store, StoreError, open_store

__all__ = [
    "DEFAULT_STORE",
    "STORE_ENV",
    "Store",
    "StoreError",
    "open_store",
    "resolve_store_target",
]
