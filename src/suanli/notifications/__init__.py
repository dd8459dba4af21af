"""Notifications: who is told of which outbox event, how (inbox, e-mail, webhook), and the
sender that delivers them at least once."""
