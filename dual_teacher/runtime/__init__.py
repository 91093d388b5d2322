"""Stages, the class session orchestrator and simulated inputs."""
