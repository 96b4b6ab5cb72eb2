"""ONNX exports of MediaPipe BlazePose (pose_detection, pose_landmark_full), Apache-2.0 like MediaPipe."""
