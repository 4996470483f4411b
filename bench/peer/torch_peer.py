#!/usr/bin/python3
"""PyTorch peer of hsvae's training step and k-NN scoring (issue 8).

The same reference model as ``src/model/resnet.ts`` (28x28x1, n = 128,
widths 16/32/64/64, TensorFlow "same" padding, nearest upsampling + crop),
the same batch (128) and the same losses as ``trainVAE`` with
``preset: "paper"``:

* ``vae``: squared error summed over pixels (mean over the batch) + Gaussian
  KL summed over dims (mean over the batch), one Adam step (lr 1e-3);
* ``compressed``: the same reconstruction + the ``paper``-preset compressed KL
  of METHOD.md §2 (cosines in O(n) by one reverse cumulative sum, biased batch
  std with epsilon 1e-12, squared penalties, w_k = 1/sqrt(k+1)), z normalised
  to radius sqrt(n).

Also times the latent-side loss alone (KL forward + backward, plus the sphere
normalisation for ``compressed``) on a [128, 128] batch, and k-NN scoring of seeded random data: a 60,000 x 128 bank and
``--queries`` queries, ``torch.cdist`` + ``topk(3, largest=False)`` in query
chunks. Training alternates vae / compressed for ``--rounds`` rounds and
keeps each variant's fastest round (median step within a round). Prints one
JSON object on stdout (progress on stderr).

    /usr/bin/python3 bench/peer/torch_peer.py [--steps 6] [--warmup 2] [--rounds 3] [--queries 10000] [--threads 2]

A benchmark only: the toolkit itself never needs Python.
"""

import argparse
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

N_LATENT = 128
BATCH = 128
WIDTHS = [16, 32, 64, 64]
IMAGE = (1, 28, 28)  # C, H, W
EXPECTED_PARAMS = {"encoder": 419_616, "decoder": 289_249}


