"""save/load of parameters in .npz: round trip, refusals that name the culprit, no pickle."""

from __future__ import annotations

import os

import numpy as np
import pytest

from tinygrad_edu.nn.saving import load, save


class TinyNet:
    """A stand-in for nn.Module: the contract's state_dict / load_state_dict, 2-3-1 sized."""

    def __init__(self, seed: int = 0, hidden: int = 3) -> None:
        rng = np.random.default_rng(seed)
        self.params = {"layers.0.weight": rng.standard_normal((hidden, 2)),
                       "layers.0.bias": rng.standard_normal(hidden),
                       "layers.1.weight": rng.standard_normal((1, hidden)),
                       "layers.1.bias": rng.standard_normal(1)}

    def state_dict(self) -> dict[str, np.ndarray]:
        return {k: v.astype(np.float64).copy() for k, v in self.params.items()}

    def load_state_dict(self, d: dict[str, np.ndarray]) -> None:
        if set(d) != set(self.params):
            raise ValueError("keys differ")
        for k, v in d.items():
            self.params[k][...] = v


def test_round_trip_is_exact(tmp_path):
    a, b = TinyNet(seed=1), TinyNet(seed=2)
    path = tmp_path / "net.npz"
    save(a, path)
    assert path.exists()
    with np.load(path, allow_pickle=False) as z:  # one array per entry, under its name
        assert sorted(z.files) == sorted(a.state_dict())
        assert z["layers.0.weight"].shape == (3, 2)
    load(b, path)
    for k, v in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[k], v)


def test_path_is_kept_as_given(tmp_path):
    path = tmp_path / "weights.bin"
    save(TinyNet(), str(path))
    assert os.listdir(tmp_path) == ["weights.bin"]  # np.savez would have added .npz
    load(TinyNet(seed=5), path)


def _unchanged(net: TinyNet, before: dict[str, np.ndarray]) -> None:
    for k, v in before.items():
        np.testing.assert_array_equal(net.state_dict()[k], v)


def test_missing_extra_and_misshaped_are_named_and_module_unchanged(tmp_path):
    good = TinyNet(seed=1).state_dict()
    bad = dict(good)
    del bad["layers.1.bias"]
    bad["layers.2.weight"] = np.ones((2, 2))
    bad["layers.0.weight"] = np.ones((2, 3))
    path = tmp_path / "bad.npz"
    np.savez(path, **bad)
    net = TinyNet(seed=7)
    before = net.state_dict()
    with pytest.raises(ValueError) as e:
        load(net, path)
    msg = str(e.value)
    assert "missing: layers.1.bias" in msg
    assert "extra: layers.2.weight" in msg
    assert "mis-shaped: layers.0.weight (file (2, 3), module (3, 2))" in msg
    _unchanged(net, before)


def test_a_bigger_network_is_refused(tmp_path):
    path = tmp_path / "big.npz"
    save(TinyNet(hidden=4), path)
    net = TinyNet(hidden=3)
    before = net.state_dict()
    with pytest.raises(ValueError, match=r"layers.0.weight \(file \(4, 2\), module \(3, 2\)\)"):
        load(net, path)
    _unchanged(net, before)


class _Trap:
    """Unpickling this would create a file: proof that loading ran code from the file."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_pickled_objects_are_refused_without_running_them(tmp_path):
    target = tmp_path / "pwned"
    state = TinyNet().state_dict()
    state["layers.0.weight"] = np.array([_Trap(str(target))], dtype=object)
    path = tmp_path / "evil.npz"
    np.savez(path, **state)  # object arrays are pickled inside the archive
    net = TinyNet(seed=3)
    before = net.state_dict()
    with pytest.raises(ValueError, match="layers.0.weight.*not plain numbers"):
        load(net, path)
    assert not target.exists()
    _unchanged(net, before)


def test_a_raw_pickle_file_is_refused(tmp_path):
    import pickle

    target = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps(_Trap(str(target))))
    with pytest.raises(ValueError, match="not a numpy .npz file"):
        load(TinyNet(), path)
    assert not target.exists()


def test_a_single_npy_array_is_refused(tmp_path):
    path = tmp_path / "one.npy"
    np.save(path, np.ones(3))
    with pytest.raises(ValueError, match="single array"):
        load(TinyNet(), path)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(TinyNet(), tmp_path / "nope.npz")


@pytest.mark.parametrize("engine", ["scalar", "tensor"])
def test_round_trip_on_the_demon_mlp(tmp_path, engine):
    nn = pytest.importorskip("tinygrad_edu.nn")
    a = nn.MLP([12, 3, 2], engine=engine, seed=1)
    b = nn.MLP([12, 3, 2], engine=engine, seed=2)
    path = tmp_path / "demon.npz"
    save(a, path)
    load(b, path)
    for k, v in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[k], v)
    wider = nn.MLP([12, 4, 2], engine=engine)
    before = wider.state_dict()
    with pytest.raises(ValueError, match=r"layers.0.weight \(file \(3, 12\), module \(4, 12\)\)"):
        load(wider, path)
    _unchanged(wider, before)
