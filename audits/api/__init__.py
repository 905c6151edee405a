"""REST API of the audit programme, mounted under /api/v1/ by ``config.api_urls``."""
