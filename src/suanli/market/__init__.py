"""Orders, offers, contracts, clearing rounds."""
