"""Traffic: realistic requests and delayed labels, driven through scenarios."""
