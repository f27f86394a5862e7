#!/usr/bin/env python3
"""Generate PyTorch reference fixtures for the Swift churn LSTM (parity tests).

Run from anywhere (needs torch, numpy, safetensors):

    python3 scripts/make_parity_fixtures.py            # writes into Tests/ChurnModelTests/Fixtures/
    python3 scripts/make_parity_fixtures.py --out-dir /tmp/fixtures

It writes two safetensors files:

* ``lstm_parity.safetensors`` -- 2-layer model, V=7, E=3, F=2, H=4, B=5,
  lengths [6, 3, 1, 4, 6] (deliberately unsorted), Tmax=6, pos_weight=2.0.
  Forward outputs, gradients, and three optimizer runs (Adam, AdamW,
  Adam + global-norm clipping) of 3 steps each.
* ``lstm_single_layer.safetensors`` -- 1-layer model, V=5, E=2, F=1, H=3, B=3,
  lengths [2, 5, 3], Tmax=5, plain BCE (no pos_weight). Forward outputs and
  gradients only.

Model semantics (what the Swift side must reproduce exactly)
------------------------------------------------------------
* x_t = concat(Embedding(event_id_t) [E], numeric_t [F])  ->  size I = E + F
  (embedding first, numeric features second).
* ``nn.LSTM(I, H, num_layers=L, batch_first=True)``, zero initial state.
  Gate order inside the stacked weights is PyTorch's **i, f, g, o**: rows
  [0:H] input gate, [H:2H] forget gate, [2H:3H] cell candidate, [3H:4H] output
  gate. Per step, per layer:
      gates = W_ih @ x_t + b_ih + W_hh @ h_{t-1} + b_hh
      i = sigmoid(gates[0:H]);   f = sigmoid(gates[H:2H])
      g = tanh(gates[2H:3H]);    o = sigmoid(gates[3H:4H])
      c_t = f * c_{t-1} + i * g; h_t = o * tanh(c_t)
  Layer l > 0 takes layer l-1's h_t as its input (so weight_ih_l{l>0} is [4H, H]).
  No dropout, unidirectional, bias on.
* Variable lengths via ``pack_padded_sequence(enforce_sorted=False)``: each
  sequence b runs only over steps t < lengths[b]; padded steps never touch the
  state, the outputs (``out.top_hidden`` is zero there), or any gradient.
* ``out.h_n`` / ``out.c_n`` are [L, B, H] in the ORIGINAL batch order, holding
  each layer's state at the LAST VALID step of each sequence.
* logit_b = head.weight @ h_n[-1, b] + head.bias  (Linear(H, 1) on the top
  layer's hidden state at the last valid step).
* Loss: ``F.binary_cross_entropy_with_logits(logits, labels, pos_weight=...)``,
  mean over the batch, i.e.
      loss = mean_b[ -(pw * y_b * log sigmoid(z_b) + (1 - y_b) * log(1 - sigmoid(z_b))) ]
  with pw = 2.0 for the parity fixture and pw = 1.0 (= no pos_weight) for the
  single-layer fixture.

Tensors (float32 unless noted; ids/lengths are int32)
----------------------------------------------------
    input.event_ids [B,T] i32   (0 at padded steps)
    input.numeric   [B,T,F]     (0 at padded steps)
    input.lengths   [B] i32
    input.labels    [B]
    <param>                      initial parameters, PyTorch names:
        embedding.weight [V,E]
        lstm.weight_ih_l{k} [4H,I or H], lstm.weight_hh_l{k} [4H,H],
        lstm.bias_ih_l{k} [4H], lstm.bias_hh_l{k} [4H]
        head.weight [1,H], head.bias [1]
    out.logits [B], out.loss [1], out.h_n [L,B,H], out.c_n [L,B,H],
    out.top_hidden [B,T,H]
    grad.<param>                 d loss / d param at the initial parameters
    grad.input.numeric [B,T,F]   d loss / d numeric input (0 at padded steps)
  parity fixture only -- parameters after 3 steps, each run starting from the
  initial parameters, same batch every step
  (zero_grad -> forward -> loss -> backward -> [clip] -> step):
    adam.<param>       Adam(lr=0.01, betas=(0.9, 0.999), eps=1e-8)
    adamw.<param>      AdamW(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)
                       (decoupled decay: p -= lr * wd * p before the Adam update)
    adam_clip.<param>  Adam as above with clip_grad_norm_(all params, max_norm=0.05)
                       before every step (global L2 norm over all parameter grads)
    adam_clip.grad_norm_step0 [1]   global grad norm before clipping at step 0

Metadata (strings): V, E, F, H, L, B, T, pos_weight, lengths ("6,3,1,4,6"),
generator (torch version), plus optimizer settings for the parity fixture.
"""

