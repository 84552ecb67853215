#!/usr/bin/env python3
"""Writes tests/golden/checkpoints/: TensorFlow checkpoints written by real TensorFlow 2.15.1
(+ TensorFlow Addons 0.23.0), and next to each what TensorFlow's own reader says is in it.

For every case <case>/ holds the checkpoint files and
  expected.json  {"prefix": the checkpoint prefix relative to <case>/,
                  "tensors": {key: {"dtype": "float32", "enum": 1, "shape": [..],
                                    "values": [row-major elements]}},
                  "variables": {full_name: checkpoint_key},   (TF2 object graph only)
                  "case": {"inputs", "sequence_length", "outputs"}}   (tf1_*, keras_weights)
where "values" is every numeric tensor as read back by tf.train.load_checkpoint(prefix) (half
and bfloat16 widened to float, which is exact; JSON numbers round-trip float32 and int64 exactly)
and "hex" holds a string tensor's elements, hex-encoded. So the C++ reader is checked against TensorFlow's reader, never against
itself. "case" is what TensorFlow computed with the saved weights (the GRU layer: inputs [3, 5, 3],
outputs [3, 5, 6]; the attention model: also memory and memory_sequence_length): a model built
from the checkpoint must reproduce it.

Cases:
  tf1_saver      tf.compat.v1 graph, tf.compat.v1.train.Saver: a GRU encoder (dynamic_rnn), an
                 AttentionWrapper(GRU, normalized BahdanauAttention) decoder over it (TensorFlow
                 Addons in graph mode, its own variable names), a Dense layer, AdamOptimizer
                 slots, global_step, and variables of every dtype the reader supports (float64,
                 int32, int64, bool, half, bfloat16, a string, scalars); "wrapper_case" is the
                 decoder's inputs [3, 4, 3], memory, memory_sequence_length and outputs [3, 4, 5]
  tf1_sharded    the same Saver with sharded=True over two CPU devices: two data shards
  multi_block    1400 scalar variables with long distinct names: an index of several blocks
  partitioned    tf.compat.v1 partitioned variables: [10, 4] in 3 slices along axis 0, [3, 5]
                 in 2 slices along axis 1 (TensorFlow's reader returns them whole)
  tf2_checkpoint tf.train.Checkpoint(model=Keras GRU + Dense, optimizer=Adam) after one step
  keras_weights  model.save_weights(prefix) in TensorFlow format
  saved_model    tf.saved_model.save of a tf.Module with two variables (variables/ only)
  (tf1_saver, tf1_sharded, keras_weights also get case.safetensors by tools/export/write_case.py:
   the GRU layer's inputs and TensorFlow's outputs, for seq2seq::io::check_case)
  keras_tfa_checkpoint, keras_tfa_weights
                 gen_keras_attention.py's Keras model (GRUCell in a TFA AttentionWrapper with
                 BahdanauAttention) by tf.train.Checkpoint and by save_weights, with its case

Run:  tools/reference/.venv/bin/python tools/reference/gen_checkpoints.py
"""
import json
import os
import shutil
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tensorflow_addons as tfa  # noqa: E402
from tensorflow.core.protobuf import trackable_object_graph_pb2  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The Keras attention model of the TFA fixtures. Imported before TensorFlow runs anything: it
# sets TensorFlow's thread pools, which is only allowed before the runtime starts.
sys.path.insert(0, os.path.join(ROOT, "tools", "train"))
sys.path.insert(0, os.path.join(ROOT, "tools", "export"))
import gen_keras_attention  # noqa: E402
import write_case  # noqa: E402  (tools/export)
OUT = os.path.join(ROOT, "tests", "golden", "checkpoints")
RNG = np.random.default_rng(20261206)
LENGTHS = [5, 3, 2]


