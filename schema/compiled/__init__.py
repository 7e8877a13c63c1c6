"""A compiled executor for the queries most clients send: lists, lookups and their relations."""
