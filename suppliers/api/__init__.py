"""REST API of the supplier register, routed under /api/v1/ by ``config.api_urls``."""
