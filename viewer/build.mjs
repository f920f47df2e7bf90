// Bundles src/ into dist/ (viewer.js, viewer.css, index.html): `npm ci && npm run build`. No CDN, no network at run time.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist', { recursive: true });
await build({
  entryPoints: { viewer: 'src/main.js' },
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2020',
  outdir: 'dist',
  legalComments: 'linked',
  logLevel: 'warning',
});
copyFileSync('src/index.html', 'dist/index.html');
