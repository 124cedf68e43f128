"""archivist's downloader middlewares: revisit decisions and politeness Scrapy lacks."""
