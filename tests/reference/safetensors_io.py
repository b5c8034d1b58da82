"""Minimal safetensors reader/writer for the test references and the synthetic checkpoint generator.

Format (https://github.com/huggingface/safetensors): 8-byte little-endian header length N, then N bytes
of JSON {name: {"dtype", "shape", "data_offsets": [begin, end]}, optional "__metadata__": {str: str}},
then the raw little-endian tensor bytes; offsets are relative to the end of the header.
Not a general library: only the dtypes HF LLM checkpoints use (F32, F16, BF16, F64), no lazy loading.
"""
import json
import struct

import numpy as np

# safetensors dtype name -> (numpy storage dtype, bytes per element)
_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "BF16": np.uint16}


def bf16_to_f32(raw_u16):
    """Widen bfloat16 bit patterns (uint16) to float32 exactly."""
    return (raw_u16.astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16(x):
    """Round float32 to bfloat16 (round to nearest even), returned as uint16 bit patterns."""
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def read_header(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(n)), 8 + n


def read_safetensors(path):
    """Return {name: np.float64 array} (every supported dtype is widened exactly) and the metadata."""
    header, data_start = read_header(path)
    meta = header.pop("__metadata__", {})
    out = {}
    with open(path, "rb") as f:
        blob = f.read()
    for name, info in header.items():
        dt = info["dtype"]
        if dt not in _DTYPES:
            raise ValueError(f"{path}: tensor {name}: unsupported dtype {dt} (expected one of {sorted(_DTYPES)})")
        begin, end = info["data_offsets"]
        arr = np.frombuffer(blob, dtype=_DTYPES[dt], count=(end - begin) // np.dtype(_DTYPES[dt]).itemsize,
                            offset=data_start + begin)
        if dt == "BF16":
            arr = bf16_to_f32(arr)
        out[name] = arr.astype(np.float64).reshape(info["shape"])
    return out, meta


def encode(x, dtype):
    """float array -> (safetensors dtype name, bytes) in the requested storage dtype ('bf16', 'f16', 'f32')."""
    x = np.asarray(x)
    if dtype == "bf16":
        return "BF16", f32_to_bf16(x.astype(np.float32)).tobytes()
    if dtype == "f16":
        return "F16", x.astype("<f2").tobytes()
    if dtype == "f32":
        return "F32", x.astype("<f4").tobytes()
    raise ValueError(f"unknown dtype {dtype!r} (expected bf16, f16 or f32)")


def write_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, shape, safetensors dtype name, bytes), written in the given order."""
    header = {}
    offset = 0
    for name, shape, dt, data in tensors:
        header[name] = {"dtype": dt, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    hbytes = json.dumps(header, separators=(",", ":")).encode()
    hbytes += b" " * (-len(hbytes) % 8)  # data starts 8-byte aligned, as the safetensors library does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for _, _, _, data in tensors:
            f.write(data)
    return offset
