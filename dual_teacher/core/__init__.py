"""Events, bus, clocks, bounded queues and the error tree. Standard library and numpy only."""
