"""Email: the outbox worker, writing each message, and the transports that send it."""
