#!/usr/bin/env node
// npx webgpu-autoencoders <command>: train, evaluate and check autoencoders in
// WebGPU, driven in headless Chromium (the real GPU when there is one, else
// SwiftShader). The command itself is cli/node/main.mjs (Node side) and the job
// page cli/page/ (in Chromium): served from source by Vite in a checkout, and
// prebuilt into dist/cli/ in the installed package (cli/node/job-page-server.mjs).
await import('../cli/node/main.mjs');
