"""Media sources and probes (PyAV, cameras, microphones). The only layer that opens media files."""
