"""VAD, the faster-whisper adapter, the streaming commit policy and answer matching."""
