"""RQ jobs (plain functions) and the clients they drive."""
