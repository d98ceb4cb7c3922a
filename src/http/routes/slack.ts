// POST /slack/commands: the `/cni` slash command. Slack signs the raw form body, so this plugin has its own
// scoped content-type parser (form only; anything else is a 415) that keeps the body as received, and the
// signature is checked before the text is read. Everything is answered from the catalog in memory, inline
// (Slack gives up after 3 s); input problems are private 200 answers saying what is accepted, never a 500.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { capacityPlanAnswer, catalogStampValidity, maxPodsAnswer, type Freshness } from '../../answers/answers.js'
import type { CatalogSnapshot } from '../../catalog/snapshot.js'
import { recommendationAnswer } from '../../answers/recommendation.js'
import { InputError, NotFoundError } from '../../domain/types.js'
import {
  capacityPlanMessage,
  failureMessage,
  helpMessage,
  maxPodsMessage,
  recommendationMessage,
  usageMessage,
  type SlackMessage,
} from '../../slack/blocks.js'
import { parseCommand, usageFromError, type CommandName, type SlackCommand } from '../../slack/commands.js'
import { capacityPlanLinks, helpLinks, maxPodsLinks, recommendationLinks } from '../../slack/links.js'
import { planPriceBasis } from '../price-basis.js'
import { verifySlackSignature } from '../../slack/signature.js'
import { slackRateLimitKey } from '../security.js'
import { errorBody } from '../errors.js'
import { errorResponse, ref } from '../schemas.js'
import { jsonAnswer, sendAnswer } from '../cached.js'
import { ALWAYS, type Asked, type Validity } from '../../answers/pipeline.js'

export const SLACK_BODY_LIMIT = 64 * 1024

const FORM = 'application/x-www-form-urlencoded'

const formBodySchema = {
  type: 'object',
  description: `Slack's slash-command form post (${FORM}), signed with the app's signing secret`,
  properties: {
    command: { type: 'string', description: 'The command, e.g. /cni' },
    text: {
      type: 'string',
      description:
        'Everything after the command: `recommend key=value ...`, `maxpods <type> [mode] [ds=N] [cap=N]`, ' +
        '`plan total=N [cpu=] [mem=] [mode=] [instance=a,b | family=] [region=] [spot | reserved] [ebs=N] [fee=standard]`, `help`; add `public` to answer in the channel',
    },
    user_id: { type: 'string' },
    user_name: { type: 'string', description: 'Deprecated by Slack' },
    team_id: { type: 'string' },
    team_domain: { type: 'string' },
    enterprise_id: { type: 'string' },
    enterprise_name: { type: 'string' },
    channel_id: { type: 'string' },
    channel_name: { type: 'string' },
    api_app_id: { type: 'string' },
    is_enterprise_install: { type: 'string' },
    response_url: { type: 'string', description: 'Not used: answers are given inline' },
    trigger_id: { type: 'string' },
    token: { type: 'string', description: 'Deprecated verification token; ignored (the signature is checked instead)' },
  },
  additionalProperties: true,
} as const

const textObject = { type: 'object', additionalProperties: true }

const slackMessageSchema = {
  type: 'object',
  description: 'Block Kit message; `text` is the notification fallback',
  properties: {
    response_type: { type: 'string', enum: ['ephemeral', 'in_channel'] },
    text: { type: 'string' },
    blocks: { type: 'array', items: { ...textObject, description: 'A Block Kit block (header, section, context)' } },
  },
  required: ['response_type', 'text', 'blocks'],
} as const

const headerString = (request: FastifyRequest, name: string): string | undefined => {
  const v = request.headers[name]
  return typeof v === 'string' ? v : undefined
}

