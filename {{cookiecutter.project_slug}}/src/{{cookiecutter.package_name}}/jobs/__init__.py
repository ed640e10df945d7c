"""Background jobs: typed async handlers run by a worker, their state kept in a store."""
