"""Output paths of every command: an impossible --out, --render, --play or
--json is refused in one line with exit code 2 before any training; a write that fails
afterwards is one line too; --json is written atomically and never creates folders."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_edu.atomic import atomic_target
from tinygrad_edu.cli import cnn as cnn_cli
from tinygrad_edu.cli import digits as digits_cli
from tinygrad_edu.cli import main
from tinygrad_edu.cli import options

ROOT = Path(__file__).resolve().parents[2]
QUICK = {"cnn": ["--steps", "1", "--quiet"], "digits": ["--epochs", "1", "--quiet"],
         "demon": ["--steps", "1", "--quiet"]}
FOLDER_OPTIONS = {"cnn": ["--out", "--render", "--play"], "digits": ["--out"],
                  "demon": ["--out", "--render", "--play"]}


@pytest.fixture
def no_training(monkeypatch):
    """Any training started makes the test fail: the paths must be refused before it."""
    import tinygrad_edu.book.network as network

    def trained(*args, **kwargs):
        raise AssertionError("training started before the paths were checked")

    monkeypatch.setattr(cnn_cli, "gradient_descent", trained)
    monkeypatch.setattr(digits_cli, "load_digits", trained)
    monkeypatch.setattr(network, "train", trained)


def one_line_error(capsys, *fragments: str) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "error" in lines[0] and "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def bad_paths(tmp_path: Path) -> dict[str, tuple[str, str]]:
    """kind -> (path, what the message says)."""
    a_file = tmp_path / "a_file"
    a_file.write_text("keep me")
    return {"folder is a file": (str(a_file), "not a folder"),
            "folder inside a file": (str(a_file / "sub"), "is a file")}


@pytest.mark.parametrize("command", ["cnn", "digits", "demon"])
def test_impossible_folders_are_refused_before_training(command, tmp_path, capsys, no_training):
    for option in FOLDER_OPTIONS[command]:
        for path, says in bad_paths(tmp_path).values():
            assert main([command, *QUICK[command], option, path]) == 2
            one_line_error(capsys, option, path, says)
    assert (tmp_path / "a_file").read_text() == "keep me"


@pytest.mark.parametrize("command", ["cnn", "digits", "demon"])
def test_impossible_json_files_are_refused_before_training(command, tmp_path, capsys,
                                                           no_training):
    missing = tmp_path / "missing" / "x.json"
    assert main([command, *QUICK[command], "--json", str(missing)]) == 2
    one_line_error(capsys, "--json", "does not exist")
    assert not missing.parent.exists()  # no folder made behind the user's back
    assert main([command, *QUICK[command], "--json", str(tmp_path)]) == 2
    one_line_error(capsys, "--json", "is a folder")
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    assert main([command, *QUICK[command], "--json", str(a_file / "x.json")]) == 2
    one_line_error(capsys, "--json", "does not exist")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs POSIX permissions and a user that is not root")
def test_a_read_only_folder_is_refused(tmp_path, capsys, no_training):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert main(["cnn", "--quiet", "--json", str(folder / "x.json")]) == 2
        one_line_error(capsys, "not writable")
        assert main(["cnn", "--quiet", "--out", str(folder / "pics")]) == 2
        one_line_error(capsys, "not writable")
    finally:
        folder.chmod(0o700)


def test_a_failed_json_write_is_one_line_and_keeps_the_old_file(tmp_path, capsys, monkeypatch):
    out = tmp_path / "run.json"
    out.write_text('{"old": true}\n')
    real = options.write_atomic

    def disk_full(path, text):  # the disk fills up after the first 10 bytes
        with atomic_target(path) as tmp, open(tmp, "w") as f:
            f.write(text[:10])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(options, "write_atomic", disk_full)
    assert main(["cnn", "--steps", "0", "--quiet", "--json", str(out)]) == 2
    one_line_error(capsys, "--json", "No space left on device")
    assert json.loads(out.read_text()) == {"old": True}
    assert os.listdir(tmp_path) == ["run.json"]  # no temporary file left behind
    monkeypatch.setattr(options, "write_atomic", real)
    assert main(["cnn", "--steps", "0", "--quiet", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["steps"] == 0


@pytest.mark.parametrize("option", ["--out", "--render"])
def test_a_failed_picture_or_drawing_is_one_line(option, tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    import tinygrad_edu.book.ch5_pictures as pictures
    import tinygrad_edu.viz as viz

    def fails(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "x.png"))

    monkeypatch.setattr(pictures, "save_pictures", fails)
    monkeypatch.setattr(viz, "render", fails)
    assert main(["cnn", "--steps", "0", "--quiet", option, str(tmp_path / "pics")]) == 2
    one_line_error(capsys, option, "Permission denied")


@pytest.mark.parametrize("value", ["0", "-3"])
def test_epochs_below_one_get_the_same_message(value, capsys):
    assert main(["digits", "--epochs", value]) == 2
    one_line_error(capsys, f"must be 1 or more, got {value}")


def test_a_real_process_prints_one_line_and_exits_2(tmp_path):
    missing = tmp_path / "missing" / "x.json"
    done = subprocess.run([sys.executable, "-m", "tinygrad_edu", "cnn", "--json", str(missing)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == (f"python -m tinygrad_edu cnn: error: --json {missing}: folder "
                                   f"{missing.parent} does not exist; create it first or give "
                                   "another path")
