"""One ONNX graph from the user's columns to the final model's outputs.

Front end (written here): one input per column the model uses, named as the user's column;
numeric columns are ``float`` tensors of shape ``[N, 1]`` (NaN is missing), categorical ones
``string`` tensors of shape ``[N, 1]`` in which any value not seen at fit time counts as
missing, as in ``predict``. Categories become either the filler string the pipeline's one-hot
or target encoder expects, or their codes (the index in the fitted category list, NaN for
missing) for the boosters that split on categories natively.

Members (converted by skl2onnx, with onnxmltools' converters for LightGBM and XGBoost) are
prefixed and joined to the front end; their outputs are weighted and summed. Outputs:
``label`` (the class, as in ``classes_``: the most probable, or the positive class where its
probability reaches the estimator's decision threshold) and ``probabilities`` (``[N, K]``,
columns in ``classes_`` order) for a classifier; ``prediction`` (``[N]``) for a regressor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from automl.data import ColumnSchema
from automl.onnx_export.members import Member, OnnxExportError
from automl.space.preprocessing import MISSING_CATEGORY

OPSET = 17  # the default ONNX domain's; old enough for every current onnxruntime
ML_OPSET = 3
_PREFIX = "automl::"  # internal tensor names: no user column can be mistaken for one


@dataclass(frozen=True)
class GraphOutputs:
    """The graph's output names."""

    label: str | None
    probabilities: str | None
    prediction: str | None


def build_model(
    schema: ColumnSchema,
    members: list[Member],
    classes: np.ndarray | None,
    *,
    threshold: float | None = None,
) -> tuple[Any, GraphOutputs]:
    """The ONNX ModelProto of the weighted members, and its output names."""
    from onnx import TensorProto, helper

    builder = _Builder(schema)
    summed = []
    for index, member in enumerate(members):
        output = builder.add_member(index, member, classes)
        weighted = builder.node("Mul", [output, builder.constant(np.float32(member.weight))])
        summed.append(weighted)
    total = builder.node("Sum", summed) if len(summed) > 1 else summed[0]
    used = set(schema.input_names)
    if classes is None:
        name = _free("prediction", used)
        builder.node("Reshape", [total, builder.constant(np.array([-1], np.int64))], name)
        builder.outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [None]))
        outputs = GraphOutputs(None, None, name)
    else:
        label, probabilities = _free("label", used), _free("probabilities", used)
        builder.node("Identity", [total], probabilities)
        if threshold is None or len(classes) != 2:
            best = builder.node("ArgMax", [total], axis=1, keepdims=0)
        else:
            positive = builder.node(
                "Gather", [total, builder.constant(np.array(1, np.int64))], axis=1
            )
            reached = builder.node(
                "GreaterOrEqual", [positive, builder.constant(np.float32(threshold))]
            )
            best = builder.node("Cast", [reached], to=TensorProto.INT64)
        values, onnx_type = _class_tensor(classes)
        builder.node("Gather", [builder.constant(values), best], label, axis=0)
        builder.outputs += [
            helper.make_tensor_value_info(label, onnx_type, [None]),
            helper.make_tensor_value_info(probabilities, TensorProto.FLOAT, [None, len(classes)]),
        ]
        outputs = GraphOutputs(label, probabilities, None)
    return builder.model(), outputs


def _free(name: str, taken: set[str]) -> str:
    """An output name that is no input's name."""
    while name in taken:
        name += "_output"
    return name


def _class_tensor(classes: np.ndarray) -> tuple[np.ndarray, int]:
    from onnx import TensorProto

    kind = classes.dtype.kind
    if kind == "b":
        return classes.astype(bool), TensorProto.BOOL
    if kind in "iu":
        return classes.astype(np.int64), TensorProto.INT64
    if kind == "f":
        return classes.astype(np.float64), TensorProto.DOUBLE
    return np.array([str(c) for c in classes], dtype=object), TensorProto.STRING


