"""Networks on both engines: `Module`, `Parameter`, the book's `Neuron`, `Layer`, `Linear`, `MLP`.

The nn contract: a module's `state_dict()` names and shapes are the same on
the scalar and the tensor engine, so the same weights give the same outputs on both.
PyTorch's habits: activation modules (`ReLU`, `Sigmoid`, `Tanh`, `Softmax`, ...), loss modules
(`MSELoss`, `CrossEntropyLoss`, `BCELoss`), `ModuleList`, `Dropout`, `Identity`, the functions of
`nn.functional` and `nn.init`, `clip_grad_norm_` and `summary(module, input_shape)` (see
docs/pytorch.md).
"""

from . import functional, init, utils
from .activations import ACTIVATIONS, Activation, Hardtanh, LeakyReLU, ReLU, Sigmoid, Tanh, activate
from .containers import Identity, ModuleList
from .conv import Conv2d, Flatten, MaxPool2d, Sequential
from .dropout import Dropout
from .linear import Linear
from .loss import BCELoss, CrossEntropyLoss, MSELoss
from .mlp import ENGINES, MLP
from .module import Module
from .parameter import Parameter
from .saving import load, save
from .scalar import Layer, Neuron
from .softmax import Softmax
from .summary import summary
from .utils import clip_grad_norm_

__all__ = ["Module", "Parameter", "Neuron", "Layer", "Linear", "MLP", "ENGINES", "ACTIVATIONS",
           "activate", "Conv2d", "MaxPool2d", "Flatten", "Sequential", "save", "load",
           "Activation", "ReLU", "Sigmoid", "Tanh", "LeakyReLU", "Hardtanh", "MSELoss",
           "CrossEntropyLoss", "summary", "Softmax", "BCELoss", "ModuleList", "Identity",
           "Dropout", "clip_grad_norm_", "functional", "init", "utils"]
