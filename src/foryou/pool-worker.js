// The thread that builds for-you's candidate pool (src/foryou/pool-builder.ts, decision 031).
// Plain JavaScript: a worker does not inherit the loader that runs the rest as TypeScript, so it registers its own.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { servePoolBuilder } = await import('./pool-builder.ts');
servePoolBuilder(parentPort);
