"""ONNX export of a fitted estimator's final model, preprocessing included (``automl[onnx]``).

``export_onnx(estimator, "model.onnx", sample=X)`` converts, checks the converted model against
the original on sample rows with onnxruntime, and writes it; ``onnx_inputs(estimator, X)``
turns a table into the exported model's inputs. Importing this package needs none of the
optional libraries; calling the export without them raises an ImportError naming the extra.
"""

from automl.onnx_export.export import (
    DEFAULT_ATOL,
    DEFAULT_RTOL,
    OnnxExportReport,
    export_onnx,
    onnx_inputs,
)
from automl.onnx_export.members import OnnxExportError

__all__ = [
    "DEFAULT_ATOL",
    "DEFAULT_RTOL",
    "OnnxExportError",
    "OnnxExportReport",
    "export_onnx",
    "onnx_inputs",
]