from __future__ import annotations

import argparse
import json
import struct
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.numpy import load_file, save_file
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

SEED = 1234
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT_DIR = REPO_ROOT / "Tests" / "ChurnModelTests" / "Fixtures"

# Optimizer settings for the parity fixture.
LR = 0.01
BETAS = (0.9, 0.999)
EPS = 1e-8
WEIGHT_DECAY = 0.1
MAX_NORM = 0.05
STEPS = 3


class ChurnLSTM(nn.Module):
    """Embedding + numeric features -> stacked LSTM -> Linear head on last valid step."""

    def __init__(self, vocab: int, embed: int, n_numeric: int, hidden: int, layers: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(
            input_size=embed + n_numeric,
            hidden_size=hidden,
            num_layers=layers,
            batch_first=True,
        )
        self.head = nn.Linear(hidden, 1)

    def forward(self, event_ids, numeric, lengths):
        """Return (logits [B], h_n [L,B,H], c_n [L,B,H], top_hidden [B,T,H])."""
        x = torch.cat([self.embedding(event_ids), numeric], dim=-1)  # [B, T, E+F]
        packed = pack_padded_sequence(
            x, lengths.to(torch.int64).cpu(), batch_first=True, enforce_sorted=False
        )
        packed_out, (h_n, c_n) = self.lstm(packed)  # h_n/c_n come back in original order
        top_hidden, _ = pad_packed_sequence(
            packed_out, batch_first=True, total_length=event_ids.shape[1]
        )
        logits = self.head(h_n[-1]).squeeze(-1)  # top layer, last valid step
        return logits, h_n, c_n, top_hidden


def bce_loss(logits, labels, pos_weight):
    """Mean-reduced BCE-with-logits; pos_weight None means plain BCE."""
    pw = None if pos_weight is None else torch.tensor([pos_weight], dtype=torch.float32)
    return F.binary_cross_entropy_with_logits(logits, labels, pos_weight=pw)


def make_batch(rng: np.random.Generator, vocab: int, n_numeric: int, lengths, labels):
    """Random ids / standard-normal features at valid steps, zeros at padded steps."""
    batch, t_max = len(lengths), max(lengths)
    event_ids = np.zeros((batch, t_max), dtype=np.int32)
    numeric = np.zeros((batch, t_max, n_numeric), dtype=np.float32)
    for b, n in enumerate(lengths):
        event_ids[b, :n] = rng.integers(0, vocab, size=n)
        numeric[b, :n] = rng.standard_normal((n, n_numeric)).astype(np.float32)
    return {
        "input.event_ids": event_ids,
        "input.numeric": numeric,
        "input.lengths": np.asarray(lengths, dtype=np.int32),
        "input.labels": np.asarray(labels, dtype=np.float32),
    }


def to_np(t: torch.Tensor, dtype=np.float32) -> np.ndarray:
    """Detached, contiguous, little-endian numpy copy."""
    return np.ascontiguousarray(t.detach().cpu().numpy().astype(np.dtype(dtype).newbyteorder("<")))


def torch_inputs(batch):
    return (
        torch.from_numpy(batch["input.event_ids"]).long(),
        torch.from_numpy(batch["input.numeric"]).clone(),
        torch.from_numpy(batch["input.lengths"]).long(),
        torch.from_numpy(batch["input.labels"]),
    )


def reference_lstm_numpy(model: ChurnLSTM, batch) -> tuple[np.ndarray, np.ndarray]:
    """Plain per-step float64 LSTM (i,f,g,o) used only to cross-check PyTorch; returns (h_n, c_n)."""
    sd = {k: v.detach().double().numpy() for k, v in model.state_dict().items()}
    layers, hidden = model.lstm.num_layers, model.lstm.hidden_size
    emb = sd["embedding.weight"][batch["input.event_ids"]]
    x_all = np.concatenate([emb, batch["input.numeric"].astype(np.float64)], axis=-1)
    sig = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    h_n = np.zeros((layers, len(batch["input.lengths"]), hidden))
    c_n = np.zeros_like(h_n)
    for b, n in enumerate(batch["input.lengths"]):
        seq = x_all[b, :n]
        for l in range(layers):
            w_ih, w_hh = sd[f"lstm.weight_ih_l{l}"], sd[f"lstm.weight_hh_l{l}"]
            bias = sd[f"lstm.bias_ih_l{l}"] + sd[f"lstm.bias_hh_l{l}"]
            h, c, outs = np.zeros(hidden), np.zeros(hidden), []
            for x in seq:
                g = w_ih @ x + w_hh @ h + bias
                i, f = sig(g[:hidden]), sig(g[hidden:2 * hidden])
                gg, o = np.tanh(g[2 * hidden:3 * hidden]), sig(g[3 * hidden:])
                c = f * c + i * gg
                h = o * np.tanh(c)
                outs.append(h)
            h_n[l, b], c_n[l, b], seq = h, c, np.stack(outs)
    return h_n, c_n


def forward_and_grads(model: ChurnLSTM, batch, pos_weight):
    """Forward + backward at the model's current parameters; returns tensors to save."""
    ids, numeric, lengths, labels = torch_inputs(batch)
    numeric.requires_grad_(True)
    model.zero_grad(set_to_none=True)
    logits, h_n, c_n, top_hidden = model(ids, numeric, lengths)
    loss = bce_loss(logits, labels, pos_weight)
    loss.backward()

    out = {
        "out.logits": to_np(logits),
        "out.loss": to_np(loss.reshape(1)),
        "out.h_n": to_np(h_n),
        "out.c_n": to_np(c_n),
        "out.top_hidden": to_np(top_hidden),
        "grad.input.numeric": to_np(numeric.grad),
    }
    for name, p in model.named_parameters():
        out[f"grad.{name}"] = to_np(p.grad)

    # --- self-checks -------------------------------------------------------
    n = batch["input.lengths"]
    for b in range(len(n)):
        # h_n[-1] is the top layer output at the last valid step ...
        assert np.array_equal(out["out.top_hidden"][b, n[b] - 1], out["out.h_n"][-1, b])
        # ... and padded steps produce zero outputs and zero input gradients.
        assert not out["out.top_hidden"][b, n[b]:].any()
        assert not out["grad.input.numeric"][b, n[b]:].any()
    # Independent float64 LSTM agrees with PyTorch (confirms gate order i,f,g,o).
    ref_h, ref_c = reference_lstm_numpy(model, batch)
    assert np.allclose(ref_h, out["out.h_n"], atol=1e-5), "h_n mismatch vs numpy reference"
    assert np.allclose(ref_c, out["out.c_n"], atol=1e-5), "c_n mismatch vs numpy reference"
    # Garbage in padded positions must not change anything.
    with torch.no_grad():
        ids2, num2 = ids.clone(), numeric.detach().clone()
        for b in range(len(n)):
            ids2[b, n[b]:] = model.embedding.num_embeddings - 1
            num2[b, n[b]:] = 123.0
        logits2, h2, c2, top2 = model(ids2, num2, lengths)
        assert torch.equal(logits2, logits) and torch.equal(h2, h_n)
        assert torch.equal(c2, c_n) and torch.equal(top2, top_hidden)
    return out


def optimizer_run(model: ChurnLSTM, init_state, batch, pos_weight, kind: str):
    """Load init_state, run STEPS optimizer steps on the batch; return (params, norm at step 0)."""
    model.load_state_dict(init_state)
    if kind == "adamw":
        opt = torch.optim.AdamW(model.parameters(), lr=LR, betas=BETAS, eps=EPS,
                                weight_decay=WEIGHT_DECAY)
    else:  # "adam" and "adam_clip"
        opt = torch.optim.Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS,
                               weight_decay=0.0)
    ids, numeric, lengths, labels = torch_inputs(batch)
    norm0 = None
    for step in range(STEPS):
        opt.zero_grad(set_to_none=True)
        logits, *_ = model(ids, numeric, lengths)
        loss = bce_loss(logits, labels, pos_weight)
        loss.backward()
        if kind == "adam_clip":
            total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=MAX_NORM)
            print(f"    adam_clip step {step}: loss={loss.item():.6f} "
                  f"unclipped grad norm={total.item():.6f}")
            if step == 0:
                norm0 = total.detach().reshape(1).clone()
                assert norm0.item() > MAX_NORM, "clipping would not be exercised"
        opt.step()
    params = {f"{kind}.{name}": to_np(p) for name, p in model.named_parameters()}
    return params, norm0


