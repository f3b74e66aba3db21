"""The trend classifier: training data, training, evaluation and batched prediction."""