def reset(case):
    d = os.path.join(OUT, case)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def describe(case_dir, prefix, case=None, wrapper_case=None):
    """expected.json from TensorFlow's own checkpoint reader."""
    reader = tf.train.load_checkpoint(prefix)
    dtypes = reader.get_variable_to_dtype_map()
    shapes = reader.get_variable_to_shape_map()
    tensors = {}
    for key in sorted(dtypes):
        dt = dtypes[key]
        tensors[key] = {"dtype": dt.name,
                        "enum": int(dt.as_datatype_enum), "shape": [int(s) for s in shapes[key]]}
        if dt == tf.string:
            v = np.asarray(reader.get_tensor(key), dtype=object).reshape(-1)
            tensors[key]["hex"] = [bytes(x).hex() for x in v]
            continue
        v = np.asarray(reader.get_tensor(key))
        if dt in (tf.half, tf.bfloat16):
            v = v.astype(np.float32)
        tensors[key]["values"] = v.reshape(-1).tolist()
    variables = {}
    if "_CHECKPOINTABLE_OBJECT_GRAPH" in dtypes:
        graph = trackable_object_graph_pb2.TrackableObjectGraph()
        graph.ParseFromString(reader.get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"))
        slots = {s.slot_variable_node_id for n in graph.nodes for s in n.slot_variables}
        for i, node in enumerate(graph.nodes):
            for attr in node.attributes:
                if attr.name == "VARIABLE_VALUE" and i not in slots:
                    variables[attr.full_name] = attr.checkpoint_key
    rel = os.path.relpath(prefix, case_dir)
    with open(os.path.join(case_dir, "expected.json"), "w") as f:
        doc = {"prefix": rel, "tensors": tensors, "variables": variables}
        for key, c in (("case", case), ("wrapper_case", wrapper_case)):
            if c is not None:
                doc[key] = {k: np.asarray(v).reshape(-1).tolist() for k, v in c.items()}
        json.dump(doc, f, indent=1, sort_keys=True)


def rand(*shape):
    return RNG.uniform(-1.0, 1.0, size=shape).astype(np.float32)


def tf1_graph(sharded_devices=None):
    """A TF 1.x training graph: a GRU encoder, an AttentionWrapper(GRU, normalized Bahdanau)
    decoder over its outputs (TensorFlow Addons in graph mode, under dynamic_rnn), a Dense on
    the encoder, Adam, global_step, assorted dtypes."""
    v1 = tf.compat.v1
    devices = sharded_devices or [None, None]
    with tf.device(devices[0]):
        inputs = v1.placeholder(tf.float32, [3, 5, 3], name="inputs")
        cell = v1.nn.rnn_cell.GRUCell(6)
        outputs, _ = v1.nn.dynamic_rnn(cell, inputs, sequence_length=LENGTHS, dtype=tf.float32)
        logits = v1.layers.dense(outputs, 4, name="dense")
        decoder_inputs = v1.placeholder(tf.float32, [3, 4, 3], name="decoder_inputs")
        mechanism = tfa.seq2seq.BahdanauAttention(4, memory=outputs, normalize=True,
                                                  memory_sequence_length=LENGTHS)
        wrapper = tfa.seq2seq.AttentionWrapper(v1.nn.rnn_cell.GRUCell(6), mechanism,
                                               attention_layer_size=5)
        decoder_outputs, _ = v1.nn.dynamic_rnn(
            wrapper, decoder_inputs, scope="decoder",
            initial_state=wrapper.get_initial_state(batch_size=3, dtype=tf.float32))
        loss = tf.reduce_mean(tf.square(logits)) + tf.reduce_mean(tf.square(decoder_outputs))
        global_step = v1.train.get_or_create_global_step()
        train = v1.train.AdamOptimizer(0.01).minimize(loss, global_step=global_step)
    with tf.device(devices[1]):
        extras = v1.variable_scope("extras")
        with extras:
            v1.get_variable("f64", initializer=RNG.normal(size=(2, 3)), trainable=False)
            v1.get_variable("i32", initializer=np.arange(-3, 3, dtype=np.int32).reshape(2, 3),
                            trainable=False)
            v1.get_variable("i64", initializer=np.array([1 << 40, -7], dtype=np.int64),
                            trainable=False)
            v1.get_variable("flag", initializer=np.array([True, False, True]), trainable=False)
            v1.get_variable("half", initializer=tf.constant(rand(4), dtype=tf.float16),
                            trainable=False)
            v1.get_variable("bf16", initializer=tf.cast(rand(2, 2), tf.bfloat16),
                            trainable=False)
            v1.get_variable("scalar", initializer=np.float32(0.25), trainable=False)
            v1.get_variable("empty", initializer=np.zeros((0, 3), np.float32), trainable=False)
            v1.Variable("seq2seq checkpoint", name="note", trainable=False)
    return inputs, outputs, decoder_inputs, decoder_outputs, train


def write_tf1(case, sharded):
    d = reset(case)
    with tf.Graph().as_default():
        devs = ["/cpu:0", "/cpu:1"] if sharded else None
        inputs, outputs, decoder_inputs, decoder_outputs, train = tf1_graph(devs)
        saver = tf.compat.v1.train.Saver(sharded=sharded)
        config = tf.compat.v1.ConfigProto(device_count={"CPU": 2})
        with tf.compat.v1.Session(config=config) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            sess.run(train, {inputs: rand(3, 5, 3), decoder_inputs: rand(3, 4, 3)})
            prefix = saver.save(sess, os.path.join(d, "model.ckpt"), global_step=1)
            x, y = rand(3, 5, 3), rand(3, 4, 3)
            memory, decoded = sess.run([outputs, decoder_outputs], {inputs: x, decoder_inputs: y})
            case = {"inputs": x, "sequence_length": LENGTHS, "outputs": memory}
            wrapper_case = {"inputs": y, "memory": memory, "memory_sequence_length": LENGTHS,
                            "outputs": decoded}
    write_case.write_case(os.path.join(d, "case.safetensors"), case["inputs"], case["outputs"],
                          "tf1::gru_cell", "rnn/gru_cell", case["sequence_length"])
    for name in os.listdir(d):
        if name == "checkpoint" or name.endswith(".meta"):
            os.remove(os.path.join(d, name))
    describe(d, prefix, case, wrapper_case)


def write_partitioned():
    d = reset("partitioned")
    v1 = tf.compat.v1
    with tf.Graph().as_default():
        init = v1.random_uniform_initializer(-1.0, 1.0, seed=7)
        v1.get_variable("embedding", [10, 4], initializer=init,
                        partitioner=v1.fixed_size_partitioner(3))
        v1.get_variable("wide", [3, 5], initializer=init,
                        partitioner=v1.fixed_size_partitioner(2, axis=1))
        v1.get_variable("plain", [2], initializer=init)
        saver = v1.train.Saver()
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            prefix = saver.save(sess, os.path.join(d, "model.ckpt"), write_meta_graph=False)
    os.remove(os.path.join(d, "checkpoint"))
    describe(d, prefix)


def write_multi_block():
    d = reset("multi_block")
    with tf.Graph().as_default():
        for i in range(1400):
            # Names differ at their start, so the index's prefix compression cannot shrink them.
            tf.compat.v1.get_variable(f"v{i:04d}_" + "long_variable_name_" * 10,
                                      initializer=np.float32(i) + 0.5)
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            prefix = saver.save(sess, os.path.join(d, "model.ckpt"), write_meta_graph=False)
    os.remove(os.path.join(d, "checkpoint"))
    describe(d, prefix)


def keras_model():
    inputs = tf.keras.Input((5, 3), batch_size=3)
    x = tf.keras.layers.GRU(6, return_sequences=True, name="encoder")(inputs)
    out = tf.keras.layers.Dense(4, name="dense")(x)
    return tf.keras.Model(inputs, out)


def write_tf2_checkpoint():
    d = reset("tf2_checkpoint")
    model = keras_model()
    optimizer = tf.keras.optimizers.Adam(0.01)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(rand(3, 5, 3))))
    optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables),
                                  model.trainable_variables))
    ckpt = tf.train.Checkpoint(model=model, optimizer=optimizer)
    prefix = ckpt.write(os.path.join(d, "ckpt"))
    describe(d, prefix)


