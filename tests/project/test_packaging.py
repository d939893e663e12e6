"""The wheel and the sdist, built and installed into fresh virtual environments as a user would:
the command line runs from each, and the sdist's own tests pass against the installed package.

Slow (a few minutes: two venvs, their installs, the quick tests once more).  pip uses the
machine's own configuration (a local find-links folder or PyPI); nothing here installs torch.
"""

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: set in the processes this test starts, so the sdist's copy of this test does not run again
NESTED = "TINYGRAD_EDU_PACKAGING_TEST"
#: what the sdist must carry beside the package (the folders as git tracks them, see below)
FOLDERS = ["tests", "demos", "docs", "benchmarks", "scripts", "notebooks"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(os.environ.get(NESTED)), reason="already inside the packaging test"),
    pytest.mark.skipif(not (ROOT / "pyproject.toml").exists(), reason="needs the source tree"),
]


def run(*cmd, cwd=None, timeout=1200):
    """Run a command with this test's marker set; return its output, failing with it shown."""
    env = {**os.environ, NESTED: "1"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{output[-4000:]}"
    return done.stdout, output


def source_files():
    """The files of the source tree: as git tracks them (with new, unignored ones), or all."""
    if shutil.which("git") and (ROOT / ".git").exists():
        listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout.split("\n")
        return [f for f in listed if f and (ROOT / f).is_file()]
    return [str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file()
            and not {".venv", ".git", "__pycache__"} & set(p.parts)]


def setuptools_warnings(output):
    """The warnings the build printed about our configuration (not pip's about the machine's
    index settings, nor byte-compiling switched off by PYTHONDONTWRITEBYTECODE)."""
    lines = [line for line in output.splitlines() if re.search(r"warn", line, re.I)]
    return [line for line in lines if "byte-compiling is disabled" not in line
            and not re.search(r"WARNING: Location .* is ignored", line)]


def seconds(output):
    """The output with its timings blanked ("(0.04 s)" -> "(# s)"): they differ between runs."""
    return re.sub(r"\d+(\.\d+)? ?(s|ms|µs)\b", "# s", output)


def fresh_venv(path):
    run(sys.executable, "-m", "venv", path)  # no --system-site-packages: nothing from here
    return Path(path) / "bin" / "python"


class Built(NamedTuple):
    wheel: Path
    sdist: Path
    output: str  # what the build printed
    files: list[str]  # the source tree's files it was built from


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """The wheel and the sdist, built from a copy of the source tree."""
    work = tmp_path_factory.mktemp("packaging")
    src = work / "src"
    files = source_files()
    for name in files:
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, src / name)
    out = work / "dist"
    try:
        import build  # noqa: F401
        _, output = run(sys.executable, "-m", "build", "--outdir", out, src)  # sdist, then
    except ImportError:  # the wheel from it
        _, output = run(sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", out, src)
        _, more = run(sys.executable, "-c", "from setuptools.build_meta import build_sdist; "
                      f"build_sdist({str(out)!r})", cwd=src)
        output += more
    (wheel,), (sdist,) = out.glob("*.whl"), out.glob("*.tar.gz")
    return Built(wheel, sdist, output, files)


def test_the_build_prints_no_setuptools_warnings(dist):
    assert setuptools_warnings(dist.output) == []


def test_the_wheel_carries_the_data_the_types_and_the_command(dist):
    names = zipfile.ZipFile(dist.wheel).namelist()
    assert "tinygrad_edu/py.typed" in names
    assert "tinygrad_edu/datasets/data/digits_4x3.csv" in names
    assert "tinygrad_edu/datasets/data/SOURCE.md" in names
    assert not [n for n in names if n.startswith(("tests/", "demos/")) or "__pycache__" in n]
    meta = zipfile.ZipFile(dist.wheel)
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "tinygrad-edu = tinygrad_edu.cli:main" in meta.read(entry).decode()
    metadata = meta.read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert "Project-URL: Source" in metadata and "License-File: LICENSE" in metadata
    assert "License-Expression: MIT" in metadata and "Requires-Python: >=3.10" in metadata
    for language in ("English", "Chinese (Simplified)", "Japanese"):
        assert f"Classifier: Natural Language :: {language}" in metadata
    assert "Classifier: License ::" not in metadata  # the expression says it (PEP 639)
    assert "Requires-Dist: torch>=2.1; extra == \"torch\"" in metadata


def test_the_sdist_carries_tests_demos_docs_benchmarks_and_scripts(dist):
    with tarfile.open(dist.sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for name in ["LICENSE", "README.md", "README.zh.md", "README.ja.md", "Makefile",
                 "tests/conftest.py", "docs/pytorch.md", "benchmarks/README.md",
                 "scripts/install-torch-oracle.sh", "tinygrad_edu/datasets/data/digits_6x6.csv",
                 "tinygrad_edu/py.typed"]:
        assert name in names, name
    tracked = [f for f in dist.files if f.split("/", 1)[0] in FOLDERS]
    assert [f for f in tracked if f not in names] == []  # MANIFEST.in covers every file
    assert not [n for n in names if n.endswith((".pyc", ".png", ".svg", ".gv"))]


def test_the_wheel_installs_and_its_command_runs(dist, tmp_path):
    python = fresh_venv(tmp_path / "venv")
    run(python, "-m", "pip", "install", dist.wheel)
    command, _ = run(python.parent / "tinygrad-edu", "demon", "--steps", "5", "--quiet")
    module, _ = run(python, "-m", "tinygrad_edu", "demon", "--steps", "5", "--quiet")
    assert "C_T" in command
    assert seconds(command) == seconds(module)  # the same command under both names
    usage, _ = run(python.parent / "tinygrad-edu", "--help")
    assert usage.startswith("usage: tinygrad-edu ")  # its own name, not python -m's
    run(python, "-c", "import tinygrad_edu.interop")  # importable without torch


def test_the_sdist_installs_and_its_tests_pass(dist, tmp_path):
    python = fresh_venv(tmp_path / "venv")
    run(python, "-m", "pip", "install", f"{dist.sdist}[test]")
    with tarfile.open(dist.sdist) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    (tree,) = (tmp_path / "unpacked").iterdir()
    # the tests read and import the installed package: the tree's copy becomes a link to it
    installed, _ = run(python, "-c", "import tinygrad_edu, os; "
                       "print(os.path.dirname(tinygrad_edu.__file__))", cwd=tmp_path)
    shutil.rmtree(tree / "tinygrad_edu")
    (tree / "tinygrad_edu").symlink_to(installed.strip(), target_is_directory=True)
    out, _ = run(python.parent / "tinygrad-edu", "demon", "--steps", "5", "--quiet", cwd=tree)
    assert "C_T" in out
    out, _ = run(python, "-m", "pytest", "-q", "-x", "-m", "not slow", "-p", "no:cacheprovider",
                 cwd=tree)
    assert re.search(r"\d+ passed", out) and "failed" not in out
