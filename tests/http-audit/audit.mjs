// Runs the graphql-http audit suite (GraphQL over HTTP spec conformance) against a live server:
//   node audit.mjs http://127.0.0.1:8080/graphql      (or GRAPHQL_URL=... node audit.mjs)
// Prints one line per audit and a summary per level; exits 1 when any MUST or SHOULD fails.
import { auditServer } from 'graphql-http';

const url = process.argv[2] ?? process.env.GRAPHQL_URL;
if (!url) {
  console.error('usage: node audit.mjs <graphql endpoint url>');
  process.exit(2);
}

const results = await auditServer({ url });
const levels = { MUST: [0, 0], SHOULD: [0, 0], MAY: [0, 0] };
let failed = 0;
for (const result of results) {
  const level = Object.keys(levels).find((l) => result.name.startsWith(l));
  levels[level][1] += 1;
  if (result.status === 'ok') {
    levels[level][0] += 1;
    console.log(`ok     ${result.id} ${result.name}`);
    continue;
  }
  if (level !== 'MAY') failed += 1;
  let body = '';
  if (result.response) {
    body = ` (HTTP ${result.response.status}: ${(await result.response.text()).slice(0, 300)})`;
  }
  console.log(`${result.status.padEnd(6)} ${result.id} ${result.name}: ${result.reason}${body}`);
}
for (const [level, [passed, total]] of Object.entries(levels)) {
  console.log(`${level}: ${passed}/${total} passed`);
}
process.exit(failed === 0 ? 0 : 1);
