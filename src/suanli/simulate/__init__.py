"""The policy simulator: startups and providers over weeks, with the real rules and clearing."""
