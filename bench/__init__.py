"""The load benchmark and the resilience checks (issue 11); see the README's "Load benchmark"."""
