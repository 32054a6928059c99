"""HTTP routes of the core, one controller per resource."""