class SameConv(nn.Module):
    """conv3x3 with TensorFlow's "same" padding (extra pad at bottom/right)."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.stride = stride
        self.conv = nn.Conv2d(cin, cout, 3, stride=stride,
                              padding=1 if stride == 1 else 0)

    def forward(self, x):
        if self.stride == 1:
            return self.conv(x)
        h, w = x.shape[-2:]
        ph = max((math.ceil(h / self.stride) - 1) * self.stride + 3 - h, 0)
        pw = max((math.ceil(w / self.stride) - 1) * self.stride + 3 - w, 0)
        x = F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))
        return self.conv(x)


class ResBlock(nn.Module):
    """x + conv(relu(conv(relu(x)))), no batch norm."""

    def __init__(self, c):
        super().__init__()
        self.conv1 = SameConv(c, c)
        self.conv2 = SameConv(c, c)

    def forward(self, x):
        return x + self.conv2(F.relu(self.conv1(F.relu(x))))


def stage_sizes(h, w, stages):
    sizes = [(h, w)]
    for _ in range(stages - 1):
        sizes.append((math.ceil(sizes[-1][0] / 2), math.ceil(sizes[-1][1] / 2)))
    return sizes


class Encoder(nn.Module):
    def __init__(self, n=N_LATENT, widths=WIDTHS, image=IMAGE):
        super().__init__()
        c, h, w = image
        sizes = stage_sizes(h, w, len(widths))
        layers = [SameConv(c, widths[0])]
        for i in range(len(widths) - 1):
            layers += [ResBlock(widths[i]), SameConv(widths[i], widths[i + 1], 2)]
        self.body = nn.Sequential(*layers)
        bh, bw = sizes[-1]
        self.head = nn.Linear(bh * bw * widths[-1], 2 * n)

    def forward(self, x):
        return self.head(torch.flatten(F.relu(self.body(x)), 1))


class Decoder(nn.Module):
    def __init__(self, n=N_LATENT, widths=WIDTHS, image=IMAGE):
        super().__init__()
        c, h, w = image
        self.sizes = stage_sizes(h, w, len(widths))
        self.widths = widths
        last = len(widths) - 1
        bh, bw = self.sizes[last]
        self.dense = nn.Linear(n, bh * bw * widths[last])
        self.stages = nn.ModuleList()
        for i in range(last - 1, -1, -1):
            self.stages.append(nn.ModuleDict({
                "conv": SameConv(widths[i + 1], widths[i]),
                "block": ResBlock(widths[i]),
            }))
        self.out = SameConv(widths[0], c)

    def forward(self, z):
        last = len(self.widths) - 1
        bh, bw = self.sizes[last]
        x = F.relu(self.dense(z).view(-1, self.widths[last], bh, bw))
        for j, i in enumerate(range(last - 1, -1, -1)):
            x = F.interpolate(x, scale_factor=2, mode="nearest")
            h, w = self.sizes[i]
            x = x[:, :, :h, :w]  # crop bottom/right, as Cropping2D [[0, 1], [0, 1]]
            st = self.stages[j]
            x = st["block"](st["conv"](x))
        return torch.sigmoid(self.out(F.relu(x)))


def count_params(m):
    return sum(p.numel() for p in m.parameters())


def forward_flops(model, inp):
    """Multiply-adds x 2 of conv and linear layers (+ bias adds), one forward."""
    total = [0]

    def conv_hook(mod, _inp, out):
        cin = mod.in_channels
        kh, kw = mod.kernel_size
        per_out = 2 * cin * kh * kw + (1 if mod.bias is not None else 0)
        total[0] += per_out * out.numel()

    def lin_hook(mod, _inp, out):
        total[0] += (2 * mod.in_features + (1 if mod.bias is not None else 0)) * out.numel()

    hooks = []
    for mod in model.modules():
        if isinstance(mod, nn.Conv2d):
            hooks.append(mod.register_forward_hook(conv_hook))
        elif isinstance(mod, nn.Linear):
            hooks.append(mod.register_forward_hook(lin_hook))
    with torch.no_grad():
        model(inp)
    for h in hooks:
        h.remove()
    return total[0] // inp.shape[0]


# --- losses (the `paper` preset of src/loss/compressed_loss.ts) ---------------

def split_head(out, n):
    mu = out[:, :n]
    log_var = torch.clamp(out[:, n:], -30, 20)
    return mu, torch.exp(0.5 * log_var)


def reconstruction(x, x_hat):
    return ((x - x_hat) ** 2).sum(dim=(1, 2, 3)).mean()


def gaussian_kl(mu, sigma):
    log_var = 2 * torch.log(torch.clamp(sigma, min=1e-20))
    return (0.5 * (mu ** 2 + sigma ** 2 - log_var - 1)).sum(1).mean()


def angle_cosines(x, eps=1e-12, zero_tail=1.0):
    """Radius and cos(phi_k), k = 1..n-1, via one reverse cumulative sum."""
    m = x.detach().abs().amax(1, keepdim=True)
    m = torch.where(m > 0, m, torch.ones_like(m))
    y = x / m
    tail = torch.flip(torch.cumsum(torch.flip(y * y, [1]), 1), [1])
    t0 = tail[:, 0]
    z0 = (t0 == 0).float()
    radius = torch.sqrt(t0 + z0) * (1 - z0) * m[:, 0]
    t = tail[:, :-1]
    zt = (t == 0).float()
    cos = y[:, :-1] / torch.sqrt(t + zt + eps / (m * m))
    return radius, cos * (1 - zt) + zt * zero_tail


def batch_stats(x, eps=1e-12):
    mean = x.mean(0)
    var = ((x - mean) ** 2).mean(0)  # biased
    return mean, torch.sqrt(var + eps)


def compressed_kl(mu, sigma, sigma0=0.1):
    n = mu.shape[1]
    k = torch.arange(1, n, dtype=mu.dtype)
    w = 1 / torch.sqrt(k + 1)
    iso = 1 / torch.sqrt(n - k + 1)
    r_mu, c_mu = angle_cosines(mu)
    r_sig, c_sig = angle_cosines(sigma)
    m, s = batch_stats(c_mu)
    angles_mu = (w * ((m - 1) ** 2 + s ** 2)).sum()
    m, s = batch_stats(c_sig)
    angles_sig = (w * ((m - iso) ** 2 + s ** 2)).sum()
    m, s = batch_stats(r_mu[:, None])
    radius_mu = ((m - math.sqrt(n)) ** 2 + s ** 2).sum()
    m, s = batch_stats(r_sig[:, None])
    radius_sig = ((m - math.sqrt(n) * sigma0) ** 2 + s ** 2).sum()
    return angles_mu + angles_sig + radius_mu + radius_sig


def step_fn(enc, dec, opt, x, variant, n=N_LATENT):
    opt.zero_grad(set_to_none=True)
    mu, sigma = split_head(enc(x), n)
    z = mu + sigma * torch.randn_like(mu)
    if variant == "compressed":
        z = math.sqrt(n) * z / torch.sqrt(torch.clamp((z * z).sum(1, keepdim=True), min=1e-24))
        kl = compressed_kl(mu, sigma)
    else:
        kl = gaussian_kl(mu, sigma)
    loss = reconstruction(x, dec(z)) + kl  # beta(0) = 1 for a 1-epoch schedule
    loss.backward()
    opt.step()
    return float(loss)


def time_latent_loss(variant, reps, n=N_LATENT):
    """KL forward + backward (plus sphere normalisation for compressed) alone."""
    g = torch.Generator().manual_seed(11)
    mu = torch.randn(BATCH, n, generator=g).requires_grad_()
    sigma = torch.exp(0.3 * torch.randn(BATCH, n, generator=g)).requires_grad_()
    eps = torch.randn(BATCH, n, generator=g)
    times = []
    for i in range(reps + 3):
        t0 = time.perf_counter()
        z = mu + sigma * eps
        if variant == "compressed":
            z = math.sqrt(n) * z / torch.sqrt(torch.clamp((z * z).sum(1, keepdim=True), min=1e-24))
            kl = compressed_kl(mu, sigma)
        else:
            kl = gaussian_kl(mu, sigma)
        torch.autograd.grad(kl + 1e-3 * z.sum(), [mu, sigma])
        if i >= 3:
            times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def time_training(variant, steps, warmup, seed):
    torch.manual_seed(seed)
    enc, dec = Encoder(), Decoder()
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=1e-3)
    x = torch.rand(BATCH, *IMAGE)
    for _ in range(warmup):
        step_fn(enc, dec, opt, x, variant)
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        loss = step_fn(enc, dec, opt, x, variant)
        times.append(time.perf_counter() - t0)
    if not math.isfinite(loss):
        raise RuntimeError(f"Cannot benchmark {variant}: the loss is {loss}")
    sec = sorted(times)[len(times) // 2]  # median step
    return {"imagesPerSecond": BATCH / sec, "secondsPerStep": sec,
            "meanSecondsPerStep": sum(times) / len(times), "steps": steps,
            "warmup": warmup, "lastLoss": loss}


def time_knn(bank_rows, dim, queries, k, chunk, seed):
    g = torch.Generator().manual_seed(seed)
    bank = torch.rand(bank_rows, dim, generator=g) - 0.5
    q = torch.rand(queries, dim, generator=g) - 0.5
    out = torch.empty(queries)
    with torch.no_grad():
        # warm-up on one small chunk
        torch.cdist(q[:64], bank).topk(k, largest=False)
        t0 = time.perf_counter()
        for s in range(0, queries, chunk):
            d = torch.cdist(q[s:s + chunk], bank)
            out[s:s + chunk] = d.topk(k, dim=1, largest=False).values.mean(1)
        sec = time.perf_counter() - t0
    return {"queriesPerSecond": queries / sec, "seconds": sec, "queries": queries,
            "bank": bank_rows, "dim": dim, "k": k, "chunk": chunk,
            "meanScore": float(out.mean())}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--queries", type=int, default=10_000)
    p.add_argument("--bank", type=int, default=60_000)
    p.add_argument("--chunk", type=int, default=1024)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)

    enc, dec = Encoder(), Decoder()
    params = {"encoder": count_params(enc), "decoder": count_params(dec)}
    if params != EXPECTED_PARAMS:
        raise SystemExit(f"Cannot benchmark: parameter counts {params} differ from hsvae's {EXPECTED_PARAMS}")
    x = torch.rand(2, *IMAGE)
    enc_f = forward_flops(enc, x)
    dec_f = forward_flops(dec, torch.rand(2, N_LATENT))
    print(f"params encoder {params['encoder']:,} decoder {params['decoder']:,}", file=sys.stderr)

    result = {
        "peer": "pytorch",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "batch": BATCH,
        "latentDim": N_LATENT,
        "params": params,
        "flopsPerImage": {"encoderForward": enc_f, "decoderForward": dec_f,
                          "forward": enc_f + dec_f,
                          "training": 3 * (enc_f + dec_f)},
    }
    # alternate the variants for --rounds rounds and keep each one's fastest
    # round (interference from other work only ever slows a round down)
    for r in range(a.rounds):
        for variant in ("vae", "compressed"):
            print(f"timing {variant} round {r + 1}/{a.rounds} ({a.warmup} warm-up + {a.steps} steps)",
                  file=sys.stderr)
            res = time_training(variant, a.steps, a.warmup, a.seed)
            best = result.get(variant)
            if best is None or res["secondsPerStep"] < best["secondsPerStep"]:
                res["rounds"] = a.rounds
                result[variant] = res
    result["latentLossSeconds"] = {v: time_latent_loss(v, 30) for v in ("vae", "compressed")}
    result["latentLossSeconds256"] = {v: time_latent_loss(v, 30, 256) for v in ("vae", "compressed")}
    print(f"timing k-NN ({a.queries} queries x {a.bank} bank)", file=sys.stderr)
    result["knn"] = time_knn(a.bank, N_LATENT, a.queries, 3, a.chunk, a.seed + 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
