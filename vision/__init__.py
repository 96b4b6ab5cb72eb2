"""Frame sources to pose frames: MediaPipe and onnxruntime backends, smoothing, calibration."""
