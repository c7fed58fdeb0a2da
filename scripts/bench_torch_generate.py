#!/usr/bin/python3
"""G forward (inference) in PyTorch, for comparison with the engine's ONNX and TensorFlow.js paths (test/bench/onnx.bench.ts).

Two generators, both in eval mode under torch.no_grad(), NCHW:
  biggan       the Generator of scripts/bench_torch_step.py (the engine's arch 'biggan' restated), in eval mode
               (running BatchNorm statistics, spectral norm from its stored vectors).
  biggan-deep  pytorch-pretrained-BigGAN's BigGAN-deep generator restated (model.py): c = [z, embedding] feeds the
               first linear and every conditional BatchNorm; bottleneck GenBlocks (BN, ReLU, conv1x1; BN, ReLU,
               [nearest upsample], conv3x3; BN, ReLU, conv3x3; BN, ReLU, conv1x1; skip: first channels, [upsample]),
               SAGAN attention at 64x64, BN, ReLU, conv3x3 to `--to-rgb` channels (128 in the released weights),
               channels 0..2, tanh. BatchNorm statistics are blended from 51 per-truncation rows each call, as HF does.
               Spectral norm is folded into plain weights first (HF's eval mode divides by the stored sigma each call,
               a matrix-vector product per layer: negligible next to the convolutions).
Weights are random: timing does not depend on values.

Run it with Debian's interpreter, /usr/bin/python3 (python3-torch). Prints one JSON object on stdout.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# (upsample, in multiplier, out multiplier) per GenBlock, as HF's config.json `layers`
DEEP_LAYERS = {
    128: [(False, 16, 16), (True, 16, 16), (False, 16, 16), (True, 16, 8), (False, 8, 8), (True, 8, 4),
          (False, 4, 4), (True, 4, 2), (False, 2, 2), (True, 2, 1)],
    256: [(False, 16, 16), (True, 16, 16), (False, 16, 16), (True, 16, 8), (False, 8, 8), (True, 8, 8),
          (False, 8, 8), (True, 8, 4), (False, 4, 4), (True, 4, 2), (False, 2, 2), (True, 2, 1)],
}
ATTENTION_POSITION = 8
N_STATS = 51
EPS = 1e-4


class DeepBatchNorm(nn.Module):
    """HF's BigGANBatchNorm: statistics blended from per-truncation rows, conditional gain and bias."""

    def __init__(self, channels, cond_dim, conditional=True):
        super().__init__()
        self.register_buffer('running_means', torch.randn(N_STATS, channels) * 0.1)
        self.register_buffer('running_vars', torch.rand(N_STATS, channels) + 0.5)
        self.conditional = conditional
        if conditional:
            self.scale = nn.Linear(cond_dim, channels, bias=False)
            self.offset = nn.Linear(cond_dim, channels, bias=False)
        else:
            self.weight = nn.Parameter(torch.ones(channels))
            self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x, truncation, c=None):
        coef, start_idx = torch.tensor(truncation * (N_STATS - 1)).frac().item(), int(truncation * (N_STATS - 1))
        if coef != 0.0:
            mean = self.running_means[start_idx] * coef + self.running_means[start_idx + 1] * (1 - coef)
            var = self.running_vars[start_idx] * coef + self.running_vars[start_idx + 1] * (1 - coef)
        else:
            mean, var = self.running_means[start_idx], self.running_vars[start_idx]
        if self.conditional:
            weight = self.scale(c).unsqueeze(-1).unsqueeze(-1)
            bias = self.offset(c).unsqueeze(-1).unsqueeze(-1)
            return F.batch_norm(x, mean, var, None, None, False, 0.0, EPS) * weight + bias
        return F.batch_norm(x, mean, var, self.weight, self.bias, False, 0.0, EPS)