def canonicalize_header(path: Path) -> None:
    """Rewrite the safetensors JSON header with sorted keys, in place.

    safetensors writes its header from a Rust HashMap, so key order (not the
    tensor bytes) changes from run to run. Sorting it makes reruns byte-identical.
    The header keeps its length (same content, same compact separators, space
    padding), so the data offsets are untouched.
    """
    raw = bytearray(path.read_bytes())
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("ascii")
    assert len(text) <= n, "canonical header longer than original"
    raw[8:8 + n] = text + b" " * (n - len(text))
    path.write_bytes(bytes(raw))


def build_fixture(path: Path, *, vocab, embed, n_numeric, hidden, layers, lengths, labels,
                  pos_weight, with_optimizers: bool):
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)

    model = ChurnLSTM(vocab, embed, n_numeric, hidden, layers)  # PyTorch default init
    init_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    batch = make_batch(rng, vocab, n_numeric, lengths, labels)

    tensors = dict(batch)
    tensors.update({name: to_np(p) for name, p in model.named_parameters()})
    tensors.update(forward_and_grads(model, batch, pos_weight))

    metadata = {
        "V": str(vocab), "E": str(embed), "F": str(n_numeric), "H": str(hidden),
        "L": str(layers), "B": str(len(lengths)), "T": str(max(lengths)),
        # Plain BCE is exactly BCE with pos_weight = 1.0.
        "pos_weight": "1.0" if pos_weight is None else repr(float(pos_weight)),
        "lengths": ",".join(str(n) for n in lengths),
        "generator": f"scripts/make_parity_fixtures.py, torch {torch.__version__}",
    }

    if with_optimizers:
        unclipped = np.sqrt(sum(float((tensors[f"grad.{n}"].astype(np.float64) ** 2).sum())
                                for n, _ in model.named_parameters()))
        print(f"  global grad norm at init (unclipped): {unclipped:.6f} (max_norm={MAX_NORM})")
        for kind in ("adam", "adamw", "adam_clip"):
            params, norm0 = optimizer_run(model, init_state, batch, pos_weight, kind)
            tensors.update(params)
            if norm0 is not None:
                tensors["adam_clip.grad_norm_step0"] = to_np(norm0)
                assert abs(norm0.item() - unclipped) < 1e-5 * max(1.0, unclipped)
        metadata.update({
            "optimizer_steps": str(STEPS), "lr": repr(LR),
            "betas": f"{BETAS[0]!r},{BETAS[1]!r}", "eps": repr(EPS),
            "adamw_weight_decay": repr(WEIGHT_DECAY), "clip_max_norm": repr(MAX_NORM),
        })

    for name, arr in tensors.items():
        assert arr.flags["C_CONTIGUOUS"], name
        assert arr.dtype in (np.dtype("<f4"), np.dtype("<i4")), (name, arr.dtype)

    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata=metadata)
    canonicalize_header(path)
    reloaded = load_file(str(path))
    assert reloaded.keys() == tensors.keys()
    assert all(np.array_equal(reloaded[k], v) for k, v in tensors.items())

    print(f"wrote {path} ({path.stat().st_size} bytes), loss = {tensors['out.loss'][0]:.8f}")
    for name in sorted(tensors):
        arr = tensors[name]
        print(f"  {name:32s} {str(arr.dtype):8s} {list(arr.shape)}")
    return tensors


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR)
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.set_default_dtype(torch.float32)

    build_fixture(
        args.out_dir / "lstm_parity.safetensors",
        vocab=7, embed=3, n_numeric=2, hidden=4, layers=2,
        lengths=[6, 3, 1, 4, 6], labels=[1, 0, 1, 1, 0],
        pos_weight=2.0, with_optimizers=True,
    )
    build_fixture(
        args.out_dir / "lstm_single_layer.safetensors",
        vocab=5, embed=2, n_numeric=1, hidden=3, layers=1,
        lengths=[2, 5, 3], labels=[1, 0, 1],
        pos_weight=None, with_optimizers=False,
    )


if __name__ == "__main__":
    main()
