"""dual-teacher: an offline runtime for dual-teacher classrooms."""

__version__ = "0.1.0"
