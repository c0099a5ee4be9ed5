"""A small foreign PyTorch project, written from scratch for the adoption test: a tiny
character-level GPT on a toy task (continue a repeating pattern), in a package of its own,
with a top-level `backbone` module of its own, on a `master` branch. It knows nothing of this
repository's suites.

HAND_WRITTEN holds what its developer writes by hand after `harness init`: one unit test and
one nightly test (the adoption test counts their lines).
"""

from __future__ import annotations

from pathlib import Path

FILES = {
    "pyproject.toml": '''\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "toygpt"
version = "0.3.0"
requires-python = ">=3.11"

[tool.setuptools]
packages = ["toygpt"]
py-modules = ["backbone"]
''',
    "backbone.py": '''\
"""toygpt's own backbone: a stack of transformer blocks (no relation to any other)."""

import torch

OWNER = "toygpt"


def blocks(width: int, depth: int) -> torch.nn.Module:
    """`depth` causal transformer blocks of `width` channels."""
    layer = torch.nn.TransformerEncoderLayer(width, nhead=2, dim_feedforward=2 * width,
                                             batch_first=True, dropout=0.0)
    return torch.nn.TransformerEncoder(layer, depth)
''',
    "toygpt/__init__.py": '''\
"""A tiny GPT for toy sequence tasks."""

from toygpt.model import TinyGPT
from toygpt.task import pattern_batch

__all__ = ["TinyGPT", "pattern_batch"]
''',
    "toygpt/model.py": '''\
"""The model: token and position embeddings, the backbone, a head over the vocabulary."""

import torch

import backbone


class TinyGPT(torch.nn.Module):
    """Next-token prediction over a small vocabulary."""

    def __init__(self, vocab: int = 8, width: int = 32, depth: int = 2, context: int = 16):
        super().__init__()
        self.tokens = torch.nn.Embedding(vocab, width)
        self.positions = torch.nn.Parameter(torch.zeros(context, width))
        self.body = backbone.blocks(width, depth)
        self.head = torch.nn.Linear(width, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        length = tokens.shape[1]
        mask = torch.nn.Transformer.generate_square_subsequent_mask(length, device=tokens.device)
        hidden = self.tokens(tokens) + self.positions[:length]
        return self.head(self.body(hidden, mask=mask, is_causal=True))
''',
    "toygpt/task.py": '''\
"""The toy task: sequences that repeat a random pattern; predict each next token."""

import torch


def pattern_batch(batch: int, length: int = 16, vocab: int = 8, period: int = 3,
                  device: str | torch.device = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and next-token targets for `batch` repeating sequences."""
    patterns = torch.randint(0, vocab, (batch, period), device=device)
    sequence = patterns.repeat(1, length // period + 2)[:, : length + 1]
    return sequence[:, :-1], sequence[:, 1:]
''',
    "README.md": "# toygpt\n\nA tiny GPT on a toy task.\n",
}

HAND_WRITTEN = {
    "tests/test_model.py": '''\
import backbone
from toygpt import TinyGPT, pattern_batch


def test_logits_cover_the_vocabulary(device):
    inputs, _ = pattern_batch(4, device=device)
    assert TinyGPT().to(device)(inputs).shape == (4, 16, 8)
    assert backbone.OWNER == "toygpt"
''',
    "tests/test_training.py": '''\
import pytest
import torch
from toygpt import TinyGPT, pattern_batch


@pytest.mark.integration
def test_learns_the_pattern(device, speed, metrics):
    model = TinyGPT().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    inputs, targets = pattern_batch(64, device=device)

    def step():
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(inputs).flatten(0, 1), targets.flatten()).backward()
        optimizer.step()

    speed.measure(step, items=len(inputs), name="train", rounds=60)
    inputs, targets = pattern_batch(256, device=device)
    accuracy = (model(inputs).argmax(-1)[:, 3:] == targets[:, 3:]).float().mean().item()
    metrics.record("next_token_accuracy", accuracy)
''',
}


def write(root: Path, files: dict[str, str]) -> None:
    """Write `files` (path: text) under `root`."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
