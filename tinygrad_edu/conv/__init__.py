"""Chapter 5's two new layers in one place: convolution and max pooling (§5-2..§5-6).

- `kernels`: the numpy kernels, forward and backward on plain arrays (im2col: every window at once);
- `functions`: the derivative rules, `Conv2d` and `MaxPool2d`, two `Function`s over the kernels
  and their function forms `conv2d` and `max_pool2d`.

The layers as modules are `nn.Conv2d` and `nn.MaxPool2d` (tinygrad_edu/nn/conv.py).
"""

from .functions import Conv2d, MaxPool2d, conv2d, max_pool2d
from .kernels import (conv2d_backward, conv2d_forward, max_pool2d_backward,
                      max_pool2d_forward)

__all__ = ["Conv2d", "MaxPool2d", "conv2d", "max_pool2d", "conv2d_forward", "conv2d_backward",
           "max_pool2d_forward", "max_pool2d_backward"]
