"""nnsolve: solve neural-network worksheets step by step.

As a library (docs/api.md):

    import nnsolve
    solution = nnsolve.load("problems/worksheet.yaml").solve()
    solution.loss                      # 0.3879017462732233
    solution.grad("W2[1,1]").value     # -0.046239021619400286

The names below load when first used, so `import nnsolve` (and the command's --help) stays
quick.
"""

__version__ = "0.1.0"

__all__ = ["Gradient", "NnsolveError", "Problem", "Report", "Solution", "check", "load", "variants", "__version__"]

_FROM = {"Gradient": "api", "Problem": "api", "Report": "api", "Solution": "api", "check": "api", "load": "api", "variants": "api", "NnsolveError": "errors"}


def __getattr__(name: str):
    if name in _FROM:
        import importlib

        value = getattr(importlib.import_module(f".{_FROM[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'nnsolve' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
