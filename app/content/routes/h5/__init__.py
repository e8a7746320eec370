"""The content platform's phone pages (WeChat H5: the HQ news site, the moderation queue)."""
