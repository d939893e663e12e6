"""Benchmarks for tinygrad_edu: `python -m benchmarks`.

W1 the book's 12-3-2 network, W2 big scalar graphs, W3 an MLP on the 8x8 digits, W4 single ops;
each against hand-written numpy and, where installed, micrograd, DeZero and PyTorch. See
benchmarks/README.md; the tinygrad_edu rows plug in through benchmarks/tinygrad_edu_slots.py.
"""
