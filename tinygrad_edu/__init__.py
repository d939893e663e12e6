"""tinygrad_edu: the mathematics of deep learning (Wakui & Wakui), made to run on numpy.

Public names only: the core is `engine/` (read in the order its docstring gives), the tools
that watch it are `tools/`.
"""

__version__ = "0.1.0"

from .engine import (Function, Tensor, Value, backward, concatenate, enable_grad, grad,
                     is_grad_enabled, no_grad, recording, set_grad_enabled, stack,
                     topological_order, weighted_input, where)
from .engine.graph import backward_order
from .random import manual_seed
from .tools import (AnomalyError, GradcheckError, GraphReport, OpCheck, Scope, check_graph,
                    detect_anomaly, gradcheck, gradgradcheck, name_scope, numerical_gradient,
                    record_sites)

Context = Function  # what PyTorch calls ctx: here the op's Function instance, its record

__all__ = [
    "__version__", "Value", "Tensor", "weighted_input", "Function", "Context", "backward", "grad",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "name_scope", "Scope",
    "detect_anomaly", "AnomalyError", "gradcheck", "GradcheckError", "concatenate", "stack",
    "where", "gradgradcheck", "numerical_gradient", "check_graph", "GraphReport", "OpCheck",
    "record_sites", "recording", "backward_order", "topological_order", "manual_seed",
]
