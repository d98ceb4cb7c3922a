// Logs: JSON lines for collectors, pino-pretty's text in a terminal; LOG_FORMAT chooses.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { ConfigError, loadConfig } from '../src/config.js'
import { loggerOptions } from '../src/logging.js'

const transportOf = (o: object) => {
  const target = (o as { transport?: { target: string } }).transport?.target
  return target === undefined ? null : /node_modules\/pino-pretty\//.test(target) ? 'pino-pretty' : target
}

t.test('a terminal gets pino-pretty, anything else JSON, unless LOG_FORMAT says', async (t) => {
  const auto = loadConfig({})
  t.equal(auto.logFormat, 'auto')
  t.equal(transportOf(loggerOptions(auto, true)), 'pino-pretty', 'stdout is a TTY: readable text')
  t.equal(transportOf(loggerOptions(auto, false)), null, 'a pipe, a file, a container log: JSON')
  t.equal(transportOf(loggerOptions(loadConfig({ LOG_FORMAT: 'json' }), true)), null, 'LOG_FORMAT=json: JSON even in a terminal')
  t.equal(transportOf(loggerOptions(loadConfig({ LOG_FORMAT: 'Pretty' }), false)), 'pino-pretty', 'LOG_FORMAT=pretty: text even in a pipe')
  t.match(loggerOptions(auto, true), { level: 'info', redact: { paths: ['req.headers.authorization', 'req.headers["x-slack-signature"]', 'req.headers.cookie'] } }, 'secrets are redacted either way')
  t.throws(() => loadConfig({ LOG_FORMAT: 'xml' }), ConfigError)
  t.throws(() => loadConfig({ LOG_FORMAT: 'xml' }), /LOG_FORMAT must be one of auto, json, pretty; got "xml"/)
})

t.test('the pretty transport loads and writes text, the JSON one JSON', async (t) => {
  // pino's transport runs in a worker thread that writes to the process' stdout: a child process shows it.
  const log = (o: object) =>
    spawnSync(process.execPath, ['-e', "require('pino')(JSON.parse(process.argv[1])).info({ catalogVersion: 7 }, 'catalog loaded')", JSON.stringify(o)], {
      cwd: new URL('..', import.meta.url),
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, NO_COLOR: '1' },
    })
  const pretty = log(loggerOptions({ logLevel: 'info', logFormat: 'pretty' }, false))
  t.equal(pretty.status, 0, pretty.stderr)
  t.match(pretty.stdout, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: catalog loaded \{"catalogVersion":7\}\n$/, 'one readable line: time, level, message, fields')
  const json = log(loggerOptions({ logLevel: 'info', logFormat: 'json' }, false))
  t.match(JSON.parse(json.stdout), { level: 30, msg: 'catalog loaded', catalogVersion: 7 })
})
