"""Every command and code block in README.md, its translations README.zh.md and README.ja.md, and
docs/*.md runs, so the docs cannot drift; the translations carry the English README's sections
and, block by block, its commands.

A fenced block's first word says what it is: `python` runs (the blocks of one file in order, in
one namespace, as a reader would run them), `sh` runs its command lines in order (`python -m
tinygrad_edu ...` and the installed `tinygrad-edu ...` in-process through the command line's `main`, `python demos/NAME.py ...`
through the demo's `main`), `text` is not run, and a `norun` word after the language keeps a
block from running (`sh norun` for `make test`).  A block without a language fails: give it one.
Everything runs in a temporary folder, so the files the docs write land there.  All of it takes
about 10 s (the renderings and the trainings are short).
"""

from __future__ import annotations

import importlib.util
import re
import runpy
import shlex
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
READMES = [ROOT / "README.md", ROOT / "README.zh.md", ROOT / "README.ja.md"]
DOCS = [*READMES, *sorted((ROOT / "docs").glob("*.md"))]
RUNNABLE = {"python", "sh"}
NOT_RUN = {"text"}


class Block:
    def __init__(self, path: Path, line: int, info: str, code: str) -> None:
        self.path, self.line, self.code = path, line, code
        words = info.split()
        self.lang = words[0] if words else ""
        self.run = self.lang not in NOT_RUN and "norun" not in words[1:]

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks(path: Path) -> list[Block]:
    """The fenced code blocks of a Markdown file, with the line their fence opens on."""
    found, lines, k = [], path.read_text(encoding="utf-8").splitlines(), 0
    while k < len(lines):
        m = re.match(r"^```(.*)$", lines[k])
        if m:
            end = next(j for j in range(k + 1, len(lines)) if lines[j].startswith("```"))
            found.append(Block(path, k + 1, m.group(1).strip(), "\n".join(lines[k + 1:end])))
            k = end
        k += 1
    return found


ALL = [b for path in DOCS for b in blocks(path)]
SH = [b for b in ALL if b.run and b.lang == "sh"]


def test_every_block_says_whether_it_runs():
    unknown = [f"{b.where} ```{b.lang}" for b in ALL if b.lang not in RUNNABLE | NOT_RUN]
    assert not unknown, ("give each block a language: python or sh (run by the tests), or "
                         "text (not run); add norun to keep an sh block from running: "
                         f"{unknown}")
    for path in DOCS:  # make demo / make test, the layout
        not_run = [b.where for b in blocks(path) if not b.run]
        assert len(not_run) <= 3, f"only a few blocks may stay unrun: {not_run}"


def commands(path: Path) -> list[tuple[str, list[str]]]:
    """The code blocks a reader types, without their comments: each block's fence word and the
    lines of code it holds (a translation translates the comments, never the commands)."""
    found = []
    for b in blocks(path):
        if b.lang == "text":
            continue
        lines = [line.split("  #")[0].rstrip() if b.lang == "python" else
                 shlex.join(shlex.split(line, comments=True)) for line in b.code.splitlines()]
        found.append((" ".join([b.lang] + (["norun"] if not b.run else [])),
                      [line for line in lines if line and not line.lstrip().startswith("#")]))
    return found


