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


# -- save is atomic; load checks the headers first and names the file and the entry ----------

import io  # noqa: E402
import tracemalloc  # noqa: E402
import zipfile  # noqa: E402


def _failing_savez(after_bytes: int, error: BaseException):
    """A writer that writes `after_bytes` bytes of a real archive, then fails with `error`."""
    real = np.savez

    def savez(f, **arrays):
        buffer = io.BytesIO()
        real(buffer, **arrays)
        f.write(buffer.getvalue()[:after_bytes])
        raise error
    return savez


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_failed_save_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path, monkeypatch,
                                                                         error):
    path = tmp_path / "net.npz"
    good = TinyNet(seed=1)
    save(good, path)
    old_bytes = path.read_bytes()
    monkeypatch.setattr(np, "savez", _failing_savez(100, error))
    with pytest.raises(type(error)):
        save(TinyNet(seed=2), path)
    assert path.read_bytes() == old_bytes and os.listdir(tmp_path) == ["net.npz"]
    monkeypatch.undo()
    net = TinyNet(seed=3)
    load(net, path)  # still the good file
    _unchanged(net, good.state_dict())


def test_save_into_a_missing_folder_names_the_file_and_creates_nothing(tmp_path):
    path = tmp_path / "no" / "net.npz"
    with pytest.raises(FileNotFoundError) as e:
        save(TinyNet(), path)
    assert e.value.filename == str(path)
    assert os.listdir(tmp_path) == []


def test_saved_files_get_the_usual_permissions(tmp_path):
    path = tmp_path / "net.npz"
    save(TinyNet(), path)
    if os.name == "posix":
        mask = os.umask(0)
        os.umask(mask)
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask  # not mkstemp's 0600
        path.chmod(0o640)
        save(TinyNet(seed=1), path)  # a file saved again keeps its mode
        assert path.stat().st_mode & 0o777 == 0o640
    assert os.listdir(tmp_path) == ["net.npz"]


def _npz(path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)


def _npy_header(shape, descr="<f8") -> bytes:
    f = io.BytesIO()
    np.lib.format.write_array_header_1_0(f, {"descr": descr, "fortran_order": False,
                                             "shape": shape})
    return f.getvalue()


def _good_members() -> dict[str, bytes]:
    members = {}
    for name, value in TinyNet().state_dict().items():
        f = io.BytesIO()
        np.save(f, value)
        members[name + ".npy"] = f.getvalue()
    return members


def _refused(net: TinyNet, path, *fragments: str) -> None:
    before = net.state_dict()
    with pytest.raises(ValueError) as e:
        load(net, path)
    message = str(e.value)
    assert message.startswith(f"load: {str(path)!r}") and "Traceback" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    _unchanged(net, before)


@pytest.mark.parametrize("name, says", [("layers.0.weight", "(134217728,)"),
                                        ("layers.9.weight", "extra: layers.9.weight")])
def test_a_huge_declared_array_is_refused_from_its_header_without_reading_it(tmp_path, name,
                                                                              says):
    members = _good_members()
    members.pop(name + ".npy", None)
    # 1 GiB declared (2**27 float64); only 64 KiB of data behind the header
    members[name + ".npy"] = _npy_header((2 ** 27,)) + bytes(65536)
    path = tmp_path / "huge.npz"
    _npz(path, members)
    assert path.stat().st_size < 100_000
    tracemalloc.start()
    try:
        _refused(TinyNet(), path, name, says)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000  # a few KiB of headers were read, not 1 GiB


