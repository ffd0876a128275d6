// relay-compiler must accept the schema and the named operations. Relay wants each operation in a
// JS/TS module and named <Module><Query|Mutation|Subscription>, so this writes a throwaway Relay-style
// copy of operations/*.graphql into .relay/ (git-ignored) and compiles it; a non-zero exit fails CI.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = join(root, '.relay');
rmSync(work, { recursive: true, force: true });
mkdirSync(join(work, 'src'), { recursive: true });
mkdirSync(join(work, '__generated__'));

const suffix = { query: 'Query', mutation: 'Mutation', subscription: 'Subscription' };
for (const file of readdirSync(join(root, 'operations')).filter((f) => f.endsWith('.graphql'))) {
  const name = basename(file, '.graphql');
  const text = readFileSync(join(root, 'operations', file), 'utf8');
  const relayText = text.replace(
    new RegExp(`\\b(query|mutation|subscription)\\s+${name}\\b`),
    (_, kind) => `${kind} ${name}${suffix[kind]}`,
  );
  if (relayText === text) throw new Error(`${file}: no operation named ${name}`);
  writeFileSync(join(work, 'src', `${name}.ts`), `graphql\`\n${relayText}\`;\n`);
}
writeFileSync(
  join(work, 'relay.config.json'),
  JSON.stringify({ src: './src', schema: '../schema.graphql', language: 'typescript', artifactDirectory: './__generated__', noSourceControl: true }),
);
const result = spawnSync(join(root, 'node_modules', '.bin', 'relay-compiler'), [], { cwd: work, stdio: 'inherit' });
process.exit(result.status ?? 1);
