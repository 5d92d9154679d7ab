// A TCP proxy that runs as its own process between crm-leads and a real database server, and
// cuts the connection the way networks do, once the server has sent `after` bytes to a client:
//   fin   closes both sides cleanly (the server "went away")
//   rst   resets the client's socket (a firewall or a crashed host: ECONNRESET)
//   stall stops forwarding in both directions and keeps the sockets open (a dead link, a hung server)
//   none  forwards everything (the healthy path through the same proxy)
// Usage: node proxy-process.mjs <targetHost> <targetPort> <mode> <afterBytes> [listenPort]
// SIGUSR2 stalls the link from then on, whatever the mode: open connections stop forwarding and
// new ones are accepted but never forwarded (a dead link, for signals during a stuck query).
// Prints {"port":N} on stdout once listening, then one {"cut":…} line per connection it cuts.
// Plain JavaScript so that it starts without a TypeScript loader.
import net from 'node:net';

const [host, port, mode, after, listenPort] = process.argv.slice(2);
const limit = Number(after);
let stalled = false;
const open = new Set();

const server = net.createServer((client) => {
  if (stalled) {
    client.pause();
    client.on('error', () => {});
    return;
  }
  const upstream = net.connect(Number(port), host);
  const pair = { client, upstream };
  open.add(pair);
  client.on('close', () => open.delete(pair));
  let fromServer = 0;
  let cut = false;
  const cutNow = () => {
    cut = true;
    process.stdout.write(`${JSON.stringify({ cut: mode, bytes: fromServer })}\n`);
    if (mode === 'fin') {
      client.end();
      upstream.end();
    } else if (mode === 'rst') {
      client.resetAndDestroy();
      upstream.destroy();
    } else if (mode === 'stall') {
      client.pause();
      upstream.pause();
    }
  };
  upstream.on('data', (chunk) => {
    if (cut) return;
    if (mode !== 'none' && fromServer + chunk.length >= limit) {
      // Forward exactly up to the limit, then cut: the client has a partial result.
      const part = chunk.subarray(0, Math.max(0, limit - fromServer));
      fromServer += part.length;
      client.write(part, cutNow);
      return;
    }
    fromServer += chunk.length;
    if (!client.write(chunk)) {
      upstream.pause();
      client.once('drain', () => !cut && upstream.resume());
    }
  });
  client.on('data', (chunk) => {
    if (!cut) upstream.write(chunk);
  });
  client.on('end', () => !cut && upstream.end());
  upstream.on('end', () => !cut && client.end());
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
process.on('SIGUSR2', () => {
  stalled = true;
  for (const { client, upstream } of open) {
    client.pause();
    upstream.pause();
    client.removeAllListeners('data');
    upstream.removeAllListeners('data');
  }
});
server.listen(Number(listenPort ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
