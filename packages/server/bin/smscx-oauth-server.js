#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm ci` at the repo root).
import '../dist/cli/main.js';
