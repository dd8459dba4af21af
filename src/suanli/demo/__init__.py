"""The demo world: a believable market built on a fresh database."""
