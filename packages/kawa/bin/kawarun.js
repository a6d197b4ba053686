#!/usr/bin/env node
// The `kawarun` bin: a committed, executable shim like bin/kawa.js, so `npm ci` links it before
// the first build and `npx kawarun` never looks in the registry.
import '../dist/kawarun.js';