@pytest.mark.parametrize("damage, fragments", [
    ("empty file", ["is not a numpy .npz file"]),
    ("not a zip", ["is not a numpy .npz file"]),
    ("truncated", ["is not a numpy .npz file"]),
    ("corrupt member", ["layers.0.bias", "damaged"]),
    ("not an array", ["'notes.txt' is not an array"]),
    ("broken header", ["layers.0.bias", "no readable array header"]),
    ("short data", ["layers.0.bias", "damaged"]),
    ("complex numbers", ["not plain numbers: layers.0.bias (dtype complex128)"]),
    ("structured", ["not plain numbers: layers.0.bias"]),
    ("text", ["not plain numbers: layers.0.bias (dtype <U3)"]),
])
def test_every_damaged_file_gives_one_clear_error_naming_file_and_entry(tmp_path, damage,
                                                                       fragments):
    path = tmp_path / "weights.npz"
    members = _good_members()
    if damage == "empty file":
        path.write_bytes(b"")
    elif damage == "not a zip":
        path.write_bytes(b"hello, I am not an archive")
    elif damage == "truncated":
        save(TinyNet(), path)
        path.write_bytes(path.read_bytes()[:300])
    elif damage == "corrupt member":
        save(TinyNet(), path)
        data = bytearray(path.read_bytes())
        at = data.index(TinyNet().state_dict()["layers.0.bias"].tobytes())
        data[at] ^= 0xFF  # one byte of the array's data changed: its CRC no longer fits
        path.write_bytes(bytes(data))
    else:
        if damage == "not an array":
            members["notes.txt"] = b"hello"
        elif damage == "broken header":
            members["layers.0.bias.npy"] = b"\x93NUMPY\x01\x00\x10\x00{'descr': garbage"
        elif damage == "short data":
            members["layers.0.bias.npy"] = _npy_header((3,)) + bytes(8)
        elif damage == "complex numbers":
            members["layers.0.bias.npy"] = _npy_header((3,), "<c16") + bytes(48)
        elif damage == "structured":
            members["layers.0.bias.npy"] = _npy_header((3,), [("a", "<f8")]) + bytes(24)
        elif damage == "text":
            members["layers.0.bias.npy"] = _npy_header((3,), "<U3") + bytes(36)
        _npz(path, members)
    _refused(TinyNet(), path, *fragments)


def test_compressed_archives_load_too(tmp_path):
    a = TinyNet(seed=4)
    path = tmp_path / "small.npz"
    np.savez_compressed(path, **a.state_dict())
    b = TinyNet(seed=5)
    load(b, path)
    _unchanged(b, a.state_dict())


# -- frozen parameters (requires_grad=False): kept, saved, loaded frozen, as PyTorch keeps them --
def _frozen_cnn(seed: int):
    from tinygrad_edu import nn

    net = nn.Sequential(nn.Conv2d(1, 2, 3, seed=seed), nn.Sigmoid(), nn.Flatten(),
                        nn.Linear(8, 2, seed=seed + 1))
    net[0].requires_grad_(False)  # the convolution frozen, as a fine-tuner freezes a backbone
    net[3].bias.requires_grad = False
    return net


def test_frozen_parameters_are_kept_saved_and_loaded_frozen(tmp_path):
    from tinygrad_edu import nn

    net = _frozen_cnn(seed=1)
    assert list(net.state_dict()) == ["0.weight", "0.bias", "3.weight", "3.bias"]
    assert len(net.parameters()) == 4
    flags = {"0.weight": False, "0.bias": False, "3.weight": True, "3.bias": False}
    assert net.state_requires_grad() == flags
    path = tmp_path / "frozen.npz"
    save(net, path)
    with np.load(path, allow_pickle=False) as z:  # still one array per entry, frozen ones too
        assert sorted(z.files) == sorted(flags)
    fresh = nn.Sequential(nn.Conv2d(1, 2, 3, seed=7), nn.Sigmoid(), nn.Flatten(),
                          nn.Linear(8, 2, seed=8))  # every parameter trainable
    load(fresh, path)
    for name, array in net.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[name], array)
    assert fresh.state_requires_grad() == flags
    assert fresh[0].weight.requires_grad is False and fresh[3].weight.requires_grad is True
    # and back: a file of trainable weights unfreezes a frozen model
    fresh.requires_grad_(True)
    save(fresh, path)
    frozen = _frozen_cnn(seed=3)
    load(frozen, path)
    assert all(frozen.state_requires_grad().values())


def test_frozen_parameters_train_not_and_the_rest_train():
    from tinygrad_edu import Tensor
    from tinygrad_edu.optim import SGD

    net = _frozen_cnn(seed=2)
    before = net.state_dict()
    opt = SGD(net.parameters(), lr=0.5)
    x = Tensor(np.random.default_rng(0).standard_normal((4, 1, 4, 4)))
    (net(x) ** 2).sum().backward()
    opt.step()
    after = net.state_dict()
    for name, trained in net.state_requires_grad().items():
        assert np.array_equal(before[name], after[name]) != trained, name


