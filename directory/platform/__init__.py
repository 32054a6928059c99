"""Services every feature shares: the clock, durable jobs, mail, and plugins' settings."""
