"""tinygrad_edu: the mathematics of deep learning, made to run."""

__version__ = "0.1.0"
