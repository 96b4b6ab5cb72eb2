"""BlazePose on onnxruntime: MediaPipe's pose graph reimplemented with numpy and OpenCV.

The models are MediaPipe's own, converted once by `export.py` and shipped in `vision/models/`;
`geometry.py` holds the graph's calculators (letterbox, SSD anchors, weighted NMS, rotated ROI,
landmark projection, heatmap refinement) and `pipeline.py` wires them with tracking.
"""
