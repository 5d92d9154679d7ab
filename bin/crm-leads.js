#!/usr/bin/env node
// Thin launcher: registers tsx so the TypeScript sources run as they are (no build step
// that could go stale), then hands over to the CLI, the one layer that prints and exits.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
