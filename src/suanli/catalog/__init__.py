"""Accelerator catalogue, ECCN 3A090 classification and the East Data West Computing network."""
