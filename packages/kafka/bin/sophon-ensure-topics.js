#!/usr/bin/env node
// A checked-in entry, so pnpm can link the bin before the package is built.
import "../dist/ensure-topics-main.js";
