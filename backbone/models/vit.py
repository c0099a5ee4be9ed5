"""A small Vision Transformer: patch embedding, class token, pre-norm encoder blocks."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from backbone.models._checks import positive_float, positive_int
from backbone.models.registry import register_model


class Attention(nn.Module):
    """Multi-head self-attention using ``F.scaled_dot_product_attention``."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Attend over tokens: (N, T, dim) -> (N, T, dim)."""
        batch, tokens, dim = x.shape
        qkv = self.qkv(x).reshape(batch, tokens, 3, self.heads, dim // self.heads)
        query, key, value = qkv.permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(query, key, value)
        return self.proj(out.transpose(1, 2).reshape(batch, tokens, dim))


class EncoderBlock(nn.Module):
    """Pre-norm transformer block: attention then MLP, each with a residual connection."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float) -> None:
        super().__init__()
        hidden = max(1, round(dim * mlp_ratio))
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Transform tokens: (N, T, dim) -> (N, T, dim)."""
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


@register_model("vit")
class VisionTransformer(nn.Module):
    """Vision Transformer for small images.

    Args:
        image_size: height and width of the (square) input; divisible by ``patch_size``.
        patch_size: side of each square patch.
        dim: token width; divisible by ``heads``.
        depth: number of encoder blocks.
        heads: attention heads.
        mlp_ratio: MLP hidden width relative to ``dim``.
        in_channels: channels of the input images.
        num_classes: size of the output logits.
    """

    def __init__(
        self,
        image_size: int = 28,
        patch_size: int = 4,
        dim: int = 64,
        depth: int = 4,
        heads: int = 4,
        mlp_ratio: float = 2.0,
        in_channels: int = 1,
        num_classes: int = 10,
    ) -> None:
        super().__init__()
        for name, value in (("image_size", image_size), ("patch_size", patch_size),
                            ("dim", dim), ("depth", depth), ("heads", heads),
                            ("in_channels", in_channels), ("num_classes", num_classes)):
            positive_int(name, value)
        positive_float("mlp_ratio", mlp_ratio)
        if image_size % patch_size:
            raise ValueError(
                f"image_size {image_size} must be divisible by patch_size {patch_size}"
            )
        if dim % heads:
            raise ValueError(f"dim {dim} must be divisible by heads {heads}")
        self.image_size = image_size
        num_patches = (image_size // patch_size) ** 2
        self.patch_embed = nn.Conv2d(in_channels, dim, patch_size, stride=patch_size)
        self.cls_token = nn.Parameter(torch.empty(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.empty(1, num_patches + 1, dim))
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        self.blocks = nn.Sequential(*(EncoderBlock(dim, heads, mlp_ratio) for _ in range(depth)))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map images (N, C, image_size, image_size) to logits (N, num_classes)."""
        if x.shape[-2:] != (self.image_size, self.image_size):
            raise ValueError(
                f"expected {self.image_size}x{self.image_size} images, got {tuple(x.shape)}"
            )
        tokens = self.patch_embed(x).flatten(2).transpose(1, 2)
        cls = self.cls_token.expand(tokens.shape[0], -1, -1)
        tokens = torch.cat((cls, tokens), dim=1) + self.pos_embed
        tokens = self.norm(self.blocks(tokens))
        return self.head(tokens[:, 0])
