"""Campaign messages: written to an outbox with the launch, sent by a worker."""
