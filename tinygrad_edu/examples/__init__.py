"""Beyond the book: its ideas on real data, one module per example.

- `digits`: a small CNN (§5's layers, ReLU, softmax cross-entropy, Adam) on scikit-learn's real
  8x8 handwritten digits; the command line's `digits` runs it.
"""