@pytest.mark.parametrize("path", READMES[1:], ids=lambda p: p.name)
def test_the_translations_carry_the_english_readmes_sections_and_commands(path):
    english = (ROOT / "README.md").read_text(encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    assert len(re.findall(r"^## ", text, re.M)) == len(re.findall(r"^## ", english, re.M))
    assert commands(path) == commands(ROOT / "README.md")
    links = re.compile(r"\]\(((?:docs|notebooks)/[^)]+|LICENSE)\)")
    assert sorted(set(links.findall(text))) == sorted(set(links.findall(english)))
    for word in ("tinygrad-edu", "--play", "--render", 'pip install -e ".[notebooks]"'):
        assert word in text, word


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run in an empty temporary folder, with matplotlib drawing off screen."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return tmp_path


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_python_blocks_run(path, in_tmp):
    from tinygrad_edu.viz import GraphvizNotFound

    namespace: dict = {"__name__": "__docs__"}
    for b in blocks(path):
        if not (b.run and b.lang == "python"):
            continue
        try:
            exec(compile(b.code, b.where, "exec"), namespace)
        except GraphvizNotFound:
            assert shutil.which("dot") is None, b.where
            pytest.skip(f"{b.where} renders a drawing: needs Graphviz's dot")
        except ImportError as e:  # tinygrad_edu.interop's own message when torch is missing
            if "needs PyTorch" not in str(e) or importlib.util.find_spec("torch") is not None:
                raise
            pytest.skip(f"{b.where} takes a network to PyTorch: needs torch")


@pytest.mark.slow  # trainings and renderings: about 10 s together
@pytest.mark.parametrize("block", SH, ids=lambda b: f"{b.path.name}:{b.line}")
def test_commands_run(block, in_tmp, capsys):
    """The lines of a block run in order in one folder (a later line may read what an earlier
    one wrote, as `--init run.json` after `--json run.json`)."""
    lines = [(n, line) for n, line in enumerate(block.code.splitlines(), start=block.line + 1)
             if line.strip() and not line.lstrip().startswith("#")]
    assert lines, f"{block.where}: an empty block"
    for n, line in lines:
        where = f"{block.path.name}:{n}: {line}"
        argv = shlex.split(line, comments=True)
        if argv[0] == "tinygrad-edu":  # the installed command: python -m tinygrad_edu
            argv = ["python", "-m", "tinygrad_edu", *argv[1:]]
        assert argv[0] in ("python", "python3"), f"not a command the tests can run: {where}"
        if "digits" in argv:
            pytest.importorskip("sklearn")
        if "--render" in argv and shutil.which("dot") is None:
            pytest.skip(f"{where} renders drawings: needs Graphviz's dot")
        if argv[1:3] == ["-m", "tinygrad_edu"]:
            from tinygrad_edu.cli import main

            assert main(argv[3:]) == 0, (where, capsys.readouterr().err)
        else:
            demo = ROOT / argv[1]
            assert demo.parent.name == "demos" and demo.is_file(), f"no such demo: {where}"
            code = runpy.run_path(str(demo), run_name="demo")["main"](argv[2:])
            assert not code, (where, capsys.readouterr().err)  # None or 0: success


def test_the_node_counts_in_viz_md_are_measured():
    """docs/viz.md's table of drawing sizes is what draw_graph draws today."""
    from tinygrad_edu import Tensor, name_scope
    from tinygrad_edu.book.network import demon_network
    from tinygrad_edu.datasets import book_digits_4x3
    from tinygrad_edu.viz import draw_graph
    from tinygrad_edu.book.demon_graph import image_cost

    text = (ROOT / "docs" / "viz.md").read_text(encoding="utf-8")
    table = {m.group(1): [int(v.replace(" ", "")) for v in m.groups()[1:]] for m in re.finditer(
        r"^\| (one image, scalar engine|all 64 images, scalar engine|all 64 images, tensor "
        r"engine) \| ([\d ]+) \| (\d+) \| (\d+) \|$", text, re.M)}
    assert len(table) == 3, "the size table of docs/viz.md has changed its form"

    X, T = book_digits_4x3(one_hot=True)

    def scalar_cost(n: int):
        net = demon_network("scalar", "book-3-5-solved")
        total = None
        for x, t in zip(X[:n].tolist(), T[:n].tolist()):
            a = net(x)
            with name_scope("C" if n == 1 else "C_T", "block"):
                c = image_cost(a, t)
                total = c if total is None else total + c
        return total

    net = demon_network("tensor", "book-3-5-solved")
    out = net(Tensor(X))
    with name_scope("C_T", "block"):
        tensor_cost = (0.5 * (Tensor(T) - out) ** 2).sum()
    roots = {"one image, scalar engine": scalar_cost(1),
             "all 64 images, scalar engine": scalar_cost(64),
             "all 64 images, tensor engine": tensor_cost}
    for row, root in roots.items():
        root.backward()
        measured = [sum(1 for line in draw_graph(root, level=level, max_nodes=None)
                        .source.splitlines() if re.match(r"\s*(v|op|g|d)\d+ \[", line))
                    for level in ("op", "neuron", "layer")]
        assert measured == table[row], (row, measured)
