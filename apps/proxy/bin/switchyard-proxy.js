#!/usr/bin/env node
// The switchyard-proxy CLI: registers tsx so the TypeScript sources run as they are
// (workspace packages are consumed as source), then starts the composition root.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
