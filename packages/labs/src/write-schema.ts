import { writeFile } from 'node:fs/promises';
import { labFrontMatterJsonSchema } from './model.ts';

// `npm run labs:schema`: regenerates labs/lab.schema.json from the zod model, so the schema
// authors' editors use can never drift from what the parser accepts (a test compares them).
const target = new URL('../../../labs/lab.schema.json', import.meta.url);
await writeFile(target, `${JSON.stringify(labFrontMatterJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${target.pathname}\n`);
