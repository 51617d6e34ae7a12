/* global URLSearchParams */
// A sign-in flood from its own process (so the attacker's side of the traffic does not share the server's event
// loop in the test process): waves of N concurrent bad sign-ins to <url>/login, each from its own X-Forwarded-For
// address, from the moment a line arrives on stdin until stdin closes (so the process has booted before the
// measurement starts). Prints `{"ready":1}` when booted, `{"sent":1}` once the first wave is on the wire,
// `{"wave":k}` as each wave is answered, then `{"statuses":{…}}` at the end. Usage: node sign-in-flood.mjs <baseUrl> <concurrency>
const [url, n] = [process.argv[2], Number(process.argv[3] ?? 200)];
let running = true;
process.stdin.on('end', () => (running = false));
process.stdin.on('close', () => (running = false));
const go = new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.resume();
process.stdout.write(`${JSON.stringify({ ready: 1 })}\n`);
await go;
const statuses = {};
for (let wave = 0; running; wave++) {
  const requests = Array.from({ length: n }, (_, i) =>
    fetch(`${url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url, 'x-forwarded-for': `198.18.${wave % 200}.${i % 250}` },
      body: new URLSearchParams({ user: i % 4 === 0 ? 'alice' : `nobody-${wave}-${i}`, password: `guess-${wave}-${i}` }).toString(),
    }).then(
      async (res) => {
        await res.arrayBuffer();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      },
      () => {
        statuses.error = (statuses.error ?? 0) + 1;
      },
    ),
  );
  if (wave === 0) process.stdout.write(`${JSON.stringify({ sent: 1 })}\n`);
  await Promise.all(requests);
  process.stdout.write(`${JSON.stringify({ wave: wave + 1 })}\n`);
}
process.stdout.write(`${JSON.stringify({ statuses })}\n`);
