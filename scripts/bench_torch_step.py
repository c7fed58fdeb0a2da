#!/usr/bin/python3
"""One BigGAN training step in PyTorch, for comparison with the engine's (test/bench/train.bench.ts).

A self-contained re-statement of the architecture main/engine builds for arch 'biggan' (arch.ts, networks/biggan.ts,
layers/*.ts), in NCHW: hierarchical z (one chunk per G block plus one for the first linear), a shared class embedding
(no spectral norm), conditional BatchNorm x_hat * (1 + W_g c) + W_b c, torch.nn.utils.spectral_norm on every conv and
linear (and on D's projection embedding), SAGAN self-attention where the config puts it, ResBlocks up / down, and the
projection discriminator with a global sum pool. Weights are torch's default init: timing does not depend on values.

One "train step" is what the engine's bench measures (train/step.ts plus both Adam updates):
  D step: fake = G(z, y) without gradient; D([fake; x], [y; y_real]) in one call; hinge; backward; Adam (D).
  G step: D(G(z, y), y); -mean; backward into G only; Adam (G).
Adam: beta1 0, beta2 0.999, eps 1e-6, lr G 1e-4 / D 4e-4 (bigganAdam in train/optimiser.ts).

Run it with Debian's interpreter, /usr/bin/python3 (python3-torch). Prints one JSON object on stdout.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import spectral_norm

# The engine's tables (arch.ts): G width multipliers per doubling, D (out multiplier, downsample) per block.
G_WIDTHS = {
    32: [(4, 4), (4, 4), (4, 4)],
    64: [(16, 16), (16, 8), (8, 4), (4, 2)],
    128: [(16, 16), (16, 8), (8, 4), (4, 2), (2, 1)],
    256: [(16, 16), (16, 8), (8, 8), (8, 4), (4, 2), (2, 1)],
    512: [(16, 16), (16, 8), (8, 8), (8, 4), (4, 2), (2, 1), (1, 1)],
}
D_BLOCKS = {
    32: [(4, True), (4, True), (4, False), (4, False)],
    64: [(1, True), (2, True), (4, True), (8, True), (16, False)],
    128: [(1, True), (2, True), (4, True), (8, True), (16, True), (16, False)],
    256: [(1, True), (2, True), (4, True), (8, True), (8, True), (16, True), (16, False)],
    512: [(1, True), (1, True), (2, True), (4, True), (8, True), (8, True), (16, True), (16, False)],
}
BOTTOM = 4
SN_EPS = 1e-6
BN_EPS = 1e-5
SHARED_DIM = 128


def sn(module):
    return spectral_norm(module, eps=SN_EPS)


def conv(cin, cout, k, bias=True):
    return sn(nn.Conv2d(cin, cout, k, padding=k // 2, bias=bias))


def linear(cin, cout, bias=True):
    return sn(nn.Linear(cin, cout, bias=bias))


class SNEmbedding(nn.Module):
    """D's projection embedding E [classes, dim], spectrally normalised with one row per class; y @ E."""

    def __init__(self, classes, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(classes, dim) * 0.02)

    def forward(self, y):
        return y @ self.weight


class ConditionalBN(nn.Module):
    def __init__(self, channels, cond_dim):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, eps=BN_EPS, momentum=0.1, affine=False)
        self.gain = linear(cond_dim, channels, bias=False)
        self.bias = linear(cond_dim, channels, bias=False)

    def forward(self, x, c):
        gain = (1 + self.gain(c)).view(c.shape[0], -1, 1, 1)
        bias = self.bias(c).view(c.shape[0], -1, 1, 1)
        return self.bn(x) * gain + bias


