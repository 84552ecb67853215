#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz harnesses (standard library only, no numpy):
corpus/safetensors/seed_* and corpus/npz/seed_*, in the layouts the converters read (TF 1.x,
Keras, PyTorch, Bahdanau) and with every dtype; corpus/tf_checkpoint/seed_* from the checkpoints
TensorFlow wrote under tests/golden/checkpoints, in both modes of fuzz_tf_checkpoint. libFuzzer's -merge=1 then keeps what adds
coverage (tools/fuzz.sh --merge). Usage: python3 tests/fuzz/make_seeds.py"""
import io
import json
import os
import struct
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))

# Must match seq2seq::fuzz::npz_member_names() in fuzz_files.hpp (the "built archive" mode).
NPZ_NAMES = [
    "a.npy", "b.npy",
    "rnn/gru_cell/gates/kernel.npy", "rnn/gru_cell/gates/bias.npy",
    "rnn/gru_cell/candidate/kernel.npy", "rnn/gru_cell/candidate/bias.npy",
    "rnn/lstm_cell/kernel.npy", "rnn/lstm_cell/bias.npy",
    "lstm/lstm_cell/kernel.npy", "lstm/lstm_cell/recurrent_kernel.npy", "lstm/lstm_cell/bias.npy",
    "weight_ih_l0.npy", "weight_hh_l0.npy", "bias_ih_l0.npy", "bias_hh_l0.npy",
    "memory_layer/kernel.npy", "bahdanau_attention/query_layer/kernel.npy",
    "bahdanau_attention/attention_v.npy", "bahdanau_attention/attention_g.npy",
    "bahdanau_attention/attention_b.npy",
    "a", ".npy", "a.npy/",
]

ST_FORMATS = {"F16": "e", "F32": "f", "F64": "d", "I8": "b", "U8": "B", "I16": "h", "U16": "H",
              "I32": "i", "U32": "I", "I64": "q", "U64": "Q", "BOOL": "?"}


def count(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def values(shape, fmt="f", endian="<"):
    n = count(shape)
    if fmt in "efd":
        vals = [((i * 7) % 11 - 5) / 8.0 for i in range(n)]
    elif fmt == "?":
        vals = [i % 2 == 0 for i in range(n)]
    else:
        vals = [i % 5 for i in range(n)]
    return struct.pack(endian + fmt * n, *vals)


def safetensors(tensors, metadata=None):
    """tensors: list of (name, dtype, shape[, raw bytes])."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for t in tensors:
        name, dtype, shape = t[:3]
        raw = t[3] if len(t) > 3 else values(shape, ST_FORMATS.get(dtype, "B"))
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def npy(shape, descr="<f4", fortran=False, version=1):
    shape_text = "(" + "".join(f"{d}, " for d in shape).rstrip(" ") + ")" if len(shape) != 1 else f"({shape[0]},)"
    if not shape:
        shape_text = "()"
    header = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape_text}, }}"
    pre = 10 if version == 1 else 12
    header += " " * (-(pre + len(header) + 1) % 64) + "\n"
    length = struct.pack("<H", len(header)) if version == 1 else struct.pack("<I", len(header))
    fmt = {"f2": "e", "f4": "f", "f8": "d", "i1": "b", "u1": "B", "i2": "h", "u2": "H", "i4": "i",
           "u4": "I", "i8": "q", "u8": "Q", "b1": "?"}[descr[1:]]
    endian = ">" if descr[0] == ">" else "<"
    return b"\x93NUMPY" + bytes([version, 0]) + length + header.encode() + values(shape, fmt, endian)


def npz(members, deflate=False):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED) as z:
        for name, content in members:
            z.writestr(name, content)
    return out.getvalue()


def built(members, deflate=False):
    """The harness's "built archive" mode: [mode][name index, u16 length, content]..."""
    out = bytes([3 if deflate else 1])
    for name, content in members:
        out += bytes([NPZ_NAMES.index(name)]) + struct.pack("<H", len(content)) + content
    return out


I, H, P, U, DM, HQ = 2, 3, 2, 4, 5, 3
LAYOUTS = {
    "tf1_gru": [("rnn/gru_cell/gates/kernel", [I + H, 2 * H]), ("rnn/gru_cell/gates/bias", [2 * H]),
                ("rnn/gru_cell/candidate/kernel", [I + H, H]), ("rnn/gru_cell/candidate/bias", [H])],
    "tf1_lstm": [("rnn/lstm_cell/kernel", [I + H, 4 * H]), ("rnn/lstm_cell/bias", [4 * H])],
    "tf1_lstm_peep_proj": [("rnn/lstm_cell/kernel", [I + P, 4 * H]), ("rnn/lstm_cell/bias", [4 * H]),
                           ("rnn/lstm_cell/w_f_diag", [H]), ("rnn/lstm_cell/w_i_diag", [H]),
                           ("rnn/lstm_cell/w_o_diag", [H]), ("rnn/lstm_cell/projection/kernel", [H, P])],
    "keras_gru_reset_after": [("gru/gru_cell/kernel", [I, 3 * H]), ("gru/gru_cell/recurrent_kernel", [H, 3 * H]),
                              ("gru/gru_cell/bias", [2, 3 * H])],
    "keras_gru": [("gru/gru_cell/kernel", [I, 3 * H]), ("gru/gru_cell/recurrent_kernel", [H, 3 * H]),
                  ("gru/gru_cell/bias", [3 * H])],
    "keras_lstm": [("lstm/lstm_cell/kernel", [I, 4 * H]), ("lstm/lstm_cell/recurrent_kernel", [H, 4 * H]),
                   ("lstm/lstm_cell/bias", [4 * H])],
    "torch_gru": [("weight_ih_l0", [3 * H, I]), ("weight_hh_l0", [3 * H, H]), ("bias_ih_l0", [3 * H]),
                  ("bias_hh_l0", [3 * H])],
    "torch_lstm": [("weight_ih_l0", [4 * H, I]), ("weight_hh_l0", [4 * H, H])],
    "tf1_bahdanau": [("memory_layer/kernel", [DM, U]), ("bahdanau_attention/query_layer/kernel", [HQ, U]),
                     ("bahdanau_attention/attention_v", [U]), ("bahdanau_attention/attention_g", []),
                     ("bahdanau_attention/attention_b", [U]),
                     ("attention_wrapper/attention_layer/kernel", [HQ + DM, 2])],
    "keras_bahdanau": [("BahdanauAttention/memory_layer/kernel", [DM, U]),
                       ("rnn/attention_wrapper/BahdanauAttention/kernel", [HQ, U]),
                       ("rnn/attention_wrapper/BahdanauAttention/attention_v", [U])],
}


