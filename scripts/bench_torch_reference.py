#!/usr/bin/python3
"""One BigGAN training step timed in BigGAN-PyTorch's own code, for comparison with the engine's
(test/bench/train.bench.ts).

Usage:  /usr/bin/python3 scripts/bench_torch_reference.py --reference BIGGAN_PYTORCH_CHECKOUT [--arch biggan|biggan-deep]
            [--res 32] [--ch 16] [--classes 10] [--attention 16] [--batch 16] [--threads 1] [--steps 5] [--warmup 2]

BIGGAN_PYTORCH_CHECKOUT (or env BIGGAN_PYTORCH_DIR) is a checkout of the public ajbrock/BigGAN-PyTorch repository;
nothing of it is copied here. Its BigGAN.py / BigGANdeep.py build G and D (with their own Adam as G.optim / D.optim),
BigGAN.G_D runs them as train.py does, and train_fns.GAN_training_function is the step: one D step (G forward without
gradient, D on [G(z); x] in one call, hinge, backward, D.optim.step()) then one G step (D(G(z)), -mean, backward,
G.optim.step()), with toggle_grads on, no accumulation, no orthogonal regularisation and no EMA.

G and D are configured as the engine's defaultConfig (main/engine/config.ts) builds them: shared embedding 128,
hierarchical z of 20 per chunk for BigGAN, z 128 concatenated with the class embedding for BigGAN-deep (its launch
scripts' --hier), BN eps 1e-5, SN eps 1e-6 with one singular value and one power step, self-attention at --attention
where 8 <= attention <= res (in D only below the image's resolution), Adam beta1 0, beta2 0.999, eps 1e-6, lr G 1e-4,
D 4e-4. D_arch labels every block of its 32-px D with resolution 16, which would put attention after all four
blocks; each block's true output size (16, 8, 8, 8 there; unchanged at the other resolutions) is set here so attention
sits after the first block ending at its resolution, as the engine's arch.ts places it. The parameter counts printed let the bench check that both sides built the same networks.

What train_fns.py imports but one step does not use (utils.py's torchvision and dataset imports) is replaced by empty
stand-ins in sys.modules; utils.py itself is the checkout's (toggle_grad, prepare_z_y).

Memory: peak_rss_mib is this process's peak resident set (getrusage ru_maxrss), rss_before_model_mib its resident set
after importing torch and the reference modules, before any network exists.

Run it with Debian's interpreter, /usr/bin/python3 (python3-torch). Prints one JSON object on stdout (the reference
modules' own prints go to stderr).
"""
import argparse
import contextlib
import json
import os
import resource
import statistics
import sys
import time
import types

import torch


class _StandIn(types.ModuleType):
    """A module whose every attribute is a placeholder class: utils.py builds dicts of dataset classes at import."""

    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        return type(name, (), {})


def import_reference(checkout):
    for name in ('BigGAN.py', 'BigGANdeep.py', 'layers.py', 'train_fns.py', 'utils.py', 'losses.py'):
        if not os.path.isfile(os.path.join(checkout, name)):
            raise SystemExit(f'bench_torch_reference: {checkout} has no {name}; pass --reference with a checkout of '
                             'ajbrock/BigGAN-PyTorch (or set BIGGAN_PYTORCH_DIR)')
    for name in ('torchvision', 'torchvision.transforms', 'torchvision.datasets', 'torchvision.datasets.utils',
                 'datasets'):
        sys.modules.setdefault(name, _StandIn(name))
    sys.path.insert(0, checkout)
    with contextlib.redirect_stdout(sys.stderr):
        import BigGAN
        import BigGANdeep
        import train_fns
        import utils
    return BigGAN, BigGANdeep, train_fns, utils


def attention_string(attention, res):
    return str(attention) if 8 <= attention <= res else '0'


def with_true_resolutions(D_arch):
    """D_arch with each block's real output size (the input's, halved at every downsampling block)."""
    def arch(*args, **kwargs):
        tables = D_arch(*args, **kwargs)
        for res, table in tables.items():
            sizes, r = [], res
            for downsample, _ in zip(table['downsample'], table['out_channels']):
                r = r // 2 if downsample else r
                sizes.append(r)
            table['resolution'] = sizes
        return tables
    return arch


