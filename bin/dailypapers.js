#!/usr/bin/env node
// The one executable: server, migrations, imports and operator commands.
// TypeScript runs through tsx's loader, so there is no build step to forget.
import { register } from 'tsx/esm/api';

register();
await (await import('../src/cli.ts')).main();
