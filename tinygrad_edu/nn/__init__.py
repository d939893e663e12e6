"""Networks on both engines: `Module`, `Parameter`, the book's `Neuron`, `Layer`, `Linear`, `MLP`.

The nn contract: a module's `state_dict()` names and shapes are the same on
the scalar and the tensor engine, so the same weights give the same outputs on both.
"""

from .saving import load, save
from .activations import ACTIVATIONS, activate
from .conv import Conv2d, Flatten, MaxPool2d, Sequential
from .linear import Linear
from .mlp import ENGINES, MLP
from .module import Module
from .parameter import Parameter
from .scalar import Layer, Neuron

__all__ = ["Module", "Parameter", "Neuron", "Layer", "Linear", "MLP", "ENGINES", "ACTIVATIONS",
           "activate", "Conv2d", "MaxPool2d", "Flatten", "Sequential", "save", "load"]
