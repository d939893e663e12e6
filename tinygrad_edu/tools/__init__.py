"""Tools that read the engine's graph without changing it: gradient checks (checks.py,
check_graph.py) and tracing (trace.py: name scopes, call sites, anomaly mode)."""

from .check_graph import GraphReport, OpCheck, check_graph
from .checks import GradcheckError, gradcheck, gradgradcheck, numerical_gradient
from .trace import AnomalyError, Scope, detect_anomaly, name_scope, record_sites

__all__ = ["GraphReport", "OpCheck", "check_graph", "GradcheckError", "gradcheck",
           "gradgradcheck", "numerical_gradient", "AnomalyError", "Scope", "detect_anomaly",
           "name_scope", "record_sites"]
