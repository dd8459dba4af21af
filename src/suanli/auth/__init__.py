"""Users, organisations, memberships, roles, API tokens, login sessions, permissions."""