def write_keras_weights():
    d = reset("keras_weights")
    model = keras_model()
    model(rand(3, 5, 3))
    prefix = os.path.join(d, "weights")
    model.save_weights(prefix, save_format="tf")
    os.remove(os.path.join(d, "checkpoint"))
    x = rand(3, 5, 3)
    describe(d, prefix, {"inputs": x, "sequence_length": [5, 5, 5],
                         "outputs": model.get_layer("encoder")(x).numpy()})
    write_case.keras_rnn_case(os.path.join(d, "case.safetensors"), model.get_layer("encoder"))


def write_keras_tfa_attention():
    """tools/train/gen_keras_attention.py's Keras model with a TFA AttentionWrapper(GRUCell,
    BahdanauAttention), its weights drawn as there, saved by tf.train.Checkpoint and by
    save_weights; the case is the model's outputs for its inputs and memory."""
    g = gen_keras_attention
    rng = np.random.default_rng(g.SEED)
    inputs = rng.uniform(-1.0, 1.0, size=(g.B, g.T, g.I)).astype(np.float32)
    memory = rng.uniform(-1.0, 1.0, size=(g.B, g.TM, g.DM)).astype(np.float32)
    msl = np.asarray(g.MEMORY_SEQUENCE_LENGTH, dtype=np.int64)
    draws = {n: g.draw_weight(rng, n, g.EXPECTED_SHAPES[n]) for n in sorted(g.EXPECTED_SHAPES)}
    tf.keras.backend.clear_session()
    model = g.AttentionModel("float32")
    args = (tf.constant(inputs), tf.constant(memory), tf.constant(msl))
    model(args)
    for w in model.weights:
        w.assign(draws[g.short_name(w)].astype(np.float32))
    outputs = model(args)[0].numpy()
    case = {"inputs": inputs, "memory": memory, "memory_sequence_length": msl,
            "outputs": outputs}
    d = reset("keras_tfa_checkpoint")
    describe(d, tf.train.Checkpoint(model=model).write(os.path.join(d, "ckpt")), case)
    d = reset("keras_tfa_weights")
    model.save_weights(os.path.join(d, "weights"), save_format="tf")
    os.remove(os.path.join(d, "checkpoint"))
    describe(d, os.path.join(d, "weights"), case)


def write_saved_model():
    d = reset("saved_model")

    class Scale(tf.Module):
        def __init__(self):
            super().__init__()
            self.kernel = tf.Variable(rand(3, 2), name="kernel")
            self.bias = tf.Variable(rand(2), name="bias")

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def __call__(self, x):
            return x @ self.kernel + self.bias

    path = os.path.join(d, "model")
    tf.saved_model.save(Scale(), path)
    # Only variables/ is read; the graph is not needed by the C++ side.
    for name in os.listdir(path):
        if name != "variables":
            p = os.path.join(path, name)
            shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)
    describe(d, os.path.join(path, "variables", "variables"))


def main():
    tf.keras.utils.set_random_seed(20261206)
    write_tf1("tf1_saver", sharded=False)
    write_tf1("tf1_sharded", sharded=True)
    write_multi_block()
    write_partitioned()
    write_tf2_checkpoint()
    write_keras_weights()
    write_saved_model()
    write_keras_tfa_attention()
    for root, _, files in sorted(os.walk(OUT)):
        for f in sorted(files):
            p = os.path.join(root, f)
            print(f"{os.path.relpath(p, ROOT)}  {os.path.getsize(p)} bytes")


if __name__ == "__main__":
    main()
