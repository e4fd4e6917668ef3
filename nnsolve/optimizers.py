"""Optimizers and weight decay: the update rules after plain SGD, each with its state.

Pure numpy, float64, no I/O. The rules and their defaults are torch.optim's, as its
documentation gives each algorithm in pseudocode (SGD with momentum, dampening and Nesterov,
Adagrad, RMSprop, Adam, AdamW), so that a student's PyTorch check agrees. Every rule is
elementwise, so it works on one weight matrix, on a stack of them (leading axes), and on
training's flat array of every weight alike.

State is kept per parameter matrix (a layer's W in the bias-row form, row 0 the bias
weights): the velocity of momentum, the accumulated squares of Adagrad, the moments of
Adam, and the number of steps taken. Each name below is the one the working, the problem
file's `state:` and the JSON use; torch's name for it is in TORCH_STATE.

Which weights are decayed (weight_decay, and the l2 term of the loss) is a switch,
decay_bias: torch decays every parameter it is given; nnsolve by default leaves the bias
weights (row 0) alone, as courses do, and says so in the working.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable, Optional

import numpy as np

if TYPE_CHECKING:
    Rounder = Optional[Callable[[np.ndarray], np.ndarray]]

# name -> its options and their defaults (torch.optim's), in the order the working names them
OPTIONS: dict[str, tuple[tuple[str, object], ...]] = {
    "sgd": (("momentum", 0.0), ("dampening", 0.0), ("nesterov", False)),
    # SGD with momentum: torch.optim.SGD with momentum 0.9 (its default 0 is plain SGD)
    "momentum": (("momentum", 0.9), ("dampening", 0.0), ("nesterov", False)),
    "adagrad": (("lr_decay", 0.0), ("initial_accumulator", 0.0), ("eps", 1e-10)),
    "rmsprop": (("alpha", 0.99), ("eps", 1e-8), ("momentum", 0.0), ("centered", False)),
    "adam": (("beta1", 0.9), ("beta2", 0.999), ("eps", 1e-8), ("amsgrad", False)),
    "adamw": (("beta1", 0.9), ("beta2", 0.999), ("eps", 1e-8), ("amsgrad", False)),
}
NAMES = tuple(OPTIONS)
# other names people use for one of them: (name, options it sets)
ALIASES = {"nesterov": ("momentum", {"nesterov": True}), "rmsprop_centered": ("rmsprop", {"centered": True})}
ALL_NAMES = NAMES + tuple(ALIASES)  # every name make() takes (in any case)
DEFAULT_WEIGHT_DECAY = {"adamw": 0.01}  # torch.optim.AdamW's; 0 for the others
BOOLEAN_OPTIONS = ("nesterov", "centered", "amsgrad")
TITLES = {"sgd": "SGD", "momentum": "SGD with momentum", "adagrad": "Adagrad", "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW"}
# nnsolve's name of each state array -> torch.optim's key in optimizer.state[p] (v: see Optimizer.torch_state)
TORCH_STATE = {"G": "sum", "g_avg": "grad_avg", "u": "momentum_buffer", "m": "exp_avg", "v_max": "max_exp_avg_sq"}


@dataclass(frozen=True)
class Optimizer:
    """An update rule with every option filled in (torch.optim's defaults where not given)."""

    name: str  # one of NAMES
    options: tuple[tuple[str, object], ...] = ()  # every option of the name, in OPTIONS' order
    weight_decay: float = 0.0  # L2 added to the gradient (decoupled for adamw)
    decay_bias: bool = False  # whether weight_decay (and l2) reach the bias weights, row 0

    def __post_init__(self):
        given = dict(self.options)
        object.__setattr__(self, "options", tuple((k, given.get(k, d)) for k, d in OPTIONS[self.name]))

    def __getitem__(self, key: str):
        return dict(self.options)[key]

    @property
    def kind(self) -> str:
        """The rule: sgd (momentum is SGD's), adagrad, rmsprop or adam (adamw is Adam's, decoupled)."""
        return {"momentum": "sgd", "adamw": "adam"}.get(self.name, self.name)

    @property
    def decoupled(self) -> bool:
        """Whether weight decay shrinks the weights directly (AdamW) rather than adding to the gradient."""
        return self.name == "adamw"

    @property
    def plain(self) -> bool:
        """Whether this is w <- w - lambda g exactly: SGD without momentum or weight decay."""
        return self.kind == "sgd" and self["momentum"] == 0 and self.weight_decay == 0

    @property
    def title(self) -> str:
        if self.kind == "sgd" and self["momentum"] > 0:
            return "SGD with Nesterov momentum" if self["nesterov"] else "SGD with momentum"
        return TITLES[self.name]

    def state_names(self) -> tuple[str, ...]:
        """The state arrays this rule keeps per parameter matrix, in the working's order."""
        if self.kind == "sgd":
            return ("v",) if self["momentum"] > 0 else ()
        if self.kind == "adagrad":
            return ("G",)
        if self.kind == "rmsprop":
            return ("v",) + (("g_avg",) if self["centered"] else ()) + (("u",) if self["momentum"] > 0 else ())
        return ("m", "v") + (("v_max",) if self["amsgrad"] else ())

    def torch_state(self, name: str) -> str:
        """torch.optim's key for one of state_names()."""
        if name == "v":
            return {"sgd": "momentum_buffer", "rmsprop": "square_avg", "adam": "exp_avg_sq"}[self.kind]
        return TORCH_STATE[name]

    def uses_step(self) -> bool:
        """Whether the number of steps enters the rule (Adam's bias correction, Adagrad's lr_decay)."""
        return self.kind == "adam" or (self.kind == "adagrad" and self["lr_decay"] != 0)

    def as_dict(self) -> dict:
        return {"name": self.name, **{k: v for k, v in self.options}, "weight_decay": self.weight_decay, "decay_bias": self.decay_bias}


class OptionError(ValueError):
    """An optimizer name or option that cannot be: .key names it, .fix says what to do."""

    def __init__(self, key: str, message: str, fix: str):
        super().__init__(message)
        self.key, self.message, self.fix = key, message, fix


def make(name: str, options: Optional[dict] = None, weight_decay: Optional[float] = None, decay_bias: bool = False) -> Optimizer:
    """An Optimizer from a name and options as a person gives them, checked as torch.optim
    checks them (OptionError where one cannot be)."""
    options = dict(options or {})
    key = str(name).strip().lower()
    if key in ALIASES:
        key, preset = ALIASES[key]
        options = {**preset, **options}
    if key not in OPTIONS:
        raise OptionError("optimizer", f"unknown optimizer {name!r}", f"use one of {', '.join(ALL_NAMES)}")
    known = dict(OPTIONS[key])
    for option, value in options.items():
        if option not in known:
            hint = ("weight_decay is a top-level key of the problem, beside optimizer" if option == "weight_decay"
                    else "the learning rate is the problem's learning_rate" if option in ("lr", "learning_rate")
                    else f"{key} takes {', '.join(known)}")
            raise OptionError(f"optimizer: {option}", f"is not an option of {key}", hint)
        if option in BOOLEAN_OPTIONS:
            if not isinstance(value, (bool, np.bool_)):
                raise OptionError(f"optimizer: {option}", f"is {value!r}, not true or false", f"write '{option}: true' or '{option}: false'")
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not np.isfinite(value):
            raise OptionError(f"optimizer: {option}", f"is {value!r}, not a number", f"give a number, such as {known[option]!r}")
        options[option] = float(value)
    opt = Optimizer(key, tuple(options.items()), 0.0, decay_bias)
    for option in ("momentum", "dampening", "lr_decay", "initial_accumulator", "eps", "alpha"):
        if option in known and opt[option] < 0:
            raise OptionError(f"optimizer: {option}", f"is {opt[option]:g}; it must be 0 or more", f"use {known[option]!r}, torch's default")
    if "dampening" in known and opt["dampening"] > 1:
        raise OptionError("optimizer: dampening", f"is {opt['dampening']:g}; it lies between 0 and 1", "use 0 (torch's default) or a fraction")
    for option in ("beta1", "beta2"):
        if option in known and not 0 <= opt[option] < 1:
            raise OptionError(f"optimizer: {option}", f"is {opt[option]:g}; it must lie in [0, 1)", f"use {known[option]!r}, torch's default")
    if "alpha" in known and opt["alpha"] > 1:
        raise OptionError("optimizer: alpha", f"is {opt['alpha']:g}; it lies between 0 and 1", "use 0.99, torch's default")
    if opt.kind == "sgd" and opt["nesterov"] and (opt["momentum"] <= 0 or opt["dampening"] != 0):
        raise OptionError("optimizer: nesterov", "needs a momentum above 0 and no dampening (as torch.optim.SGD does)",
                          "give momentum, such as 0.9, and leave dampening 0")
    decay = DEFAULT_WEIGHT_DECAY.get(key, 0.0) if weight_decay is None else float(weight_decay)
    if not np.isfinite(decay) or decay < 0:
        raise OptionError("weight_decay", f"is {decay:g}; it must be 0 or more", "use a small number such as 0.01, or 0")
    return replace(opt, weight_decay=decay)


def parse_spec(text: str) -> Optimizer:
    """One optimizer as `train --optimizer` takes it: NAME, or NAME:key=value:key=value
    (adam:beta2=0.99:amsgrad=true); lr=... is kept apart by the caller (see split_spec)."""
    name, options = split_spec(text)[:2]
    decay = options.pop("weight_decay", None)
    return make(name, options, decay)


def split_spec(text: str) -> tuple[str, dict, Optional[float]]:
    """(name, options, lr) of NAME:key=value:...; values read as numbers or true/false."""
    parts = [p.strip() for p in text.split(":")]
    name, options, lr = parts[0], {}, None
    for part in parts[1:]:
        if "=" not in part:
            raise OptionError("--optimizer", f"{part!r} is not key=value", "write NAME:key=value, such as adam:lr=0.01:beta2=0.99")
        key, value = (s.strip() for s in part.split("=", 1))
        low = value.lower()
        if low in ("true", "false"):
            parsed: object = low == "true"
        else:
            try:
                parsed = float(value)
            except ValueError:
                raise OptionError("--optimizer", f"{key}={value!r} is not a number", "give a number, or true or false") from None
        if key in ("lr", "learning_rate"):
            if isinstance(parsed, bool) or not parsed > 0 or not np.isfinite(parsed):
                raise OptionError("--optimizer", f"lr={value} must be a positive number", "such as lr=0.01")
            lr = float(parsed)
        else:
            options[key] = parsed
    return name, options, lr


# ---------------------------------------------------------------------------
# State


@dataclass(frozen=True)
class State:
    """An optimizer's state before a step: the steps taken so far, and per layer its arrays
    (name -> like W, the bias-row form). Empty arrays (()) are the state before the first step:
    zeros (Adagrad's initial accumulator), and no velocity yet for momentum, which then starts
    as the first gradient, as torch's momentum buffer does."""

    step: int = 0
    arrays: tuple[tuple[tuple[str, np.ndarray], ...], ...] = ()  # per layer ((name, array), ...); () for a fresh state

    @property
    def fresh(self) -> bool:
        return not self.arrays

    def layer(self, l: int) -> dict[str, np.ndarray]:
        """Layer l's (from 1) arrays, {} for a fresh state."""
        return dict(self.arrays[l - 1]) if self.arrays else {}

    def as_dict(self, write=None) -> dict:
        """{step, W1: {name: array}, ...}; write(l, array) turns an array into the problem's notation."""
        d: dict = {"step": self.step}
        for l, named in enumerate(self.arrays, start=1):
            for name, values in named:
                if write is None:
                    d.setdefault(f"W{l}", {})[name] = np.asarray(values).tolist()
                else:
                    for key, part in write(l, values).items():
                        d.setdefault(key, {})[name] = part
        return d


@dataclass(frozen=True)
class LayerStep:
    """One parameter matrix's step: each intermediate in the working's order, and the result."""

    working: tuple[tuple[str, np.ndarray], ...]  # ("g", ...), ("m", ...), ("m_hat", ...), ..., ("step", ...)
    updated: np.ndarray  # the new W
    state: tuple[tuple[str, np.ndarray], ...]  # the state after the step

    def get(self, name: str) -> Optional[np.ndarray]:
        return dict(self.working).get(name)


@dataclass(frozen=True)
class Step:
    """One step of an optimizer over every parameter matrix."""

    optimizer: Optimizer
    learning_rate: float
    t: int  # this step's number, from 1: the state's step + 1
    lr_t: float  # the learning rate the step used (Adagrad's decayed; else learning_rate)
    before: State
    layers: tuple[LayerStep, ...] = field(default_factory=tuple)

    @property
    def after(self) -> State:
        return State(self.t, tuple(s.state for s in self.layers))

    @property
    def updated(self) -> tuple[np.ndarray, ...]:
        return tuple(s.updated for s in self.layers)


def decay_mask(W: np.ndarray, bias: bool, decay_bias: bool) -> np.ndarray:  # (network.l2_mask)
    """1 where a weight is decayed, 0 where not: the bias row (row 0) unless decay_bias."""
    mask = np.ones(np.shape(W)[-2:], dtype=np.float64)
    if bias and not decay_bias:
        mask[0, :] = 0.0
    return mask


def check_state(opt: Optimizer, arrays: dict[str, np.ndarray]) -> Optional[tuple[str, int, str, str]]:
    """Where one layer's state (name -> array, the bias-row form) holds a value no step of opt
    can leave: (name, flat index, what is wrong, the rule) of the first such entry, or None.
    Adagrad's G is a sum of squares and RMSprop's and Adam's v a mean of them, so none is
    negative; AMSGrad's v_max is the largest v so far, so at least v; centered RMSprop's
    v - g_avg^2 is a variance (v is a mean of squares, g_avg the mean of the same gradients),
    so not negative either. A state that breaks one would make the step's square root NaN."""
    squares = {"G": "Adagrad's G is a sum of squares, so 0 or more",
               "v": "a second moment (a mean of squares) is 0 or more",
               "v_max": "AMSGrad's v_max (the largest v so far) is 0 or more"}
    for name in opt.state_names():
        if name not in arrays or name not in squares or (name == "v" and opt.kind == "sgd"):
            continue
        values = np.asarray(arrays[name], dtype=np.float64)
        bad = np.flatnonzero(values < 0)
        if bad.size:
            return name, int(bad[0]), f"is {values.flat[bad[0]]:g}", squares[name]
    if "v_max" in arrays and "v" in arrays:
        v, v_max = np.asarray(arrays["v"], dtype=np.float64), np.asarray(arrays["v_max"], dtype=np.float64)
        bad = np.flatnonzero(v_max < v)
        if bad.size:
            k = int(bad[0])
            return "v_max", k, f"is {v_max.flat[k]:g}, below its v, {v.flat[k]:g}", "v_max is the largest v so far, so at least v"
    if opt.kind == "rmsprop" and opt["centered"] and "g_avg" in arrays and "v" in arrays:
        v, g_avg = np.asarray(arrays["v"], dtype=np.float64), np.asarray(arrays["g_avg"], dtype=np.float64)
        variance = v - g_avg * g_avg  # as rule() computes v_tilde
        bad = np.flatnonzero(variance < -1e-12 * v)  # v = g_avg^2 as typed (0.01 and 0.1) is on the edge, not past it
        if bad.size:
            k = int(bad[0])
            return ("g_avg", k, f"is {g_avg.flat[k]:g} and v {v.flat[k]:g}, so v - g_avg^2 is {variance.flat[k]:g}",
                    "the variance v - g_avg^2 is 0 or more: g_avg^2 is at most v")
    return None


def step(opt: Optimizer, learning_rate, weights, grads, state: Optional[State] = None, bias: bool = True,
         train_bias: bool = True, rnd: Rounder = None) -> Step:
    """One step of opt from weights with their gradients grads (the bias-row form, any leading
    axes), from state (None: before the first step). With rnd, each intermediate is rounded
    before the next uses it, as by hand. A bias row with train_bias off is neither changed nor
    does its state move."""
    state = state or State()
    t = state.step + 1
    lr_t = learning_rate
    if opt.kind == "adagrad" and opt["lr_decay"]:
        lr_t = learning_rate / (1 + (t - 1) * opt["lr_decay"])
    layers = []
    for l, (W, g) in enumerate(zip(weights, grads), start=1):
        W = np.asarray(W, dtype=np.float64)
        old = state.layer(l)
        working, new_state, new = rule(opt, learning_rate, W, g, old, t, decay_mask(W, bias, opt.decay_bias), rnd)
        if bias and not train_bias:  # the bias row stays, and so does its state
            new = np.array(new, dtype=np.float64)
            new[..., 0, :] = W[..., 0, :]
            kept = []
            for name, values in new_state:
                values = np.array(values, dtype=np.float64)
                values[..., 0, :] = old[name][..., 0, :] if name in old else (opt["initial_accumulator"] if name == "G" else 0.0)
                kept.append((name, values))
            new_state = tuple(kept)
        layers.append(LayerStep(working, new, new_state))
    return Step(opt, float(learning_rate) if np.ndim(learning_rate) == 0 else learning_rate, t,
                float(lr_t) if np.ndim(lr_t) == 0 else lr_t, state, tuple(layers))


def rule(opt: Optimizer, lr, W, g, old: dict, t: int, mask, rnd: Rounder = None, bias_correction: bool = True):
    """The rule elementwise: (working, state after, new W) from W, its gradient g, the state
    before (old: name -> array; missing names are the fresh state), the step number t and the
    decay mask (1 where weight decay applies). Every array broadcasts: a layer, a stack, one
    weight of many students. bias_correction=False leaves out Adam's (a slip check names)."""
    keep = rnd or (lambda values: values)
    W = np.asarray(W, dtype=np.float64)
    g = np.asarray(g, dtype=np.float64)
    lr_t = lr / (1 + (t - 1) * opt["lr_decay"]) if opt.kind == "adagrad" and opt["lr_decay"] else lr
    working: list[tuple[str, np.ndarray]] = []
    new_state: list[tuple[str, np.ndarray]] = []
    wd = opt.weight_decay
    base = W
    if wd and not opt.decoupled:
        g = keep(g + wd * mask * W)
        working.append(("g", g))
    if wd and opt.decoupled:
        base = keep(W - lr * wd * mask * W)
        working.append(("w_decayed", base))
    zeros = np.zeros_like(W + g)
    if opt.kind == "sgd":
        mu = opt["momentum"]
        if mu > 0:
            v = g if "v" not in old else keep(mu * old["v"] + (1 - opt["dampening"]) * g)
            v = np.array(v, dtype=np.float64)
            working.append(("v", v))
            new_state.append(("v", v))
            direction = keep(g + mu * v) if opt["nesterov"] else v
            if opt["nesterov"]:
                working.append(("g_nesterov", direction))
        else:
            direction = g
        delta = keep(lr * direction)
    elif opt.kind == "adagrad":
        G = keep(old.get("G", zeros + opt["initial_accumulator"]) + g * g)
        working.append(("G", G))
        new_state.append(("G", G))
        delta = keep(lr_t * g / (np.sqrt(G) + opt["eps"]))
    elif opt.kind == "rmsprop":
        a = opt["alpha"]
        v = keep(a * old.get("v", zeros) + (1 - a) * g * g)
        working.append(("v", v))
        new_state.append(("v", v))
        v_tilde = v
        if opt["centered"]:
            g_avg = keep(a * old.get("g_avg", zeros) + (1 - a) * g)
            working.append(("g_avg", g_avg))
            new_state.append(("g_avg", g_avg))
            v_tilde = keep(v - g_avg * g_avg)
            working.append(("v_tilde", v_tilde))
        scaled = g / (np.sqrt(v_tilde) + opt["eps"])
        if opt["momentum"] > 0:
            u = keep(opt["momentum"] * old.get("u", zeros) + scaled)
            working.append(("u", u))
            new_state.append(("u", u))
            delta = keep(lr * u)
        else:
            delta = keep(lr * scaled)
    else:  # adam, adamw
        b1, b2 = opt["beta1"], opt["beta2"]
        m = keep(b1 * old.get("m", zeros) + (1 - b1) * g)
        v = keep(b2 * old.get("v", zeros) + (1 - b2) * g * g)
        working += [("m", m), ("v", v)]
        new_state += [("m", m), ("v", v)]
        v_used = v
        if opt["amsgrad"]:
            v_used = np.maximum(old.get("v_max", zeros), v)
            working.append(("v_max", v_used))
            new_state.append(("v_max", v_used))
        m_hat = keep(m / (1 - b1 ** t)) if bias_correction else m
        v_hat = keep(v_used / (1 - b2 ** t)) if bias_correction else v_used
        working += [("m_hat", m_hat), ("v_hat", v_hat)]
        delta = keep(lr * m_hat / (np.sqrt(v_hat) + opt["eps"]))
    working.append(("step", delta))
    return tuple(working), tuple(new_state), keep(base - delta)


def under_root(opt: Optimizer) -> tuple[str, ...]:
    """The working values that lead to the one under the square root of opt's step denominator
    (sqrt(.) + eps), in the working's order: Adam's v, v_max, v_hat; none for SGD and momentum."""
    if opt.kind == "adagrad":
        return ("G",)
    if opt.kind == "rmsprop":
        return ("v", "v_tilde") if opt["centered"] else ("v",)
    if opt.kind in ("adam", "adamw"):
        return ("v", "v_max", "v_hat") if opt["amsgrad"] else ("v", "v_hat")
    return ()


def rounded_to_nothing(rounded: Step, exact: Step, only: Optional[tuple[int, int]] = None) -> Optional[tuple[int, int, str, float]]:
    """Where hand rounding lost a step's denominator: (layer, flat index, name, exact value) of
    the first weight whose rounded step divides a number that is not 0 by eps alone, where
    exactly it divides by more than 10 eps, because a value on the way to its square root
    rounds to 0 (Adam's v of a gradient 0.05 is 2.5e-6: 0 at 4 decimals), with the first such
    value; only: (layer, flat index) of the one weight to look at. None where none is."""
    names = under_root(rounded.optimizer)
    if not names:
        return None
    for l, (r, e) in enumerate(zip(rounded.layers, exact.layers), start=1):
        # lost where it rounds to 0 but its root is well above eps (so eps alone is far smaller), with a step to take
        root = np.sqrt(np.maximum(np.asarray(e.get(names[-1])), 0.0))
        lost = (np.asarray(r.get(names[-1])) == 0) & (root > 10 * rounded.optimizer["eps"]) & (np.asarray(r.get("step")) != 0)
        for k in np.flatnonzero(lost):
            if only is not None and (l, k) != only:
                continue
            for name in names:  # the first on the way that rounded to 0
                if r.get(name).flat[k] == 0 and e.get(name).flat[k] > 0:
                    return l, int(k), name, float(e.get(name).flat[k])
    return None


def new_weight(opt: Optimizer, lr, w, g, state: Optional[State], layer: int, index, decayed, t_shift: int = 0,
               bias_correction: bool = True, expand: int = 0) -> np.ndarray:
    """The new weight(s) W[index] of a layer from a gradient g (a student's own, or a slip's), from
    the problem's state before the step; decayed says whether weight decay reaches them;
    expand adds that many trailing axes to the state (arrays with members on the last axis)."""
    state = state or State()
    old = {}
    for name, values in state.layer(layer).items():
        values = np.asarray(values)[index]
        old[name] = values.reshape(np.shape(values) + (1,) * expand)
    mask = np.asarray(decayed, dtype=np.float64)
    return rule(opt, lr, w, g, old, state.step + 1 + t_shift, mask, None, bias_correction)[2]
