"""Lesson packs (schema, loader, validator) and the lesson state machine."""
