// The baseline for the proxy benchmark: the most trivial Fastify handler, answering
// the credentials path with a fixed body of the same size, on the same address and port.
import Fastify from 'fastify'

const [host = '127.0.0.1', port = '0'] = process.argv.slice(2)
const body = JSON.stringify({
  Code: 'Success', LastUpdated: '2026-01-01T00:00:00Z', Type: 'AWS-HMAC',
  AccessKeyId: 'ASIA0000000000000000', SecretAccessKey: 'x'.repeat(40), Token: 't'.repeat(400), Expiration: '2026-01-01T01:00:00Z'
}, null, 2)
const app = Fastify()
app.all('*', async (_req, reply) => reply.header('content-type', 'text/plain').send(body))
await app.listen({ host, port: Number(port) })
process.stdout.write('ready\n')
process.on('SIGTERM', () => { void app.close().then(() => process.exit(0)) })
