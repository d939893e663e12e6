"""Bad input gets a clear error at the call that caused it, naming the op and shapes."""
import numpy as np
import pytest

from tinygrad_edu import Tensor, Value


@pytest.mark.parametrize("bad, words", [("abc", "str 'abc'"), (None, "NoneType"),
                                        ([1.0, 2.0], "list"), (np.ones(2), "shape (2,)"),
                                        (1 + 2j, "complex")])
def test_value_of_non_numbers(bad, words):
    with pytest.raises(TypeError, match="Value") as e:
        Value(bad)
    assert words in str(e.value)


@pytest.mark.parametrize("bad, words", [(["a", "b"], "strings"), ([1.0, None], "NoneType"),
                                        ([object()], "object"), ([1j], "complex")])
def test_tensor_of_non_numbers(bad, words):
    with pytest.raises(TypeError, match="Tensor") as e:
        Tensor(bad)
    assert words in str(e.value)


def test_ragged_lists():
    with pytest.raises(ValueError, match="rectangular"):
        Tensor([[1.0, 2.0], [3.0]])


def test_value_with_a_string_operand():
    with pytest.raises(TypeError, match="mul: a Value can only be combined"):
        Value(1.0) * "2"


def test_matmul_mismatch_names_op_and_both_shapes():
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones((4, 5)))
    with pytest.raises(ValueError) as e:
        a @ b
    msg = str(e.value)
    assert msg.startswith("matmul:") and "(2, 3)" in msg and "(4, 5)" in msg


def test_broadcast_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"add: .*\(3, 2\), \(3, 3\)"):
        Tensor(np.ones((3, 2))) + Tensor(np.ones((3, 3)))


def test_backward_of_a_non_scalar_without_gradient():
    y = Tensor(np.ones((3, 2)), requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"shape \(3, 2\).*\.sum\(\)"):
        y.backward()


def test_backward_gradient_of_wrong_shape():
    y = Tensor(np.ones((3, 2)), requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"gradient has shape \(2, 3\).*shape \(3, 2\)"):
        y.backward(np.ones((2, 3)))


def test_reshape_and_axis_errors():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"reshape.*\(2, 3\).*\(4, 2\)"):
        x.reshape(4, 2)
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        x.sum(axis=2)
