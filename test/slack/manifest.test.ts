// slack/manifest.yml is what Slack's "Create New App → From a manifest" takes: checked against the fields
// Slack's manifest schema requires (slackapi/manifest-schema, schemas/manifest.schema.1.0.0.json: the
// constraints below are the ones that schema puts on the parts this manifest uses), and against the app:
// its URLs are routes the service serves, and its usage hint and the README name every /cni command.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import { parse } from 'yaml'
import { USAGE, type CommandName } from '../../src/slack/commands.js'
import { buildTestApp } from '../helper.js'

const ROOT = join(import.meta.dirname, '..', '..')
const manifest = parse(readFileSync(join(ROOT, 'slack', 'manifest.yml'), 'utf8'))

const url = { type: 'string', pattern: '^https?:\\/\\/', maxLength: 3000 }
const MANIFEST_V1 = {
  type: 'object',
  required: ['display_information'],
  additionalProperties: false,
  properties: {
    _metadata: { type: 'object', additionalProperties: false, properties: { major_version: { type: 'integer' }, minor_version: { type: 'integer' } } },
    display_information: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 35 },
        description: { type: 'string', minLength: 1, maxLength: 140 },
        background_color: { type: 'string', pattern: '^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$' },
        long_description: { type: 'string', minLength: 175, maxLength: 4000 },
      },
    },
    features: {
      type: 'object',
      additionalProperties: false,
      properties: {
        bot_user: {
          type: 'object',
          additionalProperties: false,
          required: ['display_name'],
          properties: { display_name: { type: 'string', minLength: 1, maxLength: 80 }, always_online: { type: 'boolean' } },
        },
        slash_commands: {
          type: 'array',
          minItems: 1,
          maxItems: 50,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['command', 'description'],
            properties: {
              command: { type: 'string', minLength: 2, maxLength: 32, pattern: '^\\/' },
              url,
              description: { type: 'string', minLength: 1, maxLength: 2000 },
              usage_hint: { type: 'string', minLength: 1, maxLength: 1000 },
              should_escape: { type: 'boolean' },
            },
          },
        },
      },
    },
    oauth_config: {
      type: 'object',
      additionalProperties: false,
      properties: {
        scopes: {
          type: 'object',
          additionalProperties: false,
          properties: { bot: { type: 'array', items: { type: 'string', maxLength: 50 }, maxItems: 255 }, user: { type: 'array', items: { type: 'string', maxLength: 50 } } },
        },
      },
    },
    settings: {
      type: 'object',
      additionalProperties: false,
      properties: {
        interactivity: { type: 'object', additionalProperties: false, required: ['is_enabled'], properties: { is_enabled: { type: 'boolean' }, request_url: { ...url, maxLength: 3500 } } },
        org_deploy_enabled: { type: 'boolean' },
        socket_mode_enabled: { type: 'boolean' },
        token_rotation_enabled: { type: 'boolean' },
      },
    },
  },
}

t.test('the manifest has what Slack requires, and nothing it would refuse', async (t) => {
  const validate = new Ajv({ allErrors: true, strict: true }).compile(MANIFEST_V1)
  t.ok(validate(manifest), JSON.stringify(validate.errors))
  const broken = structuredClone(manifest)
  broken.display_information.name = 'x'.repeat(36)
  delete broken.features.slash_commands[0].description
  t.notOk(validate(broken), 'the check can fail: a 36-character name and a command without a description are refused')
  t.same(manifest.oauth_config.scopes.bot, ['commands'], 'one bot scope: commands, all a slash command needs')
  t.equal(manifest.features.slash_commands.length, 1)
  t.equal(manifest.features.slash_commands[0].command, '/cni')
  t.equal(manifest.settings.interactivity.is_enabled, true, 'link buttons post block_actions: interactivity must be on and answered')
})

t.test('its URLs are the routes the service serves for Slack', async (t) => {
  const app = await buildTestApp(t, { env: { SLACK_SIGNING_SECRET: 'test-signing-secret-not-real' } })
  for (const full of [manifest.features.slash_commands[0].url, manifest.settings.interactivity.request_url]) {
    const path = new URL(full).pathname
    t.ok(['/slack/commands', '/slack/interactions'].includes(path), path)
    const res = await app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'text=help' })
    t.equal(res.statusCode, 401, `${path}: served, and refuses an unsigned request`)
  }
})

t.test('the usage hint, /cni help and the README name the same commands', async (t) => {
  const commands = Object.keys(USAGE) as CommandName[]
  const hint: string = manifest.features.slash_commands[0].usage_hint
  for (const c of commands) t.match(hint, c, `usage hint names ${c}`)
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8').replace(/\\\|/g, '|')
  const section = readme.slice(readme.indexOf('## Slack'), readme.indexOf('\n## ', readme.indexOf('## Slack') + 1))
  t.ok(section.length > 100, 'the README has a Slack section')
  for (const c of commands) t.ok(section.includes(`\`${USAGE[c].line}\``), `the README lists ${USAGE[c].line}`)
  t.match(section, /slack\/manifest\.yml/, 'and says how to install the app')
})
