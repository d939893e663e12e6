"""tinygrad_edu: the mathematics of deep learning (Wakui & Wakui), made to run on numpy.

Public names only; each lives in a module with one job (the README's Layout section maps them).
"""

__version__ = "0.1.0"

from .autograd import (AnomalyError, Context, Function, Scope, backward, backward_order,
                       detect_anomaly, enable_grad, grad, is_grad_enabled, name_scope, no_grad,
                       record_sites, recording, topological_order)
from .checks import GradcheckError, gradcheck, gradgradcheck, numerical_gradient
from .graphcheck import GraphReport, OpCheck, check_graph
from .random import manual_seed
from .tensor import Tensor, concatenate, stack
from .value import Value, weighted_input

__all__ = [
    "__version__", "Value", "Tensor", "weighted_input", "Function", "Context", "backward", "grad",
    "no_grad",
    "enable_grad", "is_grad_enabled", "name_scope", "Scope", "detect_anomaly", "AnomalyError",
    "gradcheck", "GradcheckError", "concatenate", "stack", "gradgradcheck", "numerical_gradient",
    "check_graph",
    "GraphReport", "OpCheck", "record_sites", "recording", "backward_order",
    "topological_order", "manual_seed",
]
