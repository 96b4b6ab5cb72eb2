"""The lab server: the authorising relay for live streams, the request endpoint, and serving them."""
