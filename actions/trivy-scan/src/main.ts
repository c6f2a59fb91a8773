import path from 'node:path';
import { UserError, readInputs, run, runnerTemp } from '@kubeline/runtime';
import { registryCaFile } from '@kubeline/image';
import { ensureTool } from '@kubeline/tools';
import { action } from './action.generated.js';
import { annotateFindings, relativeToWorkspace } from './annotations.js';
import { countBySeverity, evaluateGate, type GatePolicy } from './gate.js';
import { inputSpec } from './inputs.js';
import { findIgnoreFile, reportsFolder, trivyCacheDir, workspaceDir } from './locations.js';
import { REPORT_FILES, writeReports } from './reports.js';
import { runScan } from './scan.js';
import { SEVERITIES } from './severity.js';
import { checkTarget, registryLogin, resolveTarget } from './target.js';
import { needsVulnDb } from './trivy-args.js';
import { collectFindings } from './trivy-report.js';
import { writeScanSummary } from './summary.js';
import { ensureVulnDb } from './vuln-db.js';

/** Reported as the analyzer version in GitLab reports. */
const KUBELINE_VERSION = '0.1.0';

await run(action, async (ctx) => {
  const inputs = readInputs(action, inputSpec);
  const started = new Date();
  const scanType = inputs['scan-type'];
  const timeoutMs = inputs.timeout ?? 10 * 60_000;
  const policy: GatePolicy = { failOn: inputs['fail-on'], failOnCvss: inputs['fail-on-cvss'] };
  // Everything the user gave is checked before anything is installed, resolved or downloaded.
  const checked = checkTarget({
    scanType,
    image: inputs.image,
    input: inputs.input,
    path: inputs.path,
    registryUsername: inputs['registry-username'],
    registryPassword: inputs['registry-password'],
  });
  const ca = registryCaFile(inputs['registry-ca'], path.join(runnerTemp(), `trivy-scan-${process.pid}`));
  const workspace = workspaceDir();
  const ignoreFile = findIgnoreFile(inputs['ignore-file'], workspace);

  const creds = { username: inputs['registry-username'], password: inputs['registry-password'], caFile: ca };
  // Installing trivy and asking the registry for the digest do not depend on each other.
  const [trivy, resolved] = await Promise.all([
    ensureTool('trivy', inputs['trivy-version'], 'trivy-version'),
    resolveTarget(checked, creds),
  ]);
  const login = registryLogin(resolved, creds);
  try {
    const cacheDir = trivyCacheDir(inputs['cache-dir'], trivy.version);
    if (needsVulnDb(scanType, inputs.scanners))
      await ensureVulnDb({
        trivy: trivy.path,
        cacheDir,
        mirrors: inputs['db-repository'],
        caFile: ca,
        timeoutMs,
      });
    if (ignoreFile) ctx.log.info(`suppressing the findings listed in ${ignoreFile}`);

    const outputDir = reportsFolder(inputs['output-dir'], ctx.platform);
    const jsonFile = path.join(outputDir, REPORT_FILES.json);
    const report = await runScan(
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
        ignoreFile,
        caFile: ca,
        timeoutMs,
      },
      login?.dockerConfig,
    );
    const inWorkspace = scanType === 'fs' || scanType === 'config';
    const all = collectFindings(report);
    const findings = inWorkspace ? relativeToWorkspace(all, resolved.subject, workspace) : all;
    const counts = countBySeverity(findings);
    const gate = evaluateGate(findings, policy);
    const reports = await writeReports({
      trivy: trivy.path,
      formats: inputs.formats,
      outputDir,
      jsonFile,
      report,
      ignoreFile,
      gitlab: {
        image: resolved.subject,
        trivyVersion: trivy.version,
        kubelineVersion: KUBELINE_VERSION,
        startedAt: started,
        finishedAt: new Date(),
      },
    });

    // Outputs and reports first: a failed gate still leaves everything for the next steps to read.
    for (const s of SEVERITIES) ctx.output(s.toLowerCase() as Lowercase<typeof s>, counts[s]);
    ctx.output('passed', gate.passed);
    if (resolved.digest) ctx.output('image-digest', resolved.digest);
    for (const [format, file] of Object.entries(reports))
      // GitLab's project path differs between jobs: hand on paths relative to the job's directory.
      ctx.output(
        `${format as keyof typeof reports}-report`,
        ctx.platform === 'gitlab' ? path.relative(process.cwd(), file) : file,
      );
    if (inWorkspace) annotateFindings(ctx.log, findings);
    writeScanSummary(ctx.summary, {
      subject: resolved.subject,
      scanType,
      findings,
      counts,
      policy,
      gate,
      reports,
    });
    const tally = SEVERITIES.map((s) => `${counts[s]} ${s}`).join(', ');
    ctx.log.info(`${findings.length} findings (${tally}); reports in ${outputDir}`);
    if (!gate.passed) throw new UserError(gate.message);
  } finally {
    login?.remove();
  }
});
