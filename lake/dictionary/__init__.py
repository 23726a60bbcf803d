"""The data dictionary, generated from the model, the endpoint catalogue and the risk registry."""
