// The benchmark's baseline: a bare Fastify route that parses the JSON body and answers 200,
// run as a child process exactly like the ingress (test/bench/ingress.bench.ts).
import Fastify from 'fastify';

const app = Fastify();
app.post('/webhooks/ghl', async () => ({ status: 'accepted' }));
app.get('/healthz', async () => ({ status: 'ok' }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
