// Verifies the reference given on the command line with the installed package, as a Node.js user
// would, and prints what the test checks.
import init, { Client } from "regsight";

await init();
const result = await new Client().verify(process.argv[2]);
console.log(JSON.stringify({ ok: result.ok, layers: result.layers.map((l) => l.computedDigest) }));