class _Builder:
    """Collects nodes, initializers and opsets; makes each front-end tensor once."""

    def __init__(self, schema: ColumnSchema) -> None:
        from onnx import TensorProto, helper

        self.schema = schema
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.opsets: dict[str, int] = {"": OPSET, "ai.onnx.ml": ML_OPSET}
        self.inputs = []
        self.outputs: list[Any] = []
        self._count = 0
        self._made: dict[str, str] = {}
        self.columns = [c for c in schema.input_names if c not in schema.dropped]
        for column in self.columns:
            if column in schema.datetime:
                raise OnnxExportError(
                    f"column {column!r} is a date and time, which the model reads as "
                    "year/month/day parts; that split has no ONNX export. Drop the column, or "
                    "pass its parts as numeric columns, to fit an exportable model."
                )
            if column in schema.text:
                raise OnnxExportError(
                    f"column {column!r} is free text, which the model reads through TF-IDF "
                    "and SVD features; those have no ONNX export. Drop the column, or give it "
                    "pandas 'category' dtype, to fit an exportable model."
                )
            kind = TensorProto.STRING if column in schema.categorical else TensorProto.FLOAT
            self.inputs.append(helper.make_tensor_value_info(column, kind, [None, 1]))

    def fresh(self, hint: str) -> str:
        self._count += 1
        return f"{_PREFIX}{hint}{self._count}"

    def node(self, op: str, inputs: list[str], output: str | None = None, **attributes) -> str:
        from onnx import helper

        output = output or self.fresh(op.lower())
        domain = attributes.pop("domain", "")
        self.nodes.append(helper.make_node(op, inputs, [output], domain=domain, **attributes))
        return output

    def constant(self, value: np.ndarray) -> str:
        from onnx import numpy_helper

        name = self.fresh("const")
        array = np.asarray(value)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    # ------------------------------------------------------------------ front end

    def category_strings(self, column: str) -> str:
        """The column's categories, anything unknown replaced by the pipelines' filler."""
        key = f"strings:{column}"
        if key not in self._made:
            known = [str(c) for c in self.schema.categorical[column]]
            self._made[key] = self.node(
                "LabelEncoder",
                [column],
                domain="ai.onnx.ml",
                keys_strings=known,
                values_strings=known,
                default_string=MISSING_CATEGORY,
            )
        return self._made[key]

    def matrix(self) -> str:
        """Every used column as one float matrix, categories as codes (NaN for missing)."""
        if "matrix" not in self._made:
            parts = []
            for column in self.columns:
                if column in self.schema.categorical:
                    known = [str(c) for c in self.schema.categorical[column]]
                    parts.append(
                        self.node(
                            "LabelEncoder",
                            [column],
                            domain="ai.onnx.ml",
                            keys_strings=known,
                            values_floats=[float(i) for i in range(len(known))],
                            default_float=float("nan"),
                        )
                    )
                else:
                    parts.append(column)
            self._made["matrix"] = self.node("Concat", parts, axis=1)
        return self._made["matrix"]

    # ------------------------------------------------------------------ members

    def add_member(self, index: int, member: Member, classes: np.ndarray | None) -> str:
        """Convert one member, join it to the front end; returns its output tensor."""
        from onnx import compose

        body = _convert(member, self.schema, self.columns)
        body = compose.add_prefix(body, f"{_PREFIX}m{index}::")
        for domain in body.opset_import:
            self.opsets[domain.domain] = max(self.opsets.get(domain.domain, 0), domain.version)
        inputs = list(body.graph.input)
        if not member.by_column:
            sources = [self.matrix()] * len(inputs)
        elif len(inputs) == len(self.columns):
            # by position: skl2onnx renames inputs whose names it finds unsafe ("v(g)" -> "v_g_")
            sources = [
                self.category_strings(c) if c in self.schema.categorical else c
                for c in self.columns
            ]
        else:
            raise OnnxExportError(
                f"the converted pipeline reads {len(inputs)} inputs, not one per column "
                f"({len(self.columns)})"
            )
        for graph_input, source in zip(inputs, sources):
            self.node("Identity", [source], graph_input.name)
        self.nodes.extend(body.graph.node)
        self.initializers.extend(body.graph.initializer)
        outputs = [o.name for o in body.graph.output]
        if classes is None:
            output = outputs[0]
            if member.target_scale is not None:
                scale, offset = member.target_scale
                output = self.node("Mul", [output, self.constant(np.float32(scale))])
                output = self.node("Add", [output, self.constant(np.float32(offset))])
            return output
        output = outputs[1]  # label, probabilities
        if member.present is not None:
            placement = np.zeros((len(member.present), len(classes)), dtype=np.float32)
            placement[np.arange(len(member.present)), list(member.present)] = 1.0
            output = self.node("MatMul", [output, self.constant(placement)])
        if member.renormalize:
            total = self.node("ReduceSum", [output, self.constant(np.array([1], np.int64))])
            output = self.node("Div", [output, total])
        return output

    def model(self) -> Any:
        from onnx import helper

        graph = helper.make_graph(
            self.nodes, "automl", self.inputs, self.outputs, initializer=self.initializers
        )
        opsets = [helper.make_opsetid(domain, version) for domain, version in self.opsets.items()]
        model = helper.make_model(graph, opset_imports=opsets, producer_name="automl")
        model.ir_version = min(model.ir_version, 8)  # what onnxruntime releases of OPSET read
        return model


def _convert(member: Member, schema: ColumnSchema, columns: list[str]) -> Any:
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    from automl.onnx_export.converters import register_boosters

    register_boosters()
    if member.by_column:
        types = [
            (
                schema.model_names.get(c, c),
                StringTensorType([None, 1])
                if c in schema.categorical
                else FloatTensorType([None, 1]),
            )
            for c in columns
        ]
    else:
        types = [("features", FloatTensorType([None, len(columns)]))]
    options = {} if member.classifier is None else {id(member.classifier): {"zipmap": False}}
    try:
        return convert_sklearn(
            member.model,
            initial_types=types,
            options=options,
            target_opset={"": OPSET, "ai.onnx.ml": ML_OPSET},
        )
    except Exception as error:  # the converters raise anything from KeyError to RuntimeError
        raise OnnxExportError(
            f"converting {type(member.model).__name__} to ONNX failed: "
            f"{type(error).__name__}: {error}"
        ) from error
