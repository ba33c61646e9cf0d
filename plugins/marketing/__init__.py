"""The marketing plugin: the product catalogue and suitability, marketing
consent, segments and campaigns."""
