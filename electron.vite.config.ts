// Three programs, no src/: main (Node), preload (sandboxed, CommonJS), renderer (Svelte in Chromium).
import { svelte } from '@sveltejs/vite-plugin-svelte'
import { defineConfig } from 'electron-vite'
import { resolve } from 'node:path'
import type { Plugin } from 'vite'

const r = (p: string): string => resolve(import.meta.dirname, p)

// In `electron-vite dev`, Vite and Svelte inject component CSS as <style> elements, which the renderer's strict
// CSP blocks. Relax style-src for the dev server only; the built index.html keeps the strict policy.
const devStyles: Plugin = {
  name: 'biggan:dev-inline-styles',
  apply: 'serve',
  transformIndexHtml: (html) => html.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
}

export default defineConfig({
  main: {
    build: {
      // index: Electron's main process; web: web mode's server (plain Node, no Electron); engineWorker: the worker
      // thread that owns the previewed model in both; trainWorker: the worker thread a fine-tuning run trains in;
      // tfjsTrialWorker: the thread where a run's 'auto' times a TensorFlow.js step on the wasm backend.
      lib: {
        entry: {
          index: r('main/index.ts'),
          web: r('main/web/main.ts'),
          engineWorker: r('main/engine-host/worker/engineWorker.ts'),
          trainWorker: r('main/engine-host/worker/trainWorker.ts'),
          tfjsTrialWorker: r('main/runs/tfjsTrialWorker.ts'),
        },
      },
      externalizeDeps: {
        // tfjs is bundled: its ESM build registers gradients and chained ops only when a bundler includes them.
        exclude: [
          '@tensorflow/tfjs',
          '@tensorflow/tfjs-core',
          '@tensorflow/tfjs-backend-cpu',
          '@tensorflow/tfjs-backend-wasm',
        ],
        // The native backends are optional and usually absent: left as run-time imports that may fail.
        include: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
      },
    },
  },
  preload: {
    build: {
      // CommonJS: Electron runs an ESM preload only with the sandbox off (sandboxed preloads cannot use ESM imports).
      lib: { entry: { index: r('preload/index.ts') }, formats: ['cjs'] },
    },
  },
  renderer: {
    root: r('renderer'),
    plugins: [svelte({ configFile: false }), devStyles],
    build: { rollupOptions: { input: { index: r('renderer/index.html') } } },
  },
})
