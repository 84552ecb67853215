#!/usr/bin/env python3
"""Trains a small Keras GRU on a memory task and writes a trained-weights golden pair.

Task: tokens x_t in {0, 1, 2}, T=12, full length (no masking); the target at every step is
(x_1 + ... + x_t) mod 3. Model (TF2 eager Keras 2.15):

    Input(T, int) -> Embedding(3, 8, name="embedding")
                  -> GRU(24, reset_after=True, return_sequences=True, return_state=True,
                         name="gru")   (default activations tanh / sigmoid)
                  -> Dense(3, name="dense")  (logits, per step)

Writes
  tests/golden/trained/keras_gru_model.safetensors     every weight under its Keras name
                                                       (embedding/embeddings, gru/gru_cell/*,
                                                       dense/*) via tools/export/export_keras.py
  tests/golden/trained/keras_gru_expected.safetensors  held-out batch of 8:
      inputs [8, T, 8] (the GRU's input = embedded tokens), outputs [8, T, 24],
      final_state [8, 24], head_outputs [8, T, 3] (Dense logits), tokens [8, T] (int64),
      targets [8, T] (int64); metadata accuracy = per-step accuracy on 4096 held-out sequences.

Deterministic: seeded NumPy data, tf.keras.utils.set_random_seed, op determinism, CPU only,
TF_ENABLE_ONEDNN_OPTS=0, one thread.
Run:  /tmp/tfref/venv/bin/python tools/train/train_keras_gru.py
"""
import os
import sys
import time

os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ["CUDA_VISIBLE_DEVICES"] = ""
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "export"))
from export_keras import export_keras  # noqa: E402
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "golden", "trained"))

SEED = 1234
T = 12
VOCAB = 3
EMB = 8
UNITS = 24
N_TRAIN = 16384
N_TEST = 4096
BATCH = 64
MIN_EPOCHS = 5
MAX_EPOCHS = 30
TARGET_ACC = 0.999
TASK = "running sum mod 3 of tokens in {0,1,2}, T=12, per-step 3-way classification"

tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.threading.set_intra_op_parallelism_threads(1)
tf.keras.utils.set_random_seed(SEED)
tf.config.experimental.enable_op_determinism()


def make_data(rng, n):
    x = rng.integers(0, VOCAB, size=(n, T)).astype(np.int64)
    y = (np.cumsum(x, axis=1) % VOCAB).astype(np.int64)
    return x, y


def build():
    tokens = tf.keras.Input(shape=(T,), dtype="int32", name="tokens")
    emb = tf.keras.layers.Embedding(VOCAB, EMB, name="embedding")(tokens)
    seq, state = tf.keras.layers.GRU(UNITS, reset_after=True, return_sequences=True,
                                     return_state=True, name="gru")(emb)
    logits = tf.keras.layers.Dense(VOCAB, name="dense")(seq)
    train_model = tf.keras.Model(tokens, logits, name="keras_gru_train")
    probe = tf.keras.Model(tokens, [emb, seq, state, logits], name="keras_gru_probe")
    return train_model, probe


def main():
    rng = np.random.default_rng(SEED)
    x_tr, y_tr = make_data(rng, N_TRAIN)
    x_te, y_te = make_data(rng, N_TEST)
    x_ex, y_ex = make_data(rng, 8)

    model, probe = build()
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=0.01),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    t0 = time.time()
    epochs = 0
    acc = 0.0
    for epoch in range(MAX_EPOCHS):
        hist = model.fit(x_tr.astype(np.int32), y_tr, batch_size=BATCH, epochs=1,
                         shuffle=True, verbose=0)
        epochs += 1
        pred = model.predict(x_te.astype(np.int32), batch_size=512, verbose=0)
        acc = float(np.mean(pred.argmax(-1) == y_te))
        print(f"epoch {epoch + 1}: loss {hist.history['loss'][0]:.4f} held-out acc {acc:.4f} "
              f"({time.time() - t0:.1f}s)", flush=True)
        if acc >= TARGET_ACC and epochs >= MIN_EPOCHS:
            break
    train_seconds = time.time() - t0
    seq_acc = float(np.mean(np.all(
        model.predict(x_te.astype(np.int32), batch_size=512, verbose=0).argmax(-1) == y_te,
        axis=1)))

    emb, seq, state, logits = [np.asarray(a) for a in probe(x_ex.astype(np.int32),
                                                              training=False)]
    gru = model.get_layer("gru")
    # The GRU layer alone on the embedded inputs must give the same numbers.
    seq2, state2 = gru(tf.constant(emb), training=False)
    assert np.array_equal(np.asarray(seq2), seq) and np.array_equal(np.asarray(state2), state)

    import keras
    meta = {
        "units": UNITS, "input_depth": EMB, "reset_after": 1, "vocab": VOCAB, "time_steps": T,
        "activation": "tanh", "recurrent_activation": "sigmoid",
        "task": TASK, "accuracy": f"{acc:.6f}", "sequence_accuracy": f"{seq_acc:.6f}",
        "held_out_sequences": N_TEST, "train_sequences": N_TRAIN, "epochs": epochs,
        "seed": SEED,
        "tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__,
        "layers": "embedding -> gru -> dense (logits)",
    }
    os.makedirs(OUT, exist_ok=True)
    model_path = os.path.join(OUT, "keras_gru_model.safetensors")
    export_keras(model, model_path, meta)
    expected_path = os.path.join(OUT, "keras_gru_expected.safetensors")
    write_safetensors(expected_path, {
        "inputs": emb.astype(np.float32),
        "outputs": seq.astype(np.float32),
        "final_state": state.astype(np.float32),
        "head_outputs": logits.astype(np.float32),
        "tokens": x_ex, "targets": y_ex,
    }, {"accuracy": f"{acc:.6f}", "sequence_accuracy": f"{seq_acc:.6f}",
        "units": UNITS, "input_depth": EMB, "reset_after": 1, "time_steps": T, "batch": 8,
        "task": TASK, "model_file": "keras_gru_model.safetensors",
        "inputs_note": "embedding/embeddings rows gathered by tokens (the GRU layer input)",
        "head_outputs_note": "dense logits over 3 classes, per step",
        "tensorflow": tf.__version__, "keras": keras.__version__})

    for path in (model_path, expected_path):
        tensors, md = read_safetensors(path)
        print(os.path.relpath(path), os.path.getsize(path), "bytes")
        for k in sorted(tensors):
            print(f"  {k} {tensors[k].dtype} {list(tensors[k].shape)}")
    print(f"held-out per-step accuracy {acc:.4f}, sequence accuracy {seq_acc:.4f}, "
          f"{epochs} epochs, {train_seconds:.1f}s")


if __name__ == "__main__":
    main()