class SelfAttention(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.theta = nn.Conv2d(channels, channels // 8, 1, bias=False)
        self.phi = nn.Conv2d(channels, channels // 8, 1, bias=False)
        self.g = nn.Conv2d(channels, channels // 2, 1, bias=False)
        self.o = nn.Conv2d(channels // 2, channels, 1, bias=False)
        self.gamma = nn.Parameter(torch.tensor(0.7))

    def forward(self, x):
        b, c, h, w = x.shape
        theta = self.theta(x).view(b, c // 8, h * w)
        phi = F.max_pool2d(self.phi(x), 2).view(b, c // 8, h * w // 4)
        attn = F.softmax(torch.bmm(theta.permute(0, 2, 1), phi), -1)
        g = F.max_pool2d(self.g(x), 2).view(b, c // 2, h * w // 4)
        o = torch.bmm(g, attn.permute(0, 2, 1)).view(b, c // 2, h, w)
        return x + self.gamma * self.o(o)


class GenBlock(nn.Module):
    def __init__(self, cin, cout, cond_dim, up):
        super().__init__()
        mid = cin // 4
        self.up, self.cout, self.drop = up, cout, cin != cout
        self.bn_0, self.conv_0 = DeepBatchNorm(cin, cond_dim), nn.Conv2d(cin, mid, 1)
        self.bn_1, self.conv_1 = DeepBatchNorm(mid, cond_dim), nn.Conv2d(mid, mid, 3, padding=1)
        self.bn_2, self.conv_2 = DeepBatchNorm(mid, cond_dim), nn.Conv2d(mid, mid, 3, padding=1)
        self.bn_3, self.conv_3 = DeepBatchNorm(mid, cond_dim), nn.Conv2d(mid, cout, 1)

    def forward(self, x, c, truncation):
        x0 = x
        x = self.conv_0(F.relu(self.bn_0(x, truncation, c)))
        x = F.relu(self.bn_1(x, truncation, c))
        if self.up:
            x = F.interpolate(x, scale_factor=2, mode='nearest')
        x = self.conv_1(x)
        x = self.conv_2(F.relu(self.bn_2(x, truncation, c)))
        x = self.conv_3(F.relu(self.bn_3(x, truncation, c)))
        if self.drop:
            x0 = x0[:, :self.cout]
        if self.up:
            x0 = F.interpolate(x0, scale_factor=2, mode='nearest')
        return x + x0


class DeepGenerator(nn.Module):
    def __init__(self, res, ch, classes, z_dim, to_rgb):
        super().__init__()
        cond_dim = 2 * z_dim
        self.ch, self.z_dim = ch, z_dim
        self.embeddings = nn.Linear(classes, z_dim, bias=False)
        self.gen_z = nn.Linear(cond_dim, 4 * 4 * 16 * ch)
        self.layers = nn.ModuleList()
        for i, (up, a, b) in enumerate(DEEP_LAYERS[res]):
            if i == ATTENTION_POSITION:
                self.layers.append(SelfAttention(a * ch))
            self.layers.append(GenBlock(a * ch, b * ch, cond_dim, up))
        self.bn = DeepBatchNorm(ch, cond_dim, conditional=False)
        self.conv_to_rgb = nn.Conv2d(ch, to_rgb, 3, padding=1)

    def forward(self, z, y, truncation):
        c = torch.cat([z, self.embeddings(y)], 1)
        x = self.gen_z(c).view(-1, 4, 4, 16 * self.ch).permute(0, 3, 1, 2).contiguous()
        for layer in self.layers:
            x = layer(x, c, truncation) if isinstance(layer, GenBlock) else layer(x)
        x = self.conv_to_rgb(F.relu(self.bn(x, truncation)))
        return torch.tanh(x[:, :3])


def count(module):
    return sum(p.numel() for p in module.parameters())


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--arch', choices=['biggan', 'biggan-deep'], default='biggan-deep')
    p.add_argument('--res', type=int, default=128)
    p.add_argument('--ch', type=int, default=128)
    p.add_argument('--classes', type=int, default=1000)
    p.add_argument('--attention', type=int, default=64, help='BigGAN: self-attention resolution (0: none)')
    p.add_argument('--to-rgb', type=int, default=128, help='BigGAN-deep: output channels of the last conv')
    p.add_argument('--batch', type=int, default=1)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--runs', type=int, default=5, help='timed forwards, after one untimed warm-up')
    p.add_argument('--budget', type=float, default=60, help='stop timing after this many seconds (at least 2 runs)')
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.arch == 'biggan':
        from bench_torch_step import Generator  # the engine's BigGAN restated (same folder)
        attention = [a.attention] if 8 <= a.attention <= a.res else []
        G = Generator(a.res, a.ch, a.classes, attention)
        z_dim = G.z_dim
        forward = lambda z, y: G(z, y)  # noqa: E731
    else:
        z_dim = 128
        G = DeepGenerator(a.res, a.ch, a.classes, z_dim, a.to_rgb)
        forward = lambda z, y: G(z, y, 0.4)  # noqa: E731
    G.eval()
    z = torch.randn(a.batch, z_dim)
    y = torch.zeros(a.batch, a.classes)
    y[torch.arange(a.batch), torch.arange(a.batch) % a.classes] = 1
    times = []
    with torch.no_grad():
        forward(z, y)
        started = time.perf_counter()
        for i in range(a.runs):
            t0 = time.perf_counter()
            forward(z, y)
            times.append((time.perf_counter() - t0) * 1000)
            if i >= 1 and time.perf_counter() - started > a.budget:
                break
    ms = statistics.median(times)
    print(json.dumps({
        'arch': a.arch, 'res': a.res, 'ch': a.ch, 'batch': a.batch, 'threads': torch.get_num_threads(),
        'params_G': count(G), 'forward_ms_median': ms, 'images_per_s': a.batch * 1000 / ms, 'runs': len(times),
        'torch_version': torch.__version__,
    }))


if __name__ == '__main__':
    main()
