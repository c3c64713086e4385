"""Ray backends for a cluster (the optional extra deepstart[cluster]): Ray Data encodes
inputs and predicts in batches, Ray Train trains the network with DistributedDataParallel.
Imported only when --cluster is given: without it, nothing of Ray is loaded."""
