"""oura-collector: the long-running service that keeps Oura data in PostgreSQL."""
