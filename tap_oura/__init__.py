"""tap-oura: a Singer tap for the Oura Ring API v2."""
