// Reference IAM evaluator for bench/iam_bench.py: @cloud-copilot/iam-simulate.
//
// Usage: node iam_reference.cjs JOB.json [NPM_PREFIX]  (the folder `npm install --prefix` used)
// JOB: {"cases": [case, ...], "seconds": 1.5, "max_rounds": 100000}, cases in the format of
// tests/data/iam-cases/README.md. Prints one JSON object:
//   {"version", "decisions": {id: outcome}, "errors": {id: message},
//    "simulate": {"decisions", "seconds"},   // runSimulation(): validate + load + evaluate per call
//    "core": {"decisions", "seconds"}}       // core authorize() on loaded policies (parse once)
// Loops are bounded by both a time budget and a round limit.
'use strict'
const fs = require('fs')
const path = require('path')

const prefix = process.argv[3] || process.cwd()
const entry = require.resolve('@cloud-copilot/iam-simulate', { paths: [prefix, __dirname] })
const pkgDir = path.resolve(path.dirname(entry), '..', '..')
const sim = require(entry)
const core = require(path.join(pkgDir, 'dist/cjs/core_engine/CoreSimulatorEngine.js'))
const { AwsRequestImpl } = require(path.join(pkgDir, 'dist/cjs/request/request.js'))
const { RequestContextImpl } = require(path.join(pkgDir, 'dist/cjs/requestContext.js'))
const { DiscoveryContextKeyConstraints } = require(path.join(pkgDir, 'dist/cjs/context_keys/discoveryContextKeyConstraints.js'))
const engine = require(path.join(pkgDir, 'dist/cjs/simulation_engine/simulationEngine.js'))
const { loadPolicy } = require(require.resolve('@cloud-copilot/iam-policy', { paths: [pkgDir] }))
const version = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'))).version

const OUTCOME = { Allowed: 'allowed', ImplicitlyDenied: 'implicit_deny', ExplicitlyDenied: 'explicit_deny' }

function accountOf(arn) {
  const parts = arn.split(':')
  return parts.length > 4 ? parts[4] : ''
}

function simulation(c) {
  const r = c.request
  const p = c.policies || {}
  const named = (kind) => (p[kind] || []).map((policy, i) => ({ name: `${kind}[${i}]`, policy }))
  return {
    request: {
      principal: r.principal,
      action: r.action,
      resource: { resource: r.resource || '*', accountId: r.resource_account || accountOf(r.principal) },
      contextVariables: r.context || {}
    },
    identityPolicies: named('identity'),
    serviceControlPolicies: p.scp ? [{ orgIdentifier: 'ou-podid-bench', policies: named('scp') }] : [],
    resourceControlPolicies: [],
    resourcePolicy: p.resource,
    permissionBoundaryPolicies: p.boundary ? named('boundary') : undefined,
    sessionPolicy: p.session ? p.session[0] : undefined
  }
}

// The core engine's inputs for one case, built once (policies loaded, context normalised).
async function compiled(c) {
  const s = simulation(c)
  const { validContextValues } = await engine.normalizeSimulationParameters(s, undefined)
  const [service, action] = s.request.action.split(':')
  const wildcardOnly = await sim.isWildcardOnlyAction(service, action)
  const load = (list) => list.map(({ name, policy }) => loadPolicy(policy, { name }))
  return {
    request: new AwsRequestImpl(s.request.principal, s.request.resource, s.request.action,
      new RequestContextImpl(validContextValues), wildcardOnly),
    sessionPolicy: s.sessionPolicy ? loadPolicy(s.sessionPolicy, { name: 'SessionPolicy' }) : undefined,
    identityPolicies: load(s.identityPolicies),
    serviceControlPolicies: s.serviceControlPolicies.map((o) => ({ orgIdentifier: o.orgIdentifier, policies: load(o.policies) })),
    resourceControlPolicies: [],
    resourcePolicy: s.resourcePolicy ? loadPolicy(s.resourcePolicy, { name: 'ResourcePolicy' }) : undefined,
    permissionBoundaries: s.permissionBoundaryPolicies ? load(s.permissionBoundaryPolicies) : undefined,
    vpcEndpointPolicies: undefined,
    simulationParameters: { simulationMode: 'Strict', discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([]) },
    serviceSettings: { s3: {} }
  }
}

async function main() {
  const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
  const cases = job.cases
  const seconds = job.seconds || 1.5
  const maxRounds = job.max_rounds || 100000
  const decisions = {}
  const errors = {}
  const sims = cases.map(simulation)
  for (let i = 0; i < cases.length; i++) {
    const res = await sim.runSimulation(sims[i], {})
    if (res.resultType === 'error') errors[cases[i].id] = res.errors.message
    else decisions[cases[i].id] = OUTCOME[res.overallResult] || res.overallResult
  }
  const ok = cases.filter((c) => !(c.id in errors))
  const okSims = ok.map(simulation)

  let n = 0
  let rounds = 0
  let t0 = process.hrtime.bigint()
  let elapsed = 0
  while (rounds < maxRounds && elapsed < seconds) {
    for (const s of okSims) { await sim.runSimulation(s, {}); n++ }
    rounds++
    elapsed = Number(process.hrtime.bigint() - t0) / 1e9
  }
  const simulate = { decisions: n, seconds: elapsed }

  const inputs = []
  for (const c of ok) inputs.push(await compiled(c))
  const coreDecisions = {}
  for (let i = 0; i < ok.length; i++) coreDecisions[ok[i].id] = OUTCOME[core.authorize(inputs[i]).result]
  n = 0; rounds = 0; elapsed = 0
  t0 = process.hrtime.bigint()
  while (rounds < maxRounds && elapsed < seconds) {
    for (const input of inputs) { core.authorize(input); n++ }
    rounds++
    elapsed = Number(process.hrtime.bigint() - t0) / 1e9
  }
  const coreRun = { decisions: n, seconds: elapsed }
  process.stdout.write(JSON.stringify({ version, decisions, errors, core_decisions: coreDecisions, simulate, core: coreRun }) + '\n')
}

main().catch((e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1) })
