"""Suanli: compute-voucher programs and a GPU-compute exchange."""

__version__ = "0.1.0"
