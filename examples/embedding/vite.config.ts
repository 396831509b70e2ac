import { defineConfig } from 'vite';
import { mnist } from 'webgpu-autoencoders/vite';

export default defineConfig({ plugins: [mnist()] });
