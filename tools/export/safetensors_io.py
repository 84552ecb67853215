"""Minimal safetensors reader and writer (NumPy only, no third-party dependencies).

The format: an 8-byte little-endian header length N, then N bytes of JSON (padded with spaces
to a multiple of 8), then the raw little-endian tensor data. The JSON maps each tensor name to
{"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the start of the data) and
holds an optional "__metadata__" map of string to string.

The writer is the one in tools/reference/gen_golden.py (tensors sorted by name, compact JSON),
extended to more dtypes. One difference: a 0-d array (e.g. Bahdanau's attention_g) keeps shape
[] here, where gen_golden.py's writer stores it as [1] (np.ascontiguousarray promotes 0-d to
1-d); the C++ SafetensorsFile::scalar() accepts both.
"""
import json
import struct

import numpy as np

# numpy dtype -> safetensors dtype tag.
ST_DTYPE = {
    np.dtype(np.float16): "F16",
    np.dtype(np.float32): "F32",
    np.dtype(np.float64): "F64",
    np.dtype(np.int8): "I8",
    np.dtype(np.int16): "I16",
    np.dtype(np.int32): "I32",
    np.dtype(np.int64): "I64",
    np.dtype(np.uint8): "U8",
    np.dtype(np.uint16): "U16",
    np.dtype(np.uint32): "U32",
    np.dtype(np.uint64): "U64",
    np.dtype(np.bool_): "BOOL",
}
# safetensors dtype tag -> little-endian numpy dtype.
NP_DTYPE = {tag: dt.newbyteorder("<") for dt, tag in ST_DTYPE.items()}


def write_safetensors(path, tensors, metadata=None):
    """Writes `tensors` (name -> array-like) and `metadata` (key -> value, stored as str) to path.

    Tensors are written in sorted name order; every array keeps its dtype (which must be one of
    ST_DTYPE: float16/32/64, int8/16/32/64, uint8/16/32/64, bool). Returns the file size in bytes.
    """
    header = {"__metadata__": {str(k): str(v) for k, v in (metadata or {}).items()}}
    blobs, offset = [], 0
    for name in sorted(tensors):
        arr = np.asarray(tensors[name])
        # np.ascontiguousarray turns a 0-d array into shape [1]; keep scalars as shape [].
        arr = np.ascontiguousarray(arr).reshape(arr.shape)
        if arr.dtype not in ST_DTYPE:
            raise TypeError(f"{name}: unsupported dtype {arr.dtype}")
        data = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": ST_DTYPE[arr.dtype], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    blob = struct.pack("<Q", len(raw)) + raw + b"".join(blobs)
    with open(path, "wb") as f:
        f.write(blob)
    return len(blob)


def read_safetensors(path):
    """Reads a safetensors file and returns (tensors, metadata).

    tensors maps name -> np.ndarray (native byte order, owning its memory); metadata is the
    "__metadata__" map (str -> str, empty if absent). Raises ValueError on a malformed file.
    """
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", blob[:8])
    if 8 + n > len(blob):
        raise ValueError(f"{path}: header length {n} exceeds file size {len(blob)}")
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = blob[8 + n:]
    metadata = dict(header.pop("__metadata__", {}) or {})
    tensors = {}
    for name, info in header.items():
        dt = NP_DTYPE.get(info["dtype"])
        if dt is None:
            raise ValueError(f"{path}: {name}: unsupported dtype {info['dtype']}")
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        count = int(np.prod(shape, dtype=np.int64))
        if end - begin != count * dt.itemsize or end > len(data):
            raise ValueError(f"{path}: {name}: data_offsets do not match dtype and shape")
        arr = np.frombuffer(data[begin:end], dtype=dt).reshape(shape)
        tensors[name] = arr.astype(dt.newbyteorder("="))  # copy, native order
    return tensors, metadata
