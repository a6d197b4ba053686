import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

// The host serves dist/ at `/` (packages/host/src/web); hashed files go to assets/, which it
// caches for a year.
export default defineConfig({
  plugins: [vue()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1024,
  },
});
