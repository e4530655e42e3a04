// Regenerate src/api-types.ts from the server's OpenAPI document (jlpm api-types).
// The document is committed by the server extension (jupyter_mlops/server/openapi.json) and also
// served at /jupyter-mlops/api/openapi.json; pass another path or URL as the first argument.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const source = process.argv[2] ?? join(here, '..', '..', 'jupyter_mlops', 'server', 'openapi.json');
const target = join(here, '..', 'src', 'api-types.ts');
if (!source.startsWith('http') && !existsSync(source)) {
  console.error(`No OpenAPI document at ${source}`);
  process.exit(1);
}
const cli = join(here, '..', 'node_modules', '.bin', 'openapi-typescript');
execFileSync(cli, [source, '--output', target, '--alphabetize'], { stdio: 'inherit' });
console.log(`wrote ${target} from ${source}`);