def test_a_scalar_network_keeps_its_frozen_values(tmp_path):
    from tinygrad_edu.book.network import demon_network

    net = demon_network("scalar", init="book-4-4")
    for neuron in net.layers[1].neurons:
        neuron.b.requires_grad = False
    path = tmp_path / "demon.npz"
    save(net, path)
    fresh = demon_network("scalar", init="random", seed=5)
    load(fresh, path)
    assert fresh.state_requires_grad() == {"layers.0.weight": True, "layers.0.bias": True,
                                           "layers.1.weight": True, "layers.1.bias": False}
    np.testing.assert_array_equal(fresh.state_dict()["layers.1.bias"],
                                  net.state_dict()["layers.1.bias"])


def test_a_file_naming_an_unknown_frozen_entry_is_refused(tmp_path):
    from tinygrad_edu import nn

    path = tmp_path / "net.npz"
    save(nn.Linear(2, 2, seed=0), path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.comment = b"tinygrad_edu frozen: weight nothere"
    net = nn.Linear(2, 2, seed=1)
    before = net.state_dict()
    with pytest.raises(ValueError, match="names nothere frozen, which the module does not"):
        load(net, path)
    for name, array in before.items():
        np.testing.assert_array_equal(net.state_dict()[name], array)
    assert net.weight.requires_grad


# -- a killed save leaves no temporary file for good ---------------------------------------------
_KILLED_MID_SAVE = """
import sys, time
import numpy as np
from tinygrad_edu import nn

def half_written(f, **arrays):  # np.savez that stops half-way, as a SIGKILL would stop it
    f.write(b"PK\\x03\\x04 half an archive")
    f.flush()
    print("writing", flush=True)
    time.sleep(120)

np.savez = half_written
nn.save(nn.Linear(3, 2, seed=0), sys.argv[1])
"""


def _temporary_files(folder) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


@pytest.mark.skipif(not hasattr(os, "fork") or os.name != "posix", reason="SIGKILL is POSIX")
def test_a_save_killed_by_sigkill_leaves_a_temporary_file_the_next_save_removes(tmp_path):
    import signal
    import subprocess
    import sys

    from tinygrad_edu import nn

    path = tmp_path / "net.npz"
    save(nn.Linear(3, 2, seed=1), path)
    old = path.read_bytes()
    import tinygrad_edu

    root = os.path.dirname(os.path.dirname(os.path.abspath(tinygrad_edu.__file__)))
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    child = subprocess.Popen([sys.executable, "-c", _KILLED_MID_SAVE, str(path)],
                             stdout=subprocess.PIPE, env=env)
    try:
        assert child.stdout is not None and child.stdout.readline() == b"writing\n"
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    left = _temporary_files(tmp_path)
    assert len(left) == 1 and left[0].startswith(".net.npz.")  # what the kill left behind
    assert path.read_bytes() == old  # the old file untouched
    save(nn.Linear(3, 2, seed=2), path)  # the next save of that path cleans it up
    assert os.listdir(tmp_path) == ["net.npz"]
    net = nn.Linear(3, 2, seed=3)
    load(net, path)
    np.testing.assert_array_equal(net.weight.data, nn.Linear(3, 2, seed=2).weight.data)


def test_a_stale_temporary_file_goes_and_a_live_one_or_another_paths_stays(tmp_path):
    from tinygrad_edu.atomic import atomic_target, write_atomic

    path = tmp_path / "net.npz"
    stale = tmp_path / ".net.npz.abc123_x.tmp"  # as mkstemp names them; nobody holds it
    other = tmp_path / ".net.npz.old.k2j4h5g6.tmp"  # a temporary file of "net.npz.old"
    stale.write_bytes(b"left by a killed save")
    other.write_bytes(b"another path's")
    with atomic_target(path) as live:  # a write of the same path under way holds its file
        write_atomic(path, b"first")
        assert os.path.exists(live) and not stale.exists() and other.exists()
        with open(live, "wb") as f:
            f.write(b"second")
    assert path.read_bytes() == b"second"
    assert sorted(os.listdir(tmp_path)) == [other.name, "net.npz"]
