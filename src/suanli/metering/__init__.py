"""Usage records from the API, Slurm `sacct` and DCGM/Prometheus exports; reconciliation."""
