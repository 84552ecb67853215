#!/usr/bin/env python3
"""Writes tests/golden/npz/: small .npz fixtures for seq2seq::io::NpzFile, made by real NumPy.

Every value is a formula of the element's flat row-major index k (0, 1, 2, ...), so
tests/test_npz.cpp recomputes the expected values instead of copying numbers:

  float tensors (F32, F64)  k * 0.125 + salt  in float64 (k * 0.125 is exact, so the only
                                              rounding is the add), then cast to F32 or F64
  F16 tensors               (k - 3) * 0.5     exact in binary16
  I8                        (k - 2) * 60      I16: (k - 3) * 1000     I32: (k - 2) * 1000003
  I64                       (k - 2) * 10**12 + k
  U8                        k * 70            U16: k * 20000          U32: k * 1000000000
  U64                       k * 2**61
  BOOL                      k % 3 == 0

Archives (both hold the same arrays, see arrays()):
  stored.npz       np.savez             (members stored, no compression)
  compressed.npz   np.savez_compressed  (members deflated)
  tensors.safetensors  the float rank-2 arrays again, in safetensors form (C order, little-endian),
                   for the test that runs one function template over both file types.

Run:  /tmp/tfref/venv/bin/python tools/reference/gen_npz_fixtures.py   (any NumPy >= 1.17)
"""
import json
import os
import struct
import sys

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "golden", "npz")


def fvals(shape, salt, dtype):
    """k * 0.125 + salt in float64, reshaped row-major, then cast to dtype."""
    n = int(np.prod(shape, dtype=np.int64))
    return (np.arange(n, dtype=np.float64) * 0.125 + salt).reshape(shape).astype(dtype)


def ivals(shape, fn, dtype):
    """fn(k) over the flat index k (as Python ints, so no intermediate overflow), reshaped."""
    n = int(np.prod(shape, dtype=np.int64))
    return np.array([fn(k) for k in range(n)], dtype=dtype).reshape(shape)


def arrays():
    """name -> array. Names with '/' become archive members like 'f32/r2.npy'."""
    a = {
        # Ranks 0..3 of float32 / float64; the salt differs per tensor.
        "f32/r0": fvals((), 0.5, np.float32),
        "f32/r1": fvals((5,), -1.0, np.float32),
        "f32/r2": fvals((3, 4), 0.1, np.float32),
        "f32/r3": fvals((2, 3, 4), -3.0, np.float32),
        "f64/r0": fvals((), 1.0 / 3.0, np.float64),
        "f64/r1": fvals((4,), -0.7, np.float64),
        "f64/r2": fvals((2, 5), 10.0, np.float64),
        "f64/r3": fvals((2, 2, 3), 0.2, np.float64),
        "f16/r1": ivals((6,), lambda k: (k - 3) * 0.5, np.float16),
        "f16/r2": ivals((2, 3), lambda k: (k - 3) * 0.5, np.float16),
        "f32/single": fvals((1, 1), 4.0, np.float32),  # one element: scalar() accepts it
        "f32/empty": fvals((0, 3), 0.0, np.float32),
        # Integers of every width.
        "int/i8": ivals((5,), lambda k: (k - 2) * 60, np.int8),
        "int/i16": ivals((2, 2), lambda k: (k - 3) * 1000, np.int16),
        "int/i32": ivals((3, 3), lambda k: (k - 2) * 1000003, np.int32),
        "int/i64": ivals((4,), lambda k: (k - 2) * 10**12 + k, np.int64),
        "int/i64_r0": ivals((), lambda k: (k - 2) * 10**12 + k, np.int64),
        "int/u8": ivals((4,), lambda k: k * 70, np.uint8),
        "int/u16": ivals((4,), lambda k: k * 20000, np.uint16),
        "int/u32": ivals((5,), lambda k: k * 1000000000, np.uint32),
        "int/u64": ivals((4,), lambda k: k * 2**61, np.uint64),  # k = 4 would not fit int64
        "bool/r2": ivals((2, 3), lambda k: k % 3 == 0, np.bool_),
        # Fortran-ordered: np.save writes fortran_order True and the data column-major.
        "fortran/f32_r2": np.asfortranarray(fvals((3, 4), 0.25, np.float32)),
        "fortran/f64_r3": np.asfortranarray(fvals((2, 3, 4), 0.3, np.float64)),
        "fortran/i32_r2": np.asfortranarray(ivals((2, 3), lambda k: (k - 2) * 1000003, np.int32)),
        # Big-endian storage (descr '>...').
        "be/f64_r2": fvals((2, 3), 7.0, ">f8"),
        "be/f32_r1": fvals((3,), -2.0, ">f4"),
        "be/f16_r1": ivals((6,), lambda k: (k - 3) * 0.5, ">f2"),
        "be/i32_r1": ivals((5,), lambda k: (k - 2) * 1000003, ">i4"),
        "be/u16_r1": ivals((4,), lambda k: k * 20000, ">u2"),
        # A realistic checkpoint-style name.
        "rnn/gru_cell/gates/kernel": fvals((5, 6), 0.7, np.float32),
    }
    assert a["fortran/f32_r2"].flags.f_contiguous and not a["fortran/f32_r2"].flags.c_contiguous
    assert a["be/f64_r2"].dtype.str == ">f8"
    return a


def write_safetensors(path, tensors):
    """Minimal safetensors writer: u64 header length, JSON header, raw little-endian data."""
    st_dtype = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64"}
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name])
        arr = arr.astype(arr.dtype.newbyteorder("<"))
        data = arr.tobytes()
        header[name] = {"dtype": st_dtype[arr.dtype], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))


def main(out_dir=OUT):
    os.makedirs(out_dir, exist_ok=True)
    a = arrays()
    np.savez(os.path.join(out_dir, "stored.npz"), **a)
    np.savez_compressed(os.path.join(out_dir, "compressed.npz"), **a)
    rank2_floats = {k: v for k, v in a.items()
                    if v.ndim == 2 and v.dtype.kind == "f" and v.dtype.itemsize >= 4}
    write_safetensors(os.path.join(out_dir, "tensors.safetensors"), rank2_floats)

    # Self-check: NumPy reads back what it wrote.
    for fname in ("stored.npz", "compressed.npz"):
        with np.load(os.path.join(out_dir, fname)) as z:
            assert sorted(z.files) == sorted(a), fname
            for k, v in a.items():
                assert z[k].dtype == v.dtype and np.array_equal(z[k], v), (fname, k)
    for fname in sorted(os.listdir(out_dir)):
        print(f"{fname}: {os.path.getsize(os.path.join(out_dir, fname))} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else OUT))
