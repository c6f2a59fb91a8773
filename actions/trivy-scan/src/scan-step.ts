import path from 'node:path';
import { UserError, readInputs, run, type ActionContext } from '@kubeline/runtime';
import { registryCaFile } from '@kubeline/image';
import { ensureTool } from '@kubeline/tools';
import { action, type OutputName } from './action.generated.js';
import { annotateFindings, relativeToWorkspace } from './annotations.js';
import { countBySeverity, evaluateGate, type GatePolicy, type GateResult } from './gate.js';
import { inputSpec, type Inputs } from './inputs.js';
import { cacheInside, findIgnoreFile, reportsFolder, trivyCacheDir, workspaceDir } from './locations.js';
import { REPORT_FILES, writeReports } from './reports.js';
import { runScan } from './scan.js';
import { SEVERITIES } from './severity.js';
import { checkTarget, registryLogin, resolveTarget, type ResolvedTarget } from './target.js';
import { needsVulnDb } from './trivy-args.js';
import { collectFindings, type Finding } from './trivy-report.js';
import { writeScanSummary } from './summary.js';
import { ensureVulnDb, maxAgeOf } from './vuln-db.js';

/** Reported as the analyzer version in GitLab reports. */
const KUBELINE_VERSION = '0.1.0';

type Ctx = ActionContext<OutputName>;

// The post step is the runtime's: it removes the work dir (login, CA) a cancelled scan left.
await run(action, main);

async function main(ctx: Ctx): Promise<void> {
  const inputs = readInputs(action, inputSpec);
  const started = new Date();
  const checked = checkInputs(ctx, inputs);
  const scanned = await scan(ctx, inputs, checked);
  const reports = await writeReports({
    trivy: scanned.trivy.path,
    formats: inputs.formats,
    outputDir: scanned.outputDir,
    jsonFile: scanned.jsonFile,
    report: scanned.report,
    ignoreFile: checked.ignoreFile,
    gitlab: {
      image: scanned.resolved.subject,
      trivyVersion: scanned.trivy.version,
      kubelineVersion: KUBELINE_VERSION,
      startedAt: started,
      finishedAt: new Date(),
    },
  });
  const gate = report(ctx, inputs, scanned, reports, checked.policy);
  if (!gate.passed) throw new UserError(gate.message);
}

/** Everything the user gave is checked before anything is installed, resolved or downloaded. */
function checkInputs(ctx: Ctx, inputs: Inputs) {
  const target = checkTarget({
    scanType: inputs['scan-type'],
    image: inputs.image,
    input: inputs.input,
    path: inputs.path,
    registryUsername: inputs['registry-username'],
    registryPassword: inputs['registry-password'],
  });
  const ca = registryCaFile(inputs['registry-ca'], ctx.workDir());
  const workspace = workspaceDir();
  const ignoreFile = findIgnoreFile(inputs['ignore-file'], workspace);
  const policy: GatePolicy = { failOn: inputs['fail-on'], failOnCvss: inputs['fail-on-cvss'] };
  const creds = { username: inputs['registry-username'], password: inputs['registry-password'], caFile: ca };
  return { target, ca, workspace, ignoreFile, policy, creds };
}

type Checked = ReturnType<typeof checkInputs>;

/** trivy installed, the target pinned to its digest, the DB ready, and one trivy run to JSON. */
async function scan(ctx: Ctx, inputs: Inputs, c: Checked) {
  const scanType = inputs['scan-type'];
  const timeoutMs = inputs.timeout ?? 10 * 60_000;
  // Installing trivy and asking the registry for the digest do not depend on each other.
  const [trivy, resolved] = await Promise.all([
    ensureTool('trivy', inputs['trivy-version'], 'trivy-version'),
    resolveTarget(c.target, c.creds),
  ]);
  const login = registryLogin(resolved, c.creds, ctx.workDir());
  const cacheDir = trivyCacheDir(inputs['cache-dir'], trivy.version);
  if (needsVulnDb(scanType, inputs.scanners))
    await ensureVulnDb({
      trivy: trivy.path,
      cacheDir,
      mirrors: inputs['db-repository'],
      caFile: c.ca,
      timeoutMs,
      maxAge: maxAgeOf(inputs['db-max-age']),
    });
  if (c.ignoreFile) ctx.log.info(`suppressing the findings listed in ${c.ignoreFile}`);

  const outputDir = reportsFolder(inputs['output-dir'], ctx.platform);
  const jsonFile = path.join(outputDir, REPORT_FILES.json);
  const report = await confirmedScan(resolved, () =>
    runScan(
      trivy.path,
      {
        scanType,
        target: resolved.target,
        cacheDir,
        output: jsonFile,
        dbRepositories: inputs['db-repository'],
        javaDbRepositories: inputs['java-db-repository'],
        scanners: inputs.scanners,
        ignoreUnfixed: inputs['ignore-unfixed'],
        ignoreFile: c.ignoreFile,
        caFile: c.ca,
        timeoutMs,
        skipDirs: resolved.target.kind === 'path' ? cacheInside(resolved.target.path, cacheDir) : [],
      },
      login?.dockerConfig,
    ),
  );
  const inWorkspace = scanType === 'fs' || scanType === 'config';
  const all = collectFindings(report);
  const findings = inWorkspace ? relativeToWorkspace(all, resolved.subject, c.workspace) : all;
  return { trivy, resolved, outputDir, jsonFile, report, findings, inWorkspace };
}

type Scanned = Awaited<ReturnType<typeof scan>>;

/** The registry's reason an image cannot be scanned says more than trivy's, so it wins when both fail. */
async function confirmedScan<T>(resolved: ResolvedTarget, scanning: () => Promise<T>): Promise<T> {
  const scan = scanning(); // trivy is spawned first: the registry's TLS set-up does not delay it
  const [result] = await Promise.allSettled([scan, resolved.confirm()]);
  await resolved.confirm();
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

/** Outputs, annotations and the summary: written before the gate fails, for the next steps to read. */
function report(
  ctx: Ctx,
  inputs: Inputs,
  s: Scanned,
  reports: Awaited<ReturnType<typeof writeReports>>,
  policy: GatePolicy,
): GateResult {
  const findings: Finding[] = s.findings;
  const counts = countBySeverity(findings);
  const gate = evaluateGate(findings, policy);
  for (const sev of SEVERITIES) ctx.output(sev.toLowerCase() as Lowercase<typeof sev>, counts[sev]);
  ctx.output('passed', gate.passed);
  if (s.resolved.digest) ctx.output('image-digest', s.resolved.digest);
  for (const [format, file] of Object.entries(reports))
    // GitLab's project path differs between jobs: hand on paths relative to the job's directory.
    ctx.output(
      `${format as keyof typeof reports}-report`,
      ctx.platform === 'gitlab' ? path.relative(process.cwd(), file) : file,
    );
  if (s.inWorkspace) annotateFindings(ctx.log, findings);
  writeScanSummary(ctx.summary, {
    subject: s.resolved.subject,
    scanType: inputs['scan-type'],
    findings,
    counts,
    policy,
    gate,
    reports,
  });
  const tally = SEVERITIES.map((sev) => `${counts[sev]} ${sev}`).join(', ');
  ctx.log.info(`${findings.length} findings (${tally}); reports in ${s.outputDir}`);
  return gate;
}
