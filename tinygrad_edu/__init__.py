"""tinygrad_edu: the mathematics of deep learning (Wakui & Wakui), made to run on numpy.

Public names only: the core is `engine/` (read in the order its docstring gives), the tools
that watch it are `tools/`.
"""

__version__ = "0.1.0"

from .engine import (Function, backward, enable_grad, grad, is_grad_enabled, no_grad, recording,
                     topological_order, weighted_input)
from .engine.graph import backward_order
from .habits import Tensor, Value, set_grad_enabled
from .tensor_ops import concatenate
from .tools import (AnomalyError, GradcheckError, GraphReport, OpCheck, Scope, check_graph,
                    detect_anomaly, gradcheck, gradgradcheck, name_scope, numerical_gradient,
                    record_sites)

# PyTorch's habits on top of the engine: factories, ops as functions, the seeded generator, and
# the sub-packages a `import tinygrad_edu as tg` user reaches as tg.nn, tg.optim (after the
# names above, which they import from here)
from .factories import (arange, eye, float32, float64, from_numpy, full, full_like, linspace,
                        ones, ones_like, rand, rand_like, randn, randn_like, zeros, zeros_like)
from .functional import (cat, exp, log, log_softmax, matmul, relu, sigmoid, softmax, stack, tanh,
                         where)
from .random import manual_seed
from . import data, losses, nn, optim  # after the names above, which they import

Context = Function  # what PyTorch calls ctx: here the op's Function instance, its record

__all__ = [
    "__version__", "Value", "Tensor", "weighted_input", "Function", "Context", "backward", "grad",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "name_scope", "Scope",
    "detect_anomaly", "AnomalyError", "gradcheck", "GradcheckError", "concatenate", "stack",
    "where", "gradgradcheck", "numerical_gradient", "check_graph", "GraphReport", "OpCheck",
    "record_sites", "recording", "backward_order", "topological_order",
    "zeros", "ones", "full", "eye", "arange", "linspace", "randn", "rand", "zeros_like",
    "ones_like", "full_like", "randn_like", "rand_like", "from_numpy", "float32", "float64",
    "exp", "log", "sigmoid", "tanh", "relu", "softmax", "log_softmax", "matmul", "cat",
    "manual_seed", "nn", "optim", "data", "losses",
]
