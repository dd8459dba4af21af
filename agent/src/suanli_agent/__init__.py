"""The Suanli provider agent: attests a GPU node's hardware, reports its GPU usage.

It imports nothing from the platform (``suanli``): a GPU node installs only this package
and its three dependencies (nvidia-ml-py, cryptography, httpx).
"""

__version__ = "0.1.0"
