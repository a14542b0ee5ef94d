"""The GitHub webhook server: signed deliveries in, coalesced pull-request reviews out."""