def rss_mib():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024
    return float('nan')


def count(module):
    return sum(p.numel() for p in module.parameters())


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--reference', default=os.environ.get('BIGGAN_PYTORCH_DIR'),
                   help='checkout of ajbrock/BigGAN-PyTorch (default: env BIGGAN_PYTORCH_DIR)')
    p.add_argument('--arch', choices=['biggan', 'biggan-deep'], default='biggan')
    p.add_argument('--res', type=int, default=32)
    p.add_argument('--ch', type=int, default=16)
    p.add_argument('--classes', type=int, default=10)
    p.add_argument('--attention', type=int, default=16, help='self-attention resolution (0: none), as defaultConfig')
    p.add_argument('--batch', type=int, default=16)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--steps', type=int, default=5, help='timed steps, after --warmup untimed ones')
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--counts-only', action='store_true', help='print the parameter counts and exit')
    a = p.parse_args()
    if not a.reference:
        raise SystemExit('bench_torch_reference: no BigGAN-PyTorch checkout; pass --reference DIR or set BIGGAN_PYTORCH_DIR')

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    BigGAN, BigGANdeep, train_fns, utils = import_reference(a.reference)
    rss_before_model = rss_mib()

    module = BigGANdeep if a.arch == 'biggan-deep' else BigGAN
    module.D_arch = with_true_resolutions(module.D_arch)
    g_attention = attention_string(a.attention, a.res)
    d_attention = g_attention if a.attention < a.res else '0'
    blocks = len(module.G_arch(a.ch, g_attention)[a.res]['in_channels'])
    dim_z = 20 * (blocks + 1) if a.arch == 'biggan' else 128
    common = dict(resolution=a.res, n_classes=a.classes, adam_eps=1e-6, SN_eps=1e-6,
                  num_G_SVs=1, num_G_SV_itrs=1, num_D_SVs=1, num_D_SV_itrs=1)
    with contextlib.redirect_stdout(sys.stderr):
        G = module.Generator(G_ch=a.ch, dim_z=dim_z, G_attn=g_attention, G_shared=True, shared_dim=128, hier=True,
                             BN_eps=1e-5, G_lr=1e-4, G_B1=0.0, G_B2=0.999, **common)
        D = module.Discriminator(D_ch=a.ch, D_attn=d_attention, D_lr=4e-4, D_B1=0.0, D_B2=0.999, **common)
    result = {'params_G': count(G), 'params_D': count(D), 'reference': 'BigGAN-PyTorch'}
    if a.counts_only:
        print(json.dumps(result))
        return

    G.train()
    D.train()
    GD = BigGAN.G_D(G, D)
    b = a.batch
    z_, y_ = utils.prepare_z_y(b, G.dim_z, a.classes, device='cpu')
    config = {'batch_size': b, 'toggle_grads': True, 'num_D_steps': 1, 'num_D_accumulations': 1,
              'num_G_accumulations': 1, 'split_D': False, 'D_ortho': 0.0, 'G_ortho': 0.0, 'ema': False}
    step = train_fns.GAN_training_function(G, D, GD, z_, y_, None, {'itr': 0}, config)
    x = torch.rand(b, 3, a.res, a.res) * 2 - 1
    y = torch.arange(b) % a.classes

    # GAN_training_function ends with .item() on every loss: each call returns after both Adam steps have run.
    for _ in range(a.warmup):
        step(x, y)
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step(x, y)
        times.append((time.perf_counter() - t0) * 1000)
    ms = statistics.median(times)
    result.update({
        'step_ms_median': ms,
        'times_ms': times,
        'images_per_s': b * 1000 / ms,
        'steps': a.steps,
        'threads': torch.get_num_threads(),
        'torch_version': torch.__version__,
        'rss_before_model_mib': rss_before_model,
        'peak_rss_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        'arch': a.arch, 'res': a.res, 'ch': a.ch, 'classes': a.classes, 'attention': a.attention, 'batch': b,
    })
    print(json.dumps(result))


if __name__ == '__main__':
    main()
