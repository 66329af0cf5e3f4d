"""The domain: event-log schema and validation, the log store and its catalog."""
