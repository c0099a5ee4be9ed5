"""ResNet-style CNN built from BasicBlocks, sized by ``width``, ``depth`` and ``stages``."""

from __future__ import annotations

import torch
from torch import nn

from backbone.models._checks import positive_int
from backbone.models.registry import register_model


def _conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers with an identity (or 1x1 projection) shortcut."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = _conv3x3(in_channels, out_channels, stride)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = _conv3x3(out_channels, out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Residual block forward pass."""
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.shortcut(x))


@register_model("resnet")
class ResNet(nn.Module):
    """ResNet for small images.

    Args:
        width: channels of the first stage; each later stage doubles them and halves the
            spatial size.
        depth: BasicBlocks per stage.
        stages: number of stages.
        in_channels: channels of the input images.
        num_classes: size of the output logits.
        stem_stride: stride of the first convolution (2 quarters the cost on 28x28 inputs).
    """

    def __init__(
        self,
        width: int = 16,
        depth: int = 1,
        stages: int = 3,
        in_channels: int = 1,
        num_classes: int = 10,
        stem_stride: int = 1,
    ) -> None:
        super().__init__()
        for name, value in (("width", width), ("depth", depth), ("stages", stages),
                            ("in_channels", in_channels), ("num_classes", num_classes),
                            ("stem_stride", stem_stride)):
            positive_int(name, value)
        self.stem = nn.Sequential(
            _conv3x3(in_channels, width, stem_stride), nn.BatchNorm2d(width), nn.ReLU(inplace=True)
        )
        blocks: list[nn.Module] = []
        channels = width
        for stage in range(stages):
            out_channels = width * 2**stage
            for index in range(depth):
                stride = 2 if stage > 0 and index == 0 else 1
                blocks.append(BasicBlock(channels, out_channels, stride))
                channels = out_channels
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map images (N, C, H, W) to logits (N, num_classes)."""
        features = self.blocks(self.stem(x))
        return self.head(features.mean(dim=(2, 3)))
