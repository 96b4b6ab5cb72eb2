"""Convert MediaPipe's bundled BlazePose models (TFLite) to ONNX, once, on a machine with the extra.

Needs `pip install shixun[export]` (tensorflow-cpu + tf2onnx); the runtime never does. The detector
stores its weights as sparse fp16 tensors behind DENSIFY and DEQUANTIZE ops, which tf2onnx cannot
convert; so every op whose inputs are all constants is run once by the TFLite interpreter, its result
is written into the model as a dense fp32 constant, and the op is removed before conversion.
"""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path

from lab.bus.text import UserError

DETECTOR_TFLITE = "pose_detection/pose_detection.tflite"
LANDMARK_TFLITE = "pose_landmark/pose_landmark_full.tflite"
DETECTOR_ONNX = "pose_detection.onnx"
LANDMARK_ONNX = "pose_landmark_full.onnx"
OPSET = 13
CONSTANT_OPS = frozenset({"DENSIFY", "DEQUANTIZE"})
UNUSED_OUTPUTS = {LANDMARK_TFLITE: ("Identity_2",)}  # the segmentation mask


def mediapipe_modules_dir() -> Path:
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or spec.origin is None:
        raise UserError("未安装 mediapipe", "mediapipe is not installed")
    return Path(spec.origin).parent / "modules"


def export_models(out_dir: Path) -> list[Path]:
    """Write the detector and landmark ONNX models into `out_dir`; returns their paths."""
    try:
        import tensorflow as tf
        import tf2onnx
    except ImportError:
        raise UserError(
            "导出需要可选依赖：pip install 'shixun[export]'（tensorflow-cpu 与 tf2onnx）",
            "export needs the optional extra: pip install 'shixun[export]' (tensorflow-cpu and tf2onnx)",
        ) from None
    out_dir.mkdir(parents=True, exist_ok=True)
    modules = mediapipe_modules_dir()
    written = []
    for tflite_name, onnx_name in ((DETECTOR_TFLITE, DETECTOR_ONNX), (LANDMARK_TFLITE, LANDMARK_ONNX)):
        with tempfile.TemporaryDirectory() as scratch:
            dense = Path(scratch) / "dense.tflite"
            model_bytes = (modules / tflite_name).read_bytes()
            dense.write_bytes(fold_constant_ops(tf, model_bytes, UNUSED_OUTPUTS.get(tflite_name, ())))
            target = out_dir / onnx_name
            tf2onnx.convert.from_tflite(str(dense), opset=OPSET, output_path=str(target))
        written.append(target)
    return written


def fold_constant_ops(tf, model_bytes: bytes, drop_outputs: tuple[str, ...] = ()) -> bytes:
    """Replace DENSIFY/DEQUANTIZE ops on constants by their dense fp32 results; cut unused outputs."""
    from tensorflow.lite.tools import flatbuffer_utils

    interpreter = tf.lite.Interpreter(
        model_content=model_bytes,
        experimental_preserve_all_tensors=True,
        experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    interpreter.allocate_tensors()
    for detail in interpreter.get_input_details():
        interpreter.set_tensor(detail["index"], tf.zeros(detail["shape"], detail["dtype"]).numpy())
    interpreter.invoke()

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(model_bytes))
    subgraph = model.subgraphs[0]
    constant = {
        i for i, tensor in enumerate(subgraph.tensors) if model.buffers[tensor.buffer].data is not None
    }
    kept = []
    for op_detail, operator in zip(interpreter._get_ops_details(), subgraph.operators, strict=True):
        inputs = [i for i in op_detail["inputs"] if i >= 0]
        if op_detail["op_name"] in CONSTANT_OPS and all(i in constant for i in inputs):
            (output,) = op_detail["outputs"]
            value = interpreter.get_tensor(output).astype("float32")
            tensor = subgraph.tensors[output]
            buffer = flatbuffer_utils.schema_fb.BufferT()
            buffer.data = bytearray(value.tobytes())
            model.buffers.append(buffer)
            tensor.buffer = len(model.buffers) - 1
            tensor.type = flatbuffer_utils.schema_fb.TensorType.FLOAT32
            constant.add(output)
        else:
            kept.append(operator)
    subgraph.operators = kept
    subgraph.outputs = [i for i in subgraph.outputs if subgraph.tensors[i].name.decode() not in drop_outputs]
    _drop_dead_operators(subgraph)
    _drop_unused_tensors(subgraph)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def _drop_dead_operators(subgraph) -> None:
    """Remove operators none of whose outputs reach a model output."""
    needed = set(subgraph.outputs)
    live = []
    for operator in reversed(subgraph.operators):
        if needed.intersection(operator.outputs):
            live.append(operator)
            needed.update(i for i in operator.inputs if i >= 0)
    subgraph.operators = live[::-1]


def _drop_unused_tensors(subgraph) -> None:
    """Remove tensors no op reads or writes (the sparse originals), renumbering the rest."""
    used = set(subgraph.inputs) | set(subgraph.outputs)
    for operator in subgraph.operators:
        used.update(i for i in operator.inputs if i >= 0)
        used.update(operator.outputs)
    order = sorted(used)
    new_index = {old: new for new, old in enumerate(order)}
    subgraph.tensors = [subgraph.tensors[i] for i in order]
    subgraph.inputs = [new_index[i] for i in subgraph.inputs]
    subgraph.outputs = [new_index[i] for i in subgraph.outputs]
    for operator in subgraph.operators:
        operator.inputs = [new_index[i] if i >= 0 else i for i in operator.inputs]
        operator.outputs = [new_index[i] for i in operator.outputs]