def main():
    st_dir = os.path.join(HERE, "corpus", "safetensors")
    npz_dir = os.path.join(HERE, "corpus", "npz")
    os.makedirs(st_dir, exist_ok=True)
    os.makedirs(npz_dir, exist_ok=True)

    def write(directory, name, content):
        with open(os.path.join(directory, "seed_" + name), "wb") as f:
            f.write(content)

    for layout, tensors in LAYOUTS.items():
        write(st_dir, layout, safetensors([(n, "F32", s) for n, s in tensors]))
        write(st_dir, layout + "_f16", safetensors([(n, "F16", s) for n, s in tensors]))
        members = [(n + ".npy", npy(s)) for n, s in tensors]
        write(npz_dir, layout + "_stored", b"\x00" + npz(members))
        write(npz_dir, layout + "_deflated", b"\x00" + npz(members, deflate=True))
        if all(n in NPZ_NAMES for n, _ in members):
            write(npz_dir, layout + "_built", built(members))
    every = [("t_" + d.lower(), d, [2, 3]) for d in ST_FORMATS] + [
        ("bf16", "BF16", [3], struct.pack("<3H", 0x3F80, 0x7F80, 0xFFC1)),
        ("f8", "F8_E4M3", [2]), ("scalar", "F64", []), ("empty", "F32", [0, 7]), ("big_u64", "U64", [1],
                                                                                  struct.pack("<Q", 2 ** 63))]
    write(st_dir, "dtypes", safetensors(every, metadata={"format": "pt"}))
    write(st_dir, "empty", safetensors([]))
    descrs = ["<f2", "<f4", "<f8", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "|b1", ">f4", ">f8",
              ">i4", ">u2"]
    members = [(f"t{i}.npy", npy([2, 3], d)) for i, d in enumerate(descrs)]
    members += [("fortran.npy", npy([2, 3, 2], "<f4", fortran=True)), ("v2.npy", npy([3], "<f8", version=2)),
                ("scalar.npy", npy([], "<f8")), ("empty.npy", npy([0, 4]))]
    write(npz_dir, "dtypes", b"\x00" + npz(members))
    write(npz_dir, "built_fortran",
          built([("a.npy", npy([2, 3, 2], ">f8", fortran=True)), ("b.npy", npy([4], "<i8", version=3))], True))
    tf_checkpoint_seeds(write)


def read_varint(b, i):
    value, shift = 0, 0
    while True:
        byte = b[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def table_entries(index):
    """The (key, value) pairs of a TensorFlow .index table (no checks: TensorFlow wrote it)."""
    def block(offset, size):
        contents = index[offset:offset + size]
        assert index[offset + size] == 0, "compressed block"
        restarts = struct.unpack_from("<I", contents, len(contents) - 4)[0]
        limit, i, key, out = len(contents) - 4 - 4 * restarts, 0, b"", []
        while i < limit:
            shared, i = read_varint(contents, i)
            non_shared, i = read_varint(contents, i)
            size_, i = read_varint(contents, i)
            key = key[:shared] + contents[i:i + non_shared]
            i += non_shared
            out.append((key, contents[i:i + size_]))
            i += size_
        return out

    footer = index[-48:]
    _, i = read_varint(footer, 0)
    _, i = read_varint(footer, i)
    index_offset, i = read_varint(footer, i)
    index_size, i = read_varint(footer, i)
    entries = []
    for _, handle in block(index_offset, index_size):
        offset, j = read_varint(handle, 0)
        size, _ = read_varint(handle, j)
        entries += block(offset, size)
    return entries


def tf_checkpoint_seeds(write):
    directory = os.path.join(HERE, "corpus", "tf_checkpoint")
    os.makedirs(directory, exist_ok=True)
    golden = os.path.join(HERE, "..", "golden", "checkpoints")
    for case, prefix in [("tf1_saver", "model.ckpt-1"), ("keras_weights", "weights"),
                         ("saved_model", "model/variables/variables"),
                         ("partitioned", "model.ckpt")]:
        with open(os.path.join(golden, case, prefix + ".index"), "rb") as f:
            index = f.read()
        with open(os.path.join(golden, case, prefix + ".data-00000-of-00001"), "rb") as f:
            data = f.read()
        write(directory, case + "_raw", b"\x00" + struct.pack("<H", len(index)) + index + data)
        records = b"".join(bytes([len(k)]) + k + struct.pack("<H", len(v)) + v
                           for k, v in table_entries(index))
        write(directory, case + "_entries", b"\x01" + records + b"\xff" + data)
        write(directory, case + "_snappy", b"\x03" + records + b"\xff" + data)


if __name__ == "__main__":
    main()
