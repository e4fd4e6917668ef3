"""nnsolve: solve neural-network worksheets step by step."""

__version__ = "0.1.0"
