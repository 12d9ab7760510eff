"""The embeddable web chat widget (static files) and the small server that serves it."""
