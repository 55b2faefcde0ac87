"""Where the user types."""
