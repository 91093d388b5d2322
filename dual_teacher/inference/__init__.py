"""Model registry and ModelRunner: the only place that creates ONNX Runtime sessions."""
