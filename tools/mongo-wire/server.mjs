// Runs the MongoDB-wire stand-in (CongoDB, in memory) on 127.0.0.1 and prints one JSON line
// {"uri":"mongodb://127.0.0.1:<port>"} on stdout once it accepts connections. Stops on SIGTERM/SIGINT or when
// its parent closes stdin (so a test runner that dies never leaves it behind).
// Usage: node tools/mongo-wire/server.mjs [--port=N]   (default 0: a free port)
import { congodb } from '@push.rocks/smartmongo';

const portArg = process.argv.find((a) => a.startsWith('--port='));
const port = portArg ? Number(portArg.slice('--port='.length)) : 0;
const server = new congodb.CongoServer({ port, host: '127.0.0.1' });
await server.start();
// CongoServer has no accessor for the bound port; port 0 needs the listening socket's address.
const address = server.server.address();
// Polling server monitoring: the driver's streaming monitor (exhaust "moreToCome" replies) is not something
// the stand-in answers reliably, and a broken monitor clears the connection pool under the tests.
const uri = `mongodb://127.0.0.1:${address.port}/?serverMonitoringMode=poll`;
process.stdout.write(`${JSON.stringify({ uri, pid: process.pid })}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
