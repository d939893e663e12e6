"""data.DataLoader: every example once per epoch, in seeded minibatches, as PyTorch's loop reads."""

import numpy as np
import pytest

from tinygrad_edu import Tensor
from tinygrad_edu.book.network import demon_network
from tinygrad_edu.data import DataLoader, TensorDataset
from tinygrad_edu.datasets import book_digits_4x3
from tinygrad_edu.losses import squared_error
from tinygrad_edu.optim import SGD

X = np.arange(20.0).reshape(10, 2)
T = np.arange(10)


def epoch(loader):
    return [(x.copy(), t.copy()) for x, t in loader]


def test_batches_in_order_without_shuffle():
    loader = DataLoader(X, T, batch_size=4)
    batches = epoch(loader)
    assert len(loader) == len(batches) == 3
    assert [t.tolist() for _, t in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    np.testing.assert_array_equal(batches[1][0], X[4:8])
    assert len(DataLoader(X, T, batch_size=4, drop_last=True)) == 2
    assert [t.tolist() for _, t in DataLoader(X, T, batch_size=4, drop_last=True)] == [
        [0, 1, 2, 3], [4, 5, 6, 7]]


def test_shuffle_covers_every_example_once_and_the_seed_repeats_it():
    a = DataLoader(X, T, batch_size=3, shuffle=True, seed=7)
    b = DataLoader(TensorDataset(X, T), batch_size=3, shuffle=True, seed=7)
    first, second = epoch(a), epoch(a)
    for batches in (first, second):
        order = np.concatenate([t for _, t in batches])
        assert sorted(order.tolist()) == list(range(10))
        for x, t in batches:  # inputs and targets stay paired
            np.testing.assert_array_equal(x, X[t])
    assert [t.tolist() for _, t in first] != [t.tolist() for _, t in second]  # a new order
    assert [t.tolist() for _, t in first] == [t.tolist() for _, t in epoch(b)]
    assert [t.tolist() for _, t in second] == [t.tolist() for _, t in epoch(b)]
    other = epoch(DataLoader(X, T, batch_size=3, shuffle=True, seed=8))
    assert [t.tolist() for _, t in first] != [t.tolist() for _, t in other]


def test_one_array_gives_arrays_and_tensors_are_read():
    batches = list(DataLoader(Tensor(X), batch_size=5))
    assert [b.shape for b in batches] == [(5, 2), (5, 2)]
    np.testing.assert_array_equal(batches[0], X[:5])


def test_refuses_what_does_not_fit():
    with pytest.raises(ValueError, match="same first dimension"):
        DataLoader(X, T[:9])
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(X, batch_size=0)
    with pytest.raises(ValueError, match="at least one array"):
        DataLoader()


def test_minibatch_training_of_the_demon_network():
    """Minibatches of 16 of the book's 64 images: the cost falls, and a full batch is §3-5's."""
    Xb, Tb = book_digits_4x3(one_hot=True)
    net = demon_network("tensor", init="book-4-4")
    opt = SGD(net.parameters(), lr=0.2)
    start = float(squared_error(net(Xb), Tb).data)
    loader = DataLoader(Xb, Tb, batch_size=16, shuffle=True, seed=0)
    for _ in range(20):
        for x, t in loader:
            opt.zero_grad()
            squared_error(net(x), t).backward()
            opt.step()
    assert float(squared_error(net(Xb), Tb).data) < 0.5 * start


@pytest.mark.parametrize("drop_last", [False, True])
def test_without_shuffle_the_batches_are_torchs(drop_last):
    torch = pytest.importorskip("torch")
    ours = list(DataLoader(TensorDataset(X, T), batch_size=4, drop_last=drop_last))
    theirs = list(torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(T)), batch_size=4,
        drop_last=drop_last))
    assert len(ours) == len(theirs)
    for (x, t), (tx, tt) in zip(ours, theirs):
        np.testing.assert_array_equal(x, tx.numpy())
        np.testing.assert_array_equal(t, tt.numpy())
