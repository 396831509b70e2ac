"""PyTorch on the same two recipes as bench/gpu/node-bench.ts, for the GPU machine's
benchmark (issue #14): whole-epoch times on the MNIST training digits, FP32 with TF32
off, the data on the device and gathered per batch through a fresh permutation each
epoch (as the library does).

  - autoencoder 784-256-784, sigmoid encoder and decoder, BCE from the logits summed
    over pixels and averaged over the batch, batch 256, SGD lr 0.1;
  - the PyTorch example's VAE 784-400-20 (ReLU), Bernoulli decoder + KL, batch 128,
    Adam 1e-3.

  python3 bench/gpu/pytorch_epochs.py --mnist DIR [--images N] [--epochs E] [--out FILE]

Without CUDA it runs on the CPU and says so (for trying the script without a GPU).
"""
import argparse, json, os, struct, time
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

D = 784


def idx_images(folder, count):
    with open(os.path.join(folder, 'train-images-idx3-ubyte'), 'rb') as f:
        raw = f.read()
    n, rows, cols = struct.unpack('>III', raw[4:16])
    assert rows * cols == D and count <= n, (rows, cols, n, count)
    return np.frombuffer(raw, dtype=np.uint8, offset=16, count=count * D).reshape(count, D)


class Autoencoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Linear(D, 256)
        self.dec = nn.Linear(256, D)

    def loss(self, x):
        logits = self.dec(torch.sigmoid(self.enc(x)))
        return F.binary_cross_entropy_with_logits(logits, x, reduction='sum') / x.shape[0]


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(D, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, D)

    def loss(self, x):
        h = F.relu(self.fc1(x))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        logits = self.fc4(F.relu(self.fc3(z)))
        bce = F.binary_cross_entropy_with_logits(logits, x, reduction='sum')
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return (bce + kl) / x.shape[0]


def dense_flops(layers):
    """Matmul flops per sample: forward, dW and dIn per layer (no dIn for the first)."""
    return sum(2 * i * o * (2 if k == 0 else 3) for k, (i, o) in enumerate(layers))


RECIPES = [
    ('autoencoder 784-256-784 (sigmoid, BCE), batch 256, SGD 0.1', Autoencoder, 256,
     lambda p: torch.optim.SGD(p, lr=0.1), dense_flops([(D, 256), (256, D)])),
    ('VAE 784-400-20 (ReLU, Bernoulli decoder), batch 128, Adam 1e-3', VAE, 128,
     lambda p: torch.optim.Adam(p, lr=1e-3), dense_flops([(D, 400), (400, 20), (400, 20), (20, 400), (400, D)])),
]


def sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize()


def run(name, make, batch, optim, flops, images, epochs, device):
    torch.manual_seed(1)
    model = make().to(device)
    opt = optim(model.parameters())
    n = images.shape[0]
    seconds, losses = [], []
    for epoch in range(epochs):
        sync(device)
        t0 = time.perf_counter()
        order = torch.randperm(n, device=device)
        total = torch.zeros((), device=device)
        for at in range(0, n, batch):
            x = images[order[at:at + batch]].float().div_(255)
            loss = model.loss(x)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach() * x.shape[0]
        mean = (total / n).item()  # also the epoch's sync
        seconds.append(time.perf_counter() - t0)
        losses.append(mean)
        print(f'{name}: epoch {epoch + 1}/{epochs} {seconds[-1]:.3f} s, loss {mean:.2f}', flush=True)
    later = sorted(seconds[1:]) or seconds
    median = later[len(later) // 2]
    return {'name': name, 'samples': n, 'epochSeconds': seconds, 'medianSeconds': median, 'gflops': flops * n / median / 1e9, 'trainLosses': losses}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mnist', required=True)
    ap.add_argument('--images', type=int, default=60000)
    ap.add_argument('--epochs', type=int, default=4)
    ap.add_argument('--out')
    a = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    images = torch.from_numpy(idx_images(a.mnist, a.images).copy()).to(device)
    result = {
        'torch': torch.__version__,
        'device': torch.cuda.get_device_name() if device.type == 'cuda' else 'cpu (no CUDA)',
        'tf32': False,
        'epochs': [run(*r, images, a.epochs, device) for r in RECIPES],
    }
    which = f'median of epochs 2..{a.epochs}' if a.epochs > 1 else 'one epoch, warm-up included'
    for e in result['epochs']:
        print(f"epoch: {e['name']}: {e['medianSeconds']:.3f} s per {e['samples']} samples ({which}), {e['gflops']:.1f} GFLOP/s", flush=True)
    if a.out:
        with open(a.out, 'w') as f:
            json.dump(result, f, indent=1)


if __name__ == '__main__':
    main()
