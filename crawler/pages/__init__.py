"""Page objects: from URL + HTML to an ExtractedArticle, with per-site overrides."""
