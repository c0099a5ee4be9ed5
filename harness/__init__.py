"""harness: the quality harness for PyTorch codebases.

Kept import-light on purpose: `import harness` loads no torch, database or publishing code.
"""

__version__ = "0.1.0"
