// Job inputs: IDX image sets (the bundled MNIST or any IDX files given by path)
// and safetensors files, read through the job host (the page fetches them from
// the CLI's file server, Node reads them from disk). Anything wrong with a file
// is an InputError naming the file, which the CLI reports as a usage error
// (exit code 2).
import { parseIdx } from '../../src/index';

export class InputError extends Error {
  override name = 'InputError';
}

/** Where the CLI serves a file (for the page), and its absolute path (read by Node, named in messages). */
export interface FileRef {
  url: string;
  path: string;
}

/** How a job reads its input files (JobHost.readFile). */
export type ReadFile = (file: FileRef) => Promise<Uint8Array>;

export interface ImageSetSpec {
  images: FileRef;
  labels?: FileRef;
  /** Keep only the first n samples. */
  limit?: number;
}

export interface ImageSet {
  /** count × rows × cols pixels, 0..255. */
  images: Uint8Array;
  labels?: Uint8Array;
  count: number;
  rows: number;
  cols: number;
  /** The images file's path, for metrics.json. */
  source: string;
}

/** The page's ReadFile: the file from the CLI's file server. */
export async function fetchFile(file: FileRef): Promise<Uint8Array> {
  const res = await fetch(file.url);
  if (!res.ok) throw new InputError(`${file.path}: could not be read (HTTP ${res.status})`);
  return new Uint8Array(await res.arrayBuffer());
}

function idx(bytes: Uint8Array, file: FileRef) {
  try {
    return parseIdx(bytes);
  } catch (e) {
    throw new InputError(`${file.path}: ${(e as Error).message}`);
  }
}

/** Fetch and check an image set: images a 3-D u8 IDX file, labels (optional) 1-D with one label per image. */
export async function loadImageSet(spec: ImageSetSpec, what: string, read: ReadFile): Promise<ImageSet> {
  const [imageBytes, labelBytes] = await Promise.all([read(spec.images), spec.labels ? read(spec.labels) : undefined]);
  const images = idx(imageBytes, spec.images);
  if (images.dims.length !== 3) {
    throw new InputError(
      `${what} images ${spec.images.path}: expected a 3-dimensional IDX file (count×rows×cols of unsigned bytes), got ${images.dims.length} dimension(s) (${images.dims.join('×')})`,
    );
  }
  const [rows, cols] = images.dims.slice(1);
  let count = images.dims[0];
  if (count < 1 || rows < 1 || cols < 1) throw new InputError(`${what} images ${spec.images.path}: has shape ${images.dims.join('×')}; every size must be ≥ 1`);
  let labels: Uint8Array | undefined;
  if (spec.labels) {
    const l = idx(labelBytes!, spec.labels);
    if (l.dims.length !== 1) {
      throw new InputError(`${what} labels ${spec.labels.path}: expected a 1-dimensional IDX file (one unsigned byte per image), got ${l.dims.length} dimensions (${l.dims.join('×')})`);
    }
    if (l.dims[0] !== count) {
      throw new InputError(`${what} labels ${spec.labels.path} hold ${l.dims[0]} labels but the images file ${spec.images.path} has ${count} images; they must match`);
    }
    labels = l.data;
  }
  let data = images.data;
  if (spec.limit !== undefined && spec.limit < count) {
    count = spec.limit;
    data = data.slice(0, count * rows * cols);
    labels = labels?.slice(0, count);
  }
  return { images: data, labels, count, rows, cols, source: spec.images.path };
}
