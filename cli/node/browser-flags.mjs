// Where the system Chromium lives and which flags give it WebGPU.
// One switch: WEBGPU_ADAPTER=hardware uses the machine's GPU; anything else
// (the default) forces SwiftShader, the software adapter Chromium ships.
import { existsSync } from 'node:fs';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

/** Path of the Chromium to drive: $CHROMIUM_PATH, else the first usual path that exists. */
export function chromiumPath() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist: point it at a Chromium or Chrome (113+) executable, or unset it to look in the usual places`);
    return fromEnv;
  }
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      `No Chromium found (looked in ${CANDIDATES.join(', ')}). ` +
        'The jobs run in headless Chromium and no browser is downloaded: install Chromium or Google Chrome ' +
        '(Debian/Ubuntu: apt-get install chromium; macOS: brew install --cask chromium) or set CHROMIUM_PATH to its executable.',
    );
  }
  return found;
}

/** What the CLI's --adapter (and WEBGPU_ADAPTER) may be: auto = the GPU if Chromium finds one, else SwiftShader. */
export const ADAPTER_MODES = ['auto', 'hardware', 'swiftshader'];

/** True when WEBGPU_ADAPTER=hardware asks for the real GPU instead of SwiftShader. */
export function useHardwareAdapter() {
  return (process.env.WEBGPU_ADAPTER ?? 'swiftshader') === 'hardware';
}

/**
 * Command-line flags for headless Chromium with WebGPU on a closed network.
 * `hardware` overrides the WEBGPU_ADAPTER switch (the CLI probes for a GPU).
 * @param {{ hardware?: boolean }} [opts]
 */
export function chromiumArgs(opts = {}) {
  const args = [
    '--enable-unsafe-webgpu',
    '--enable-features=Vulkan',
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
    '--disable-dev-shm-usage',
  ];
  if (!(opts.hardware ?? useHardwareAdapter())) args.push('--use-webgpu-adapter=swiftshader');
  return args;
}