export async function slackRoutes(app: FastifyInstance): Promise<void> {
  // Named for the document (GET /docs/json): the form Slack posts, and the message it is answered with.
  app.addSchema({ $id: 'SlackCommand', ...formBodySchema })
  app.addSchema({ $id: 'SlackMessage', ...slackMessageSchema })
  const secret = app.ctx.config.slackSigningSecret
  if (secret === null) {
    app.log.warn('SLACK_SIGNING_SECRET is not set: POST /slack/commands refuses every request (503) until it is')
  }

  // This plugin is encapsulated: the parsers below apply to its routes only.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: SLACK_BODY_LIMIT }, (request, body, done) => {
    const raw = body as string
    request.rawBody = raw
    done(null, Object.fromEntries(new URLSearchParams(raw)))
  })

  const freshness = (): Freshness => app.ctx.answers.freshness

  const answer = (a: Asked, cmd: SlackCommand): SlackMessage => {
    const snap = a.snap
    const publicUrl = app.ctx.config.publicUrl
    // Chart images only when Slack can fetch them: PUBLIC_URL set (config.ts imageBaseUrl).
    const imageBaseUrl = app.ctx.config.imageBaseUrl
    let command: CommandName = 'help'
    try {
      switch (cmd.kind) {
        case 'usage':
          return usageMessage(cmd, helpLinks(publicUrl, cmd.command))
        case 'help':
          return helpMessage(cmd.topic, helpLinks(publicUrl, cmd.topic), cmd.visibility)
        case 'recommend': {
          command = 'recommend'
          const a = recommendationAnswer(snap, cmd.requirements, freshness())
          return recommendationMessage(a, recommendationLinks(publicUrl, imageBaseUrl, cmd.requirements), cmd.visibility)
        }
        case 'maxpods': {
          command = 'maxpods'
          const r = maxPodsAnswer(a, cmd.instanceType, cmd.query, 'instanceType')
          const family = snap.instanceType(r.instanceType)?.family ?? null
          return maxPodsMessage(r, snap.version, maxPodsLinks(publicUrl, imageBaseUrl, r.instanceType, cmd.query, family), cmd.visibility)
        }
        case 'plan': {
          command = 'plan'
          const p = capacityPlanAnswer(snap, cmd.query, freshness())
          return capacityPlanMessage(p, capacityPlanLinks(publicUrl, imageBaseUrl, cmd.query), cmd.visibility, planPriceBasis(snap, p, cmd.query))
        }
      }
    } catch (err) {
      if (err instanceof InputError || err instanceof NotFoundError) return usageMessage(usageFromError(command, err), helpLinks(publicUrl, command))
      throw err
    }
  }

  /**
   * An answer is a pure function of the parsed command (the canonical question) and the catalog version,
   * and where prices show it holds while the region's price freshness does: the rendered message is kept
   * in the answer pipeline as the REST and GraphQL doors keep theirs. A command that fails unexpectedly
   * is not kept.
   */
  const validity = (snap: CatalogSnapshot, cmd: SlackCommand): Validity => {
    const region = cmd.kind === 'recommend' ? cmd.requirements.region : cmd.kind === 'plan' ? cmd.query.region : null
    return region === null ? ALWAYS : catalogStampValidity(snap, region, freshness())
  }

  // Both Slack routes: refused outright without a signing secret, and only signed requests are read.
  const refuseUnconfigured = async (request: FastifyRequest, reply: FastifyReply) => {
    if (secret === null) {
      request.log.warn('Slack request refused: SLACK_SIGNING_SECRET is not set')
      return reply.code(503).send(errorBody(503, 'The Slack door is not configured: SLACK_SIGNING_SECRET is not set'))
    }
  }
  const checkSignature = async (request: FastifyRequest, reply: FastifyReply) => {
    const check = verifySlackSignature({
      secret: secret!,
      timestamp: headerString(request, 'x-slack-request-timestamp'),
      signature: headerString(request, 'x-slack-signature'),
      rawBody: request.rawBody ?? '',
      now: app.ctx.clock(),
    })
    if (!check.ok) {
      request.log.info({ reason: check.reason }, 'Slack request rejected')
      return reply.code(401).send(errorBody(401, `Slack request not verified: ${check.reason}`))
    }
  }

  /**
   * The app's interactivity URL (slack/manifest.yml). The answers' link buttons open their URL in the
   * browser, and Slack still posts a block_actions payload here; a 200 within 3 s is all it needs, or the
   * button shows a warning. Nothing in the payload is acted on.
   */
  app.post(
    '/slack/interactions',
    {
      config: { rateLimit: { keyGenerator: slackRateLimitKey } },
      onRequest: refuseUnconfigured,
      preHandler: checkSignature,
      schema: {
        operationId: 'slackInteraction',
        tags: ['slack'],
        summary: 'Slack interactivity (signed requests only): acknowledges the link buttons of /cni answers',
        description: `Slack posts a block_actions payload (${FORM}, field payload) when a link button is clicked; answered 200 with an empty body and otherwise ignored. The same signature check as /slack/commands.`,
        consumes: [FORM],
        response: { 200: { description: 'Acknowledged (empty body)', type: 'null' } },
      },
    },
    async (_request, reply) => reply.code(200).send(),
  )

  app.post(
    '/slack/commands',
    {
      // Counted per client address in onRequest like every request, and per workspace only once the
      // signature below checks out: the workspace count runs after this route's preHandlers
      // (security.ts), so an unsigned post naming a team_id cannot use up that workspace's limit.
      config: { rateLimit: { keyGenerator: slackRateLimitKey } },
      onRequest: refuseUnconfigured,
      preHandler: checkSignature,
      schema: {
        operationId: 'slackCommand',
        tags: ['slack'],
        summary: 'Slack slash command /cni (signed requests only); answers with Block Kit JSON',
        description:
          'Verifies X-Slack-Signature (v0 HMAC-SHA256 of v0:<timestamp>:<raw body> with SLACK_SIGNING_SECRET) and ' +
          'X-Slack-Request-Timestamp (within 5 minutes); anything else is a 401 and no answer. Only ' +
          `${FORM} bodies up to 64 KiB. Input problems are answered with a private (ephemeral) 200 message saying what is accepted.`,
        headers: {
          type: 'object',
          properties: {
            'x-slack-signature': { type: 'string', description: 'v0=<64 hex digits>' },
            'x-slack-request-timestamp': { type: 'string', description: 'Unix seconds' },
          },
        },
        consumes: [FORM],
        body: { allOf: [ref('SlackCommand')] },
        response: {
          200: { description: 'The answer as a Block Kit message', content: { 'application/json': { schema: ref('SlackMessage') } } },
          401: errorResponse(401, 'Unauthorized: the Slack signature or timestamp does not check out'),
          413: errorResponse(413, 'Payload Too Large: the form is over 64 KiB'),
          415: errorResponse(415, `Unsupported Media Type: the body is not ${FORM}`),
          503: errorResponse(503, 'Service Unavailable: SLACK_SIGNING_SECRET is not set'),
        },
      },
    },
    async (request: FastifyRequest, reply: FastifyReply) => {
      const form = (request.body ?? {}) as Record<string, string>
      try {
        const cmd = parseCommand(form.text)
        const a = app.ctx.answers.current()
        return sendAnswer(reply, a, jsonAnswer(a, `slack:${JSON.stringify(cmd)}`, () => answer(a, cmd), validity(a.snap, cmd)))
      } catch (err) {
        request.log.error({ err }, 'Slack command failed')
        return failureMessage(request.id)
      }
    },
  )
}
