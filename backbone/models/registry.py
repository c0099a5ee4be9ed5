"""Registry of model architectures by name, and the spec that records how a model was built."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

from torch import nn

Builder = Callable[..., nn.Module]
B = TypeVar("B", bound=Builder)

_REGISTRY: dict[str, Builder] = {}
_SPEC_ATTRIBUTE = "backbone_spec"


class UnknownModelError(ValueError):
    """Raised when a model name is not registered."""


@dataclass(frozen=True)
class ModelSpec:
    """The registered name and the full configuration (defaults filled in) of a model."""

    name: str
    config: dict[str, Any] = field(default_factory=dict)

    def build(self) -> nn.Module:
        """Build a fresh model from this spec."""
        return create_model(self.name, **self.config)


def register_model(name: str) -> Callable[[B], B]:
    """Class/function decorator that registers a model builder under ``name``."""

    def decorator(builder: B) -> B:
        if name in _REGISTRY and _REGISTRY[name] is not builder:
            raise ValueError(f"a model named {name!r} is already registered")
        _REGISTRY[name] = builder
        return builder

    return decorator


def available_models() -> tuple[str, ...]:
    """Names of every registered architecture, sorted."""
    return tuple(sorted(_REGISTRY))


def resolve_config(name: str, **config: Any) -> dict[str, Any]:
    """Return the full configuration of model ``name``: the given values plus the defaults."""
    builder = _lookup(name)
    signature = inspect.signature(builder)
    accepted = tuple(signature.parameters)
    unknown = sorted(set(config) - set(accepted))
    if unknown:
        raise ValueError(
            f"model {name!r} got unknown config key(s) {', '.join(unknown)}; "
            f"accepted: {', '.join(accepted)}"
        )
    bound = signature.bind(**config)
    bound.apply_defaults()
    return dict(bound.arguments)


def create_model(name: str, **config: Any) -> nn.Module:
    """Build the registered model ``name`` with ``config``; the model remembers its spec."""
    full_config = resolve_config(name, **config)
    model = _lookup(name)(**full_config)
    object.__setattr__(model, _SPEC_ATTRIBUTE, ModelSpec(name, full_config))
    return model


def model_spec(model: nn.Module) -> ModelSpec:
    """The spec a model was built from; ``ValueError`` if it was not built by ``create_model``."""
    spec = getattr(model, _SPEC_ATTRIBUTE, None)
    if not isinstance(spec, ModelSpec):
        raise ValueError(
            f"{type(model).__name__} was not built by backbone.models.create_model, "
            "so its name and config are unknown"
        )
    return spec


def _lookup(name: str) -> Builder:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownModelError(
            f"unknown model {name!r}; available: {', '.join(available_models()) or 'none'}"
        ) from None
