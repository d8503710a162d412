#!/usr/bin/env node
// Committed (not built) so npm links the `virtmig` bin at install time, before dist/ exists.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/bin.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'virtmig: @virtmig/cli is not built (dist/src/bin.js is missing): run `npm run build` at the repository root\n',
  );
  process.exit(4); // EXIT.UNAVAILABLE: a required component is missing
}
await import(entry.href);
