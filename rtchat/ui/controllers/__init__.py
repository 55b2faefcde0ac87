"""The app's behaviour, one domain per object; each gets what it needs in its constructor."""
