#!/usr/bin/env python3
"""The PyTorch twin of `churn-bench lstm`: same B, T, I, H, layers and threads.

Train step: zero_grad, batch_first nn.LSTM forward, Linear head on the last step, BCE with logits,
backward through time, Adam update. Inference: the forward pass under torch.no_grad().
Each side runs a warm-up step, then repeats for --seconds; rates use the median step time.
Prints the same final line as churn-bench:
  train_sequences_per_second=X infer_sequences_per_second=Y
"""
import argparse
import statistics
import time

import torch


def measure(step, budget, minimum=3):
    step()
    times = []
    start = time.perf_counter()
    while len(times) < minimum or time.perf_counter() - start < budget:
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), len(times)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--input", type=int, default=32)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--seconds", type=float, default=3)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    lstm = torch.nn.LSTM(a.input, a.hidden, num_layers=a.layers, batch_first=True)
    head = torch.nn.Linear(a.hidden, 1)
    params = list(lstm.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)
    x = torch.randn(a.batch, a.steps, a.input)
    y = torch.randint(0, 2, (a.batch,)).float()

    def train():
        opt.zero_grad(set_to_none=False)
        out, _ = lstm(x)
        logits = head(out[:, -1, :]).squeeze(1)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y)
        loss.backward()
        opt.step()

    def infer():
        with torch.no_grad():
            out, _ = lstm(x)
            head(out[:, -1, :])

    train_median, train_n = measure(train, a.seconds)
    infer_median, infer_n = measure(infer, a.seconds)
    print(f"config batch={a.batch} steps={a.steps} input={a.input} hidden={a.hidden} layers={a.layers} "
          f"threads={a.threads} torch={torch.__version__}")
    print(f"train iterations={train_n} median_ms={train_median * 1e3:.3f}")
    print(f"infer iterations={infer_n} median_ms={infer_median * 1e3:.3f}")
    print(f"train_sequences_per_second={a.batch / train_median:.1f} "
          f"infer_sequences_per_second={a.batch / infer_median:.1f}")


if __name__ == "__main__":
    main()
