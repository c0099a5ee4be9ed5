"""Model architectures registered by name: ``create_model("resnet", width=8)``."""

from backbone.models import resnet as _resnet  # registers "resnet"
from backbone.models import vit as _vit  # registers "vit"
from backbone.models.registry import (
    ModelSpec,
    UnknownModelError,
    available_models,
    create_model,
    model_spec,
    register_model,
    resolve_config,
)

__all__ = [
    "ModelSpec",
    "UnknownModelError",
    "available_models",
    "create_model",
    "model_spec",
    "register_model",
    "resolve_config",
]
