"""The SEC client: validated answers, retries, rate limits and a persistent circuit breaker."""
