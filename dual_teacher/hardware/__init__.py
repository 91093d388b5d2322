"""Hardware profiles, execution-provider choice and the device probe."""
