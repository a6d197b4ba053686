#!/usr/bin/env node
// The `kawa` bin. A committed, executable shim, so `npm ci` links it before the first build
// (npm skips a bin whose file does not exist yet) and `npx kawa` never looks in the registry.
import '../dist/main.js';
