"""The book's worked examples, one module per example, named by chapter."""
