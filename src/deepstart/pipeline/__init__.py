"""The training path, step by step: prepare (encode and split the data), fit (train the
network), select (the model to keep) and record (what a model remembers of its training)."""
