/**
 * `npm run schema`: writes docs/config-v1.schema.json from config-model's zod schema
 * (zod's own converter). test/docs/config-schema.test.ts fails while the committed file
 * differs from what this writes.
 */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { CONFIG_SCHEMA_FILE, configJsonSchema } from "@switchyard/config-model";

const file = join(resolve(import.meta.dirname, ".."), CONFIG_SCHEMA_FILE);
writeFileSync(file, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${CONFIG_SCHEMA_FILE}`);
