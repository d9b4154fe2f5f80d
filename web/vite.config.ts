/**
 * The web UI build: `npm run build:web` writes web/dist, which the server serves as-is.
 * The server's CSP allows no inline script or style, so nothing may be inlined here.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const webRoot = fileURLToPath(new URL('.', import.meta.url));
const apiTarget = process.env.KEYWARD_API_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: webRoot,
  publicDir: 'public',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Why: the polyfill and inlined assets would need 'unsafe-inline' or data: in the CSP.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    target: 'es2022',
  },
  server: {
    // `npm run dev:web` next to a running server: the API is proxied, and the Origin header is
    // rewritten to the server's own so the CSRF guard accepts the dev page (development only).
    proxy: {
      '/api': {
        target: apiTarget,
        configure: (proxy) => {
          proxy.on('proxyReq', (request) => {
            if (request.getHeader('origin')) request.setHeader('origin', new URL(apiTarget).origin);
          });
        },
      },
    },
  },
});
