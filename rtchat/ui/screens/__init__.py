"""Modal screens: pickers, key entry and help."""
