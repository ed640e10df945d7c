"""Background jobs: records of work run outside the request, and their signed callbacks."""
