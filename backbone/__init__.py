"""backbone: a small visual-backbone library in plain PyTorch (the code under test).

Subpackages: ``models`` (architectures by name), ``data`` (Fashion-MNIST, digits),
``training`` (arguments, loop, evaluation); ``checkpoint`` saves and loads trained models.
"""

__version__ = "0.1.0"
