"""TensorFlow frozen graphs (`kind = "onnx-from-tf-graph"`): the reference runner and the tf2onnx conversion.

A frozen GraphDef (TF1 Object Detection API export, e.g. an SSD with its own pre- and post-processing inside)
has no interpreter of its own: the reference is a `tf.compat.v1.Session` on the graph as shipped, fed the
contract's input tensor, fetching the contract's output tensors. Used by convert.py, in the build venv.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def load_graph_def(tc: Any, data: bytes) -> Any:
    graph_def = tc.tf.compat.v1.GraphDef()
    graph_def.ParseFromString(data)
    return graph_def


def op_counts(graph_def: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for node in graph_def.node:
        counts[node.op] = counts.get(node.op, 0) + 1
    return dict(sorted(counts.items()))


def contract_names(contract: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The tensor names the graph is cut at: the contract's inputs and outputs (`name:0`)."""
    inputs = [str(i["name"]) for i in contract.get("inputs", [])]
    outputs = [str(o["name"]) for o in contract.get("outputs", [])]
    return inputs, outputs


class GraphRunner:
    """The reference: the frozen graph in a TensorFlow session (its own kernels, as the package runs it)."""

    def __init__(self, tc: Any, graph_def: Any, inputs: Sequence[str], outputs: Sequence[str]) -> None:
        self.graph = tc.tf.Graph()
        with self.graph.as_default():
            tc.tf.import_graph_def(graph_def, name="")
        self.session = tc.tf.compat.v1.Session(graph=self.graph)
        self.input = inputs[0]
        self.outputs = list(outputs)

    def __call__(self, x: np.ndarray) -> dict[str, np.ndarray]:
        values = self.session.run(self.outputs, {self.input: x})
        return {name: np.asarray(v) for name, v in zip(self.outputs, values, strict=True)}

    def io(self, sample: np.ndarray) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Inputs (declared placeholder shape, -1 for a dynamic dim) and outputs (shapes of a run on `sample`)."""
        t = self.graph.get_tensor_by_name(self.input)
        shape = [-1 if d is None else int(d) for d in t.shape.as_list()]
        ins = [{"name": self.input, "shape": shape, "dtype": t.dtype.as_numpy_dtype().dtype.name}]
        outs = [{"name": n, "shape": list(v.shape), "dtype": v.dtype.name} for n, v in self(sample).items()]
        return ins, outs


def convert(tc: Any, graph_def: Any, inputs: Sequence[str], outputs: Sequence[str], opset: int) -> Any:
    model_proto, _ = tc.tf2onnx.convert.from_graph_def(
        graph_def, input_names=list(inputs), output_names=list(outputs), opset=opset
    )
    return model_proto
