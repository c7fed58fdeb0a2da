#!/usr/bin/python3
"""Builds test/fixtures/biggan-pytorch/exact-step.safetensors: BigGAN-PyTorch's own training step on the fixture,
computed in float64, so that a float32 step can be judged against the exact gradients and not only against another
float32 computation.

Usage:  /usr/bin/python3 scripts/make_biggan_pytorch_exact_step.py BIGGAN_PYTORCH_CHECKOUT [--fixture DIR]

BIGGAN_PYTORCH_CHECKOUT is a checkout of the public ajbrock/BigGAN-PyTorch repository (nothing of it is copied here):
its BigGAN.py builds G and D from the fixture's config.json, and its G_D runs the step the fixture's
reference.safetensors records in float32 (train mode; the D step feeds concat([G(z), x_real]) with the classes twice
to D in one call and takes the hinge loss; then the G step: G(z) again, D once more, the generator's hinge loss),
here with every weight, buffer and input in float64.

Why: a gradient that reaches the loss only through a long chain of cancellations is ill-conditioned in float32. The
biases of G's blocks before the attention layer are such gradients (the next train-mode BatchNorm removes a channel's
shift from the residual path, the output BatchNorm removes it from the shortcuts, so only attention sees it), and
BigGAN-PyTorch's own float32 step puts them about 2e-3 from the exact values: a float32 step that is closer to the
exact step than that cannot be within 1e-3 of the float32 fixture.

Written: `g_grad.<param>` for every G parameter (the float64 gradient rounded to float32: a relative rounding of
~6e-8, far below what is compared), `d_loss` and `g_loss` (float64). Run with Debian's interpreter (python3-torch
1.13): deterministic for a given torch build.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch


def read_safetensors(path):
    data = open(path, 'rb').read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    kinds = {'F32': np.float32, 'F64': np.float64, 'I64': np.int64, 'I32': np.int32}
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        start, end = info['data_offsets']
        out[name] = np.frombuffer(data[8 + n + start:8 + n + end], dtype=kinds[info['dtype']]).reshape(info['shape'])
    return out


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        kind = {np.dtype(np.float32): 'F32', np.dtype(np.float64): 'F64'}[array.dtype]
        array = np.ascontiguousarray(array)
        header[name] = {'dtype': kind, 'shape': list(array.shape), 'data_offsets': [offset, offset + array.nbytes]}
        offset += array.nbytes
        blobs.append(array.tobytes())
    text = json.dumps(header, sort_keys=True).encode()
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(blobs))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkout')
    parser.add_argument('--fixture', default=os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'biggan-pytorch'))
    args = parser.parse_args()
    sys.path.insert(0, args.checkout)
    import BigGAN  # noqa: E402 (the checkout's, found through sys.path)

    config = json.load(open(os.path.join(args.fixture, 'config.json')))
    G = BigGAN.Generator(**config['generator'])
    D = BigGAN.Discriminator(**config['discriminator'])
    G.load_state_dict(torch.load(os.path.join(args.fixture, 'G_ema.pth')))
    D.load_state_dict(torch.load(os.path.join(args.fixture, 'D.pth')))
    G.double().train()
    D.double().train()
    reference = read_safetensors(os.path.join(args.fixture, 'reference.safetensors'))
    z = torch.tensor(reference['eval.z'], dtype=torch.float64)
    classes = torch.tensor(reference['eval.classes'], dtype=torch.int64)
    x_real = torch.tensor(reference['eval.x_real_nchw'], dtype=torch.float64)
    GD = BigGAN.G_D(G, D)

    D_fake, D_real = GD(z, classes, x_real, classes, train_G=False)
    d_loss = torch.relu(1 - D_real).mean() + torch.relu(1 + D_fake).mean()
    d_loss.backward()
    G.zero_grad()
    D.zero_grad()
    g_loss = -GD(z, classes, train_G=True).mean()
    g_loss.backward()

    out = {'d_loss': np.array([d_loss.item()]), 'g_loss': np.array([g_loss.item()])}
    for name, p in G.named_parameters():
        if p.grad is not None:
            out[f'g_grad.{name}'] = p.grad.detach().numpy().astype(np.float32)
    path = os.path.join(args.fixture, 'exact-step.safetensors')
    write_safetensors(path, out)
    print(f'{path}: d_loss {d_loss.item()}, g_loss {g_loss.item()}, {len(out) - 2} G gradients')


if __name__ == '__main__':
    main()
