"""Going on to PyTorch: our modules as `torch.nn` modules with the same weights, and back.

    from tinygrad_edu.book.network import demon_network
    net = demon_network("tensor", init="book-4-4")   # the 12-3-2 network of §4-4
    tnet = to_torch(net)     # torch.nn.Sequential(Linear, Sigmoid, Linear, Sigmoid), float64
    back = from_torch(tnet)  # our nn.Sequential(Linear, Sigmoid, Linear, Sigmoid)
    from_torch(tnet, into=net)  # or the torch weights straight into our MLP (or BookCNN)

`to_torch` takes an `nn.MLP` (either engine: a scalar-engine network goes as its tensor twin,
the same `state_dict`), `nn.Sequential`, `nn.Linear`, `nn.Conv2d`, `nn.MaxPool2d`, `nn.Flatten`,
the activation modules (the book's `BookCNN` is an `nn.Sequential`).  A
layer with an activation (`Linear(12, 3, "sigmoid")`) becomes two torch modules, the layer and
its activation, as PyTorch writes it.  The torch modules hold float64 copies of the weights
(`dtype=torch.float32` for float32 ones, to run torch's own float32 input); outputs and
gradients equal ours to rounding (tests/tools/test_interop.py).  `from_torch` does the reverse,
one of our modules per torch module, and refuses any other torch module, naming it; with
`into=model` it loads the torch weights into `model` (an `MLP`, a `BookCNN`, ...) instead, when
the torch module has exactly the layers `to_torch(model)` would build.  Both carry
`requires_grad` across: a frozen parameter stays frozen on the other side.

PyTorch is imported only inside these functions: tinygrad_edu never requires it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .nn import (MLP, Activation, Conv2d, Flatten, Hardtanh, Layer, LeakyReLU, Linear, MaxPool2d,
                 Module, ReLU, Sequential, Sigmoid, Tanh)

__all__ = ["to_torch", "from_torch", "TORCH_CPU_INSTALL"]

#: how to install PyTorch's CPU build (a plain `pip install torch` may pull a CUDA build of GBs)
TORCH_CPU_INSTALL = "pip install torch --index-url https://download.pytorch.org/whl/cpu"

#: our activation name -> torch.nn class name (the same function and the same default settings)
_TORCH_ACTIVATION = {"relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh",
                     "leaky_relu": "LeakyReLU", "hard_tanh": "Hardtanh"}
_OUR_ACTIVATION = {"ReLU": ReLU, "Sigmoid": Sigmoid, "Tanh": Tanh}
_SUPPORTED = "Sequential, Linear, Conv2d, MaxPool2d, Flatten, ReLU, Sigmoid, Tanh, LeakyReLU, " \
             "Hardtanh"


def _import_torch(who: str) -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(f"{who} needs PyTorch, which tinygrad_edu does not install; install "
                          f"its CPU build: {TORCH_CPU_INSTALL}") from None
    return torch


# -- ours -> torch --------------------------------------------------------------------------------
def to_torch(module: Any, dtype: Any = None) -> Any:
    """A `torch.nn.Module` computing what `module` computes, with copies of its weights in
    `dtype` (a floating torch dtype; float64 by default, the engine's own) and their
    `requires_grad`.  See the module docstring for what converts and how."""
    torch = _import_torch("to_torch")
    return _build(module, torch, _float_dtype(torch, dtype), [])


def _float_dtype(torch: Any, dtype: Any) -> Any:
    if isinstance(dtype, (str, np.dtype)) or dtype in (np.float32, np.float64):
        dtype = getattr(torch, np.dtype(dtype).name, dtype)  # "float32" is torch.float32
    if dtype is None:
        return torch.float64
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise TypeError(f"to_torch: dtype must be a floating torch dtype such as torch.float32 "
                        f"or torch.float64, got {dtype!r}")
    return dtype


def _build(module: Any, torch: Any, dtype: Any, pairs: list[tuple[Module, Any]]) -> Any:
    """The torch module for `module`; `pairs` gets (our layer, its torch layer) for each layer
    with weights."""
    parts = _to_torch(module, _Target(torch, dtype, pairs), type(module).__name__)
    return parts[0] if len(parts) == 1 else torch.nn.Sequential(*parts)


class _Target:
    """What a conversion to torch builds with: torch itself, the dtype, the layer pairs."""

    def __init__(self, torch: Any, dtype: Any, pairs: list[tuple[Module, Any]]) -> None:
        self.torch, self.dtype, self.pairs = torch, dtype, pairs


def _to_torch(m: Any, to: _Target, where: str) -> list[Any]:
    """The torch modules for one of ours (a layer with an activation gives two)."""
    torch = to.torch
    tnn = torch.nn
    if isinstance(m, (Sequential, MLP)):  # their sub-modules run in order
        children = [p for name, child in m.named_children()
                    for p in _to_torch(child, to, f"{where}.{name}")]
        return [tnn.Sequential(*children)]
    if isinstance(m, (Linear, Layer)):  # a scalar `Layer` has Linear's state_dict
        layer = tnn.Linear(m.n_inputs, m.n_units, bias="bias" in m.state_dict(), dtype=to.dtype)
        return [_loaded(layer, m, to), *_activation(m.activation, torch, where)]
    if isinstance(m, Conv2d):
        layer = tnn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, stride=m.stride,
                           padding=m.padding, bias=m.bias is not None, dtype=to.dtype)
        return [_loaded(layer, m, to), *_activation(m.activation, torch, where)]
    if isinstance(m, MaxPool2d):
        return [tnn.MaxPool2d(m.kernel_size, stride=m.stride, padding=m.padding)]
    if isinstance(m, Flatten):
        return [tnn.Flatten()]
    if isinstance(m, Activation):
        return _activation(m.kind, torch, where)
    raise TypeError(f"to_torch: {type(m).__name__} at {where} has no PyTorch counterpart here; "
                    "convertible: MLP, Sequential, Linear, Conv2d, MaxPool2d, Flatten, ReLU, "
                    "Sigmoid, Tanh, LeakyReLU, Hardtanh")


def _activation(name: str, torch: Any, where: str) -> list[Any]:
    if name == "identity":
        return []
    if name not in _TORCH_ACTIVATION:
        raise TypeError(f"to_torch: the activation {name!r} at {where} has no torch.nn module "
                        f"that computes the same; convertible: "
                        f"{', '.join(_TORCH_ACTIVATION)}, identity")
    return [getattr(torch.nn, _TORCH_ACTIVATION[name])()]


def _loaded(layer: Any, ours: Module, to: _Target) -> Any:
    """The torch `layer` with the weights of our `ours` and their requires_grad."""
    torch = to.torch
    layer.load_state_dict({k: torch.tensor(v, dtype=to.dtype)
                           for k, v in ours.state_dict().items()})
    for name, trained in ours.state_requires_grad().items():
        getattr(layer, name).requires_grad_(trained)
    to.pairs.append((ours, layer))
    return layer


# -- torch -> ours --------------------------------------------------------------------------------
def from_torch(torch_module: Any, into: Module | None = None) -> Module:
    """Our module computing what `torch_module` computes, with float64 copies of its weights
    and their requires_grad: `Sequential` for `torch.nn.Sequential` (nested ones too), and one
    of ours per `Linear`, `Conv2d`, `MaxPool2d`, `Flatten`, `ReLU`, `Sigmoid`, `Tanh`,
    `LeakyReLU`, `Hardtanh` (with the settings ours support).  Any other module, or setting, is
    refused, naming it.

    `into=model`: load the weights into our `model` (an `MLP`, a `BookCNN`, any module
    `to_torch` converts) and return it; `torch_module` must have exactly the layers
    `to_torch(model)` builds (the same printout), else it is refused and `model` unchanged.
    """
    torch = _import_torch("from_torch")
    if not isinstance(torch_module, torch.nn.Module):
        raise TypeError(f"from_torch needs a torch.nn.Module, got {type(torch_module).__name__}")
    if into is not None:
        return _load_into(into, torch_module, torch)
    return _from_torch(torch_module, torch, type(torch_module).__name__)


def _load_into(model: Module, t: Any, torch: Any) -> Module:
    """Load the weights of `t` into `model`, matching each of our layers with the torch layer
    `to_torch(model)` makes of it."""
    pairs: list[tuple[Module, Any]] = []
    built = _build(model, torch, torch.float64, pairs)
    if repr(built) != repr(t):
        raise TypeError(f"from_torch(into={type(model).__name__}): the torch module "
                        f"{' '.join(repr(t).split())} does not have the layers of the "
                        f"{type(model).__name__}, {' '.join(repr(built).split())}; nothing "
                        "was loaded")
    ours = {id(m): name for name, m in model.named_modules()}
    theirs = {id(m): name for name, m in built.named_modules()}
    torch_params = dict(t.named_parameters())
    state, flags = {}, {}
    for our_layer, torch_layer in pairs:
        for local in our_layer.state_dict():
            name = _dotted(ours[id(our_layer)], local)
            p = torch_params[_dotted(theirs[id(torch_layer)], local)]
            state[name] = p.detach().cpu().double().numpy()
            flags[name] = bool(p.requires_grad)
    model.load_state_dict(state)
    model.set_state_requires_grad(flags)
    return model


def _dotted(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _from_torch(t: Any, torch: Any, where: str) -> Module:
    tnn, kind = torch.nn, type(t)  # exact types: a subclass may compute something else
    layer: Module
    if kind is tnn.Sequential:
        return Sequential(*[_from_torch(child, torch, f"{where}.{name}")
                            for name, child in t.named_children()])
    if kind is tnn.Linear:
        has_bias = t.bias is not None
        layer = Linear(t.in_features, t.out_features, bias=has_bias, rng=_placeholder_rng())
        return _ours_loaded(layer, t)
    if kind is tnn.Conv2d:
        _refuse_settings(where, "Conv2d", dilation=(t.dilation, (1, 1)), groups=(t.groups, (1, 1)),
                         padding_mode=(t.padding_mode, "zeros"),
                         padding=(t.padding, t.padding if not isinstance(t.padding, str) else 0))
        layer = Conv2d(t.in_channels, t.out_channels, t.kernel_size, stride=t.stride,
                       padding=t.padding, bias=t.bias is not None, rng=_placeholder_rng())
        return _ours_loaded(layer, t)
    if kind is tnn.MaxPool2d:
        _refuse_settings(where, "MaxPool2d", dilation=(_plain(t.dilation), (1, 1)),
                         ceil_mode=(t.ceil_mode, False), return_indices=(t.return_indices, False))
        return MaxPool2d(t.kernel_size, stride=t.stride, padding=t.padding)
    if kind is tnn.Flatten:
        _refuse_settings(where, "Flatten", start_dim=(t.start_dim, 1), end_dim=(t.end_dim, -1))
        return Flatten()
    if kind is tnn.LeakyReLU:
        return LeakyReLU(t.negative_slope)
    if kind is tnn.Hardtanh:
        return Hardtanh(t.min_val, t.max_val)
    if kind in (tnn.ReLU, tnn.Sigmoid, tnn.Tanh):
        return _OUR_ACTIVATION[kind.__name__]()
    raise TypeError(f"from_torch: {kind.__name__} at {where} has no counterpart in "
                    f"tinygrad_edu.nn; supported: {_SUPPORTED}")


def _refuse_settings(where: str, name: str, **settings: tuple[Any, Any]) -> None:
    """Refuse a torch module whose settings (name=(value, the only value ours supports)) differ."""
    wrong = [f"{k}={v!r}" for k, (v, ok) in settings.items() if _plain(v) != _plain(ok)]
    if wrong:
        raise TypeError(f"from_torch: {name} at {where} has {', '.join(wrong)}, which "
                        f"tinygrad_edu.nn.{name} does not support")


def _plain(v: Any) -> Any:
    """An int or a list as the tuple torch's layers store (1 -> (1, 1))."""
    if isinstance(v, int) and not isinstance(v, bool):
        return (v, v)
    return tuple(v) if isinstance(v, list) else v


def _placeholder_rng() -> np.random.Generator:
    """Start values that the torch weights replace: drawn here, not from the generator
    `manual_seed` seeds, so converting a model leaves the user's random stream alone."""
    return np.random.default_rng(0)


def _ours_loaded(layer: Module, t: Any) -> Module:
    """Our `layer` with the weights of the torch layer `t` and their requires_grad."""
    params = dict(t.named_parameters())
    layer.load_state_dict({k: p.detach().cpu().double().numpy() for k, p in params.items()})
    layer.set_state_requires_grad({k: bool(p.requires_grad) for k, p in params.items()})
    return layer
