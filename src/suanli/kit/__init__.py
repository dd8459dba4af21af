"""Shared building blocks: money, time, errors, pagination, the database base."""
