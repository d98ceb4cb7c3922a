import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.js'

t.test('defaults', async (t) => {
  const c = loadConfig({})
  t.equal(c.port, 3000)
  t.equal(c.host, '127.0.0.1')
  t.equal(c.databaseUrl, null, 'no DATABASE_URL: embedded database')
  t.equal(c.dataDir, '.data/pgdata')
  t.equal(c.adminToken, null)
  t.equal(c.slackSigningSecret, null)
  t.equal(c.awsRegion, 'us-east-1')
  t.equal(c.logLevel, 'info')
  t.equal(c.publicUrl, 'http://localhost:3000')
  t.equal(c.imageBaseUrl, null, 'no PUBLIC_URL: Slack answers carry no images Slack could not fetch')
  t.equal(c.rateLimitMax, 600)
  t.equal(c.rateLimitWindowSeconds, 60)
  t.same(c.corsOrigins, [], 'CORS off')
  t.equal(c.refreshTimeoutSeconds, 300, 'a refresh run may take 5 minutes')
})

t.test('values are read', async (t) => {
  const c = loadConfig({
    PORT: '8080',
    HOST: '0.0.0.0',
    DATABASE_URL: 'postgres://app@db:5432/cni',
    ADMIN_TOKEN: 'a'.repeat(32),
    SLACK_SIGNING_SECRET: '8f742231b10e8888abcd99yyyzzz85a5',
    AWS_REGION: 'eu-west-1',
    LOG_LEVEL: 'DEBUG',
    PUBLIC_URL: 'https://cni.example.com/',
    REFRESH_TIMEOUT_SECONDS: ' 60 ',
  })
  t.equal(c.port, 8080)
  t.equal(c.host, '0.0.0.0')
  t.equal(c.databaseUrl, 'postgres://app@db:5432/cni')
  t.equal(c.awsRegion, 'eu-west-1')
  t.equal(c.logLevel, 'debug')
  t.equal(c.publicUrl, 'https://cni.example.com')
  t.equal(c.imageBaseUrl, 'https://cni.example.com')
  t.equal(c.refreshTimeoutSeconds, 60)
})

const bad: Array<[Record<string, string>, RegExp]> = [
  [{ PORT: 'eighty' }, /PORT must be a whole number from 0 to 65535; got "eighty"/],
  [{ PORT: '70000' }, /PORT must be a whole number from 0 to 65535; got 70000/],
  [{ PORT: '-1' }, /PORT/],
  [{ DATABASE_URL: 'not a url' }, /DATABASE_URL must be a URL/],
  [{ DATABASE_URL: 'mysql://x@y/z' }, /DATABASE_URL must start with postgres:\/\//],
  [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "loud"/],
  [{ AWS_REGION: 'Europe' }, /AWS_REGION must be a region code/],
  [{ ADMIN_TOKEN: 'short' }, /ADMIN_TOKEN must be at least 16 characters long; the value given is 5/],
  [{ PUBLIC_URL: 'cni.example.com' }, /PUBLIC_URL must be an absolute URL/],
  [{ PRICE_MAX_AGE_DAYS: '0' }, /PRICE_MAX_AGE_DAYS/],
  [{ CATALOG_POLL_SECONDS: '1.5' }, /CATALOG_POLL_SECONDS must be a whole number/],
  [{ RATE_LIMIT_MAX: 'lots' }, /RATE_LIMIT_MAX must be a whole number from 0 to 10000000/],
  [{ RATE_LIMIT_WINDOW_SECONDS: '0' }, /RATE_LIMIT_WINDOW_SECONDS/],
  [{ REFRESH_TIMEOUT_SECONDS: '0' }, /REFRESH_TIMEOUT_SECONDS must be a whole number from 1 to 3600; got 0/],
  [{ REFRESH_TIMEOUT_SECONDS: '3601' }, /REFRESH_TIMEOUT_SECONDS must be a whole number from 1 to 3600; got 3601/],
  [{ REFRESH_TIMEOUT_SECONDS: '5m' }, /REFRESH_TIMEOUT_SECONDS must be a whole number from 1 to 3600; got "5m"/],
  [{ CORS_ORIGINS: 'portal.example.com' }, /CORS_ORIGINS must be \* or comma-separated origins/],
  [{ CORS_ORIGINS: 'https://portal.example.com/path' }, /CORS_ORIGINS/],
  [{ TRUST_PROXY: 'true' }, /TRUST_PROXY must be false, a number of proxy hops.*true would let any client choose its own address/],
  [{ TRUST_PROXY: '0' }, /TRUST_PROXY must be .*; got 0 hops/],
  [{ TRUST_PROXY: '11' }, /TRUST_PROXY/],
  [{ TRUST_PROXY: 'nginx' }, /TRUST_PROXY must be .*; "nginx" is none of these/],
  [{ TRUST_PROXY: '10.0.0.0/33' }, /"10\.0\.0\.0\/33" is none of these/],
  [{ TRUST_PROXY: '10.0.0.1,fd00::/129' }, /"fd00::\/129"/],
  [{ TRUST_PROXY: '10.0.0.0/8/1' }, /TRUST_PROXY/],
]
for (const [env, message] of bad) {
  t.test(`refuses ${JSON.stringify(env)}`, async (t) => {
    t.throws(() => loadConfig(env), message)
    t.throws(() => loadConfig(env), ConfigError)
  })
}

t.test('a secret is never echoed in the message', async (t) => {
  const err = (() => {
    try {
      loadConfig({ ADMIN_TOKEN: 'hunter2' })
    } catch (e) {
      return e as Error
    }
  })()
  t.notMatch(err!.message, /hunter2/)
})

t.test('TRUST_PROXY: off by default; hops, or addresses and ranges', async (t) => {
  t.equal(loadConfig({}).trustProxy, false)
  t.equal(loadConfig({ TRUST_PROXY: 'false' }).trustProxy, false)
  t.equal(loadConfig({ TRUST_PROXY: ' 1 ' }).trustProxy, 1)
  t.same(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,fd00::/8,loopback' }).trustProxy, ['10.0.0.0/8', '192.168.1.7', 'fd00::/8', 'loopback'])
})

t.test('every problem is reported at once, not only the first', async (t) => {
  const err = (() => {
    try {
      loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', CORS_ORIGINS: 'portal.example.com', TRUST_PROXY: 'true', RATE_LIMIT_MAX: 'lots', ADMIN_TOKEN: 'short' })
    } catch (e) {
      return e as ConfigError
    }
  })()
  t.ok(err instanceof ConfigError)
  t.equal(err!.problems.length, 6, 'six settings are wrong: six problems')
  t.match(err!.problems, [/^PORT /, /^ADMIN_TOKEN /, /^LOG_LEVEL /, /^RATE_LIMIT_MAX /, /^CORS_ORIGINS /, /^TRUST_PROXY /], 'in the order the settings are read')
  for (const p of err!.problems) t.match(err!.message, p, 'the message holds each problem')
  t.same(new ConfigError('one').problems, ['one'], 'a single problem is a list of one')
})

t.test('a good setting beside a bad one is not reported', async (t) => {
  try {
    loadConfig({ PORT: '8080', LOG_LEVEL: 'loud' })
    t.fail('LOG_LEVEL=loud must be refused')
  } catch (e) {
    t.match((e as ConfigError).problems, [/^LOG_LEVEL /])
    t.equal((e as ConfigError).problems.length, 1)
  }
})