class SelfAttention(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.theta = conv(channels, channels // 8, 1, bias=False)
        self.phi = conv(channels, channels // 8, 1, bias=False)
        self.g = conv(channels, channels // 2, 1, bias=False)
        self.o = conv(channels // 2, channels, 1, bias=False)
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        b, c, h, w = x.shape
        n = h * w
        theta = self.theta(x).view(b, c // 8, n)
        phi = F.max_pool2d(self.phi(x), 2).view(b, c // 8, n // 4)
        g = F.max_pool2d(self.g(x), 2).view(b, c // 2, n // 4)
        beta = F.softmax(torch.bmm(theta.transpose(1, 2), phi), dim=-1)  # [b, N, N/4]
        o = torch.bmm(g, beta.transpose(1, 2)).view(b, c // 2, h, w)
        return x + self.gamma * self.o(o)


class GBlock(nn.Module):
    def __init__(self, cin, cout, cond_dim):
        super().__init__()
        self.bn1 = ConditionalBN(cin, cond_dim)
        self.conv1 = conv(cin, cout, 3)
        self.bn2 = ConditionalBN(cout, cond_dim)
        self.conv2 = conv(cout, cout, 3)
        self.shortcut = conv(cin, cout, 1)

    def forward(self, x, c):
        h = F.interpolate(F.relu(self.bn1(x, c)), scale_factor=2, mode='nearest')
        h = self.conv1(h)
        h = self.conv2(F.relu(self.bn2(h, c)))
        return h + self.shortcut(F.interpolate(x, scale_factor=2, mode='nearest'))


class Generator(nn.Module):
    def __init__(self, res, ch, classes, attention):
        super().__init__()
        widths = G_WIDTHS[res]
        self.chunks = len(widths) + 1
        self.z_dim = 20 * self.chunks  # defaultConfig: 20 per chunk
        z_chunk = self.z_dim // self.chunks
        cond_dim = SHARED_DIM + z_chunk
        self.first = widths[0][0] * ch
        self.shared = nn.Parameter(torch.randn(classes, SHARED_DIM) * 0.02)  # no spectral norm
        self.linear = linear(z_chunk, BOTTOM * BOTTOM * self.first)
        self.blocks = nn.ModuleList()
        self.attn = nn.ModuleDict()
        r = BOTTOM
        for i, (a, b) in enumerate(widths):
            r *= 2
            self.blocks.append(GBlock(a * ch, b * ch, cond_dim))
            if r in attention:
                self.attn[str(i)] = SelfAttention(b * ch)
        last = widths[-1][1] * ch
        self.out_bn = nn.BatchNorm2d(last, eps=BN_EPS, momentum=0.1, affine=True)
        self.to_rgb = conv(last, 3, 3)

    def forward(self, z, y):
        e = y @ self.shared
        zs = torch.split(z, self.z_dim // self.chunks, 1)
        h = self.linear(zs[0]).view(z.shape[0], self.first, BOTTOM, BOTTOM)
        for i, block in enumerate(self.blocks):
            h = block(h, torch.cat([zs[i + 1], e], 1))
            if str(i) in self.attn:
                h = self.attn[str(i)](h)
        return torch.tanh(self.to_rgb(F.relu(self.out_bn(h))))


class DBlock(nn.Module):
    def __init__(self, cin, cout, downsample, first):
        super().__init__()
        self.preactivation = not first
        self.downsample = downsample
        self.conv1 = conv(cin, cout, 3)
        self.conv2 = conv(cout, cout, 3)
        self.shortcut = conv(cin, cout, 1) if (cin != cout or downsample) else None

    def down(self, t):
        return F.avg_pool2d(t, 2) if self.downsample else t

    def project(self, t):
        return self.shortcut(t) if self.shortcut is not None else t

    def forward(self, x):
        h = self.conv1(F.relu(x) if self.preactivation else x)
        h = self.down(self.conv2(F.relu(h)))
        skip = self.down(self.project(x)) if self.preactivation else self.project(self.down(x))
        return h + skip


class Discriminator(nn.Module):
    def __init__(self, res, ch, classes, attention):
        super().__init__()
        self.blocks = nn.ModuleList()
        self.attn = nn.ModuleDict()
        placed = set()
        r, cin = res, 3
        for i, (m, downsample) in enumerate(D_BLOCKS[res]):
            if downsample:
                r //= 2
            self.blocks.append(DBlock(cin, m * ch, downsample, i == 0))
            if r in attention and r not in placed:  # after the first block ending at that resolution
                placed.add(r)
                self.attn[str(i)] = SelfAttention(m * ch)
            cin = m * ch
        self.linear = linear(cin, 1)
        self.embedding = spectral_norm(SNEmbedding(classes, cin), eps=SN_EPS, dim=0)

    def forward(self, x, y):
        h = x
        for i, block in enumerate(self.blocks):
            h = block(h)
            if str(i) in self.attn:
                h = self.attn[str(i)](h)
        h = torch.sum(F.relu(h), [2, 3])
        return self.linear(h).view(-1) + torch.sum(self.embedding(y) * h, 1)


def count(module):
    return sum(p.numel() for p in module.parameters())


def one_hot(batch, classes, offset=0):
    y = torch.zeros(batch, classes)
    y[torch.arange(batch), (torch.arange(batch) + offset) % classes] = 1
    return y


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--res', type=int, default=32)
    p.add_argument('--ch', type=int, default=16)
    p.add_argument('--classes', type=int, default=10)
    p.add_argument('--attention', type=int, default=16, help='self-attention resolution (0: none), as defaultConfig')
    p.add_argument('--batch', type=int, default=16)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--steps', type=int, default=10, help='timed steps, after 2 untimed warm-up steps')
    p.add_argument('--counts-only', action='store_true', help='print the parameter counts and exit')
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    # defaultConfig places attention only where 8 <= attention <= res
    attention = [a.attention] if 8 <= a.attention <= a.res else []
    G = Generator(a.res, a.ch, a.classes, attention)
    D = Discriminator(a.res, a.ch, a.classes, attention)
    result = {'params_G': count(G), 'params_D': count(D)}
    if a.counts_only:
        print(json.dumps(result))
        return
    G.train()
    D.train()
    g_opt = torch.optim.Adam(G.parameters(), lr=1e-4, betas=(0.0, 0.999), eps=1e-6)
    d_opt = torch.optim.Adam(D.parameters(), lr=4e-4, betas=(0.0, 0.999), eps=1e-6)

    b = a.batch
    z = torch.randn(b, G.z_dim)
    y = one_hot(b, a.classes)
    x = torch.rand(b, 3, a.res, a.res) * 2 - 1
    y_real = one_hot(b, a.classes, 1)

    def step():
        # D step
        for q in D.parameters():
            q.requires_grad_(True)
        with torch.no_grad():
            fake = G(z, y)
        logits = D(torch.cat([fake, x], 0), torch.cat([y, y_real], 0))
        fake_logits, real_logits = logits[:b], logits[b:]
        d_loss = F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
        d_opt.zero_grad(set_to_none=True)
        d_loss.backward()
        d_opt.step()
        # G step (D's weights fixed: no gradient for them)
        for q in D.parameters():
            q.requires_grad_(False)
        g_loss = -D(G(z, y), y).mean()
        g_opt.zero_grad(set_to_none=True)
        g_loss.backward()
        g_opt.step()
        return d_loss.item() + g_loss.item()

    for _ in range(2):
        step()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    ms = statistics.median(times)
    result.update({
        'step_ms_median': ms,
        'images_per_s': b * 1000 / ms,
        'steps': a.steps,
        'threads': torch.get_num_threads(),
        'torch_version': torch.__version__,
        'res': a.res, 'ch': a.ch, 'classes': a.classes, 'attention': a.attention, 'batch': b,
    })
    print(json.dumps(result))


if __name__ == '__main__':
    main()
