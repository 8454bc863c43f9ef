// Vite builds the console into web/dist (gitignored), served by `fleetplane serve` at / (see
// src/api/routes/console-static.ts). Every asset lands flat in dist/assets with a content hash; no
// public dir, no CDN: the console works offline.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  publicDir: false,
  build: {
    outDir: process.env.FLEETPLANE_CONSOLE_OUT || 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
  },
  server: {
    // `npm run dev` in web/ proxies the API of a local `fleetplane serve`.
    proxy: { '/v1': 'http://127.0.0.1:8080' },
  },
});
