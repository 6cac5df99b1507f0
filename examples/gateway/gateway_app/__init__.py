"""A tool gateway in ContextForge's shape, small enough to run in a benchmark."""
