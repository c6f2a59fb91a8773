import { UserError, readInputs, run, type ActionContext } from '@kubeline/runtime';
import {
  RegistryClient,
  parseReference,
  resolveImage,
  type ImageContract,
  type ImageInput,
} from '@kubeline/image';
import { ensureTool } from '@kubeline/tools';
import { action, type OutputName } from './action.generated.js';
import { readAttestations, type Attestation } from './attestations.js';
import {
  Cosign,
  attestArgs,
  prepareSigner,
  registryAccess,
  resolveVerifier,
  signArgs,
  signTargets,
  locateArtifacts,
  verifyAttestations,
  verifyTargets,
  writeOfflineTrustedRoot,
  type CommonOptions,
  type Located,
  type ResolvedVerifier,
  type Target,
} from '@kubeline/signing';
import { inputSpec } from './inputs.js';
import { makePlan, type Plan, type SignPlan } from './plan.js';
import { allVerified, firstFailure, writeReport } from './report.js';

type Ctx = ActionContext<OutputName>;

// No post step of its own: the runtime's removes the work dir a cancelled main step left.
await run(action, main);

async function main(ctx: Ctx): Promise<void> {
  const inputs = readInputs(action, inputSpec);
  const plan = makePlan(inputs, ctx.platform, process.env);
  for (const name of plan.ignored)
    ctx.log.warning(`input "${name}" is not used in ${plan.mode} mode: ignored`);

  // Keys, logins and predicates live in the run's private folder, removed at the end and in the post step.
  const workDir = ctx.workDir();
  const attestations = plan.mode === 'sign' ? readAttestations(plan.attach, workDir) : [];
  const access = registryAccess(
    registryOf(inputs.image),
    {
      username: inputs['registry-username'],
      password: inputs['registry-password'],
      ca: inputs['registry-ca'],
    },
    workDir,
  );
  if (inputs.image.kind === 'contract' && !inputs.image.contract.pushed)
    throw new UserError(
      `input "image": the image-json says the image was not pushed: nothing to ${plan.mode}`,
    );
  const contract = await resolveImage(inputs.image, { ...access.client, verifyExists: true });
  const targets = signTargets(contract, inputs.recursive);
  warnOnForeignScan(ctx, attestations, targets);

  const tool = await ensureTool('cosign', inputs['cosign-version'], 'cosign-version');
  const cosign = new Cosign(
    tool.path,
    tool.version,
    // Set even when empty: cosign would otherwise prompt for the password on a terminal.
    { COSIGN_PASSWORD: inputs.password, ...access.env },
    [inputs.password, inputs['registry-password']],
  );
  const options: CommonOptions = { major: cosign.major, tlog: plan.tlog, registry: access.cosign };
  const image = parseReference(contract.ref);
  const client = new RegistryClient(image.registry, access.client);
  const locate = (digest: string) => locateArtifacts(client, contract.name, image.repository, digest);

  const verifier =
    plan.mode === 'sign'
      ? await signAndAttest(ctx, cosign, plan, contract, targets, attestations, options, workDir)
      : resolveVerifier(plan.verifier, workDir);
  if (verifier.keyBased && !plan.tlog) options.trustedRoot = writeOfflineTrustedRoot(workDir);
  await verifyAndReport(ctx, cosign, plan, contract, targets, attestations, verifier, options, locate);
}

async function signAndAttest(
  ctx: Ctx,
  cosign: Cosign,
  plan: SignPlan,
  contract: ImageContract,
  targets: Target[],
  attestations: Attestation[],
  options: CommonOptions,
  workDir: string,
): Promise<ResolvedVerifier> {
  const signer = await prepareSigner(cosign, plan.signer, workDir);
  const refs = targets.map((t) => t.ref);
  await cosign.runExplained(signArgs(signer.cosign, refs, options), `signing ${contract.name}`);
  ctx.log.info(`signed ${refs.length} digest(s) of ${contract.name}`);
  for (const a of attestations) {
    await cosign.runExplained(
      attestArgs(signer.cosign, contract.ref, a.type, a.predicate, options),
      `attaching the ${a.type} attestation to ${contract.ref}`,
    );
  }
  return signer.verifier;
}

async function verifyAndReport(
  ctx: Ctx,
  cosign: Cosign,
  plan: Plan,
  contract: ImageContract,
  targets: Target[],
  attestations: Attestation[],
  verifier: ResolvedVerifier,
  options: CommonOptions,
  locate: (digest: string) => Promise<Located[]>,
): Promise<void> {
  const types = plan.mode === 'sign' ? attestations.map((a) => a.type) : plan.require;
  const digests = await verifyTargets(cosign, verifier.cosign, targets, options, ctx.log);
  const attested = await verifyAttestations(cosign, verifier.cosign, contract.ref, types, options, ctx.log);
  const report = { digests, attestations: attested };

  // In sign mode every target was signed; in verify mode only what verified counts as signed.
  const signed = plan.mode === 'sign' ? targets : digests.filter((d) => d.verified);
  // Every attestation rides on the image digest.
  const hasAttestations = plan.mode === 'sign' ? attestations.length > 0 : attested.some((a) => a.verified);
  const [perDigest, onImage] = await Promise.all([
    Promise.all(signed.map((t) => locate(t.digest))),
    hasAttestations ? locate(contract.digest) : Promise.resolve([]),
  ]);
  const signatureRefs = perDigest.flatMap((l) => l.filter((x) => x.kind === 'signature').map((x) => x.ref));
  const attestationRefs = onImage.filter((x) => x.kind === 'attestation').map((x) => x.ref);

  ctx.output(
    'signed-digests',
    signed.map((t) => t.digest),
  );
  ctx.output('signature-refs', signatureRefs);
  ctx.output('attestation-refs', attestationRefs);
  ctx.output('verified', allVerified(report));
  writeReport(ctx.summary, {
    mode: plan.mode,
    name: contract.name,
    verifiedBy: verifier.description,
    cosignVersion: cosign.version,
    ...report,
    sources: Object.fromEntries(attestations.map((a) => [a.type, a.source])),
  });
  const failure = firstFailure(report);
  if (failure) throw new UserError(failure);
}

/** A trivy report made for another image is almost certainly a pipeline mix-up: say so. */
function warnOnForeignScan(ctx: Ctx, attestations: Attestation[], targets: Target[]): void {
  for (const a of attestations) {
    if (!a.scanned.length || a.scanned.some((d) => targets.some((t) => t.digest === d))) continue;
    ctx.log.warning(
      `${a.source} reports a scan of ${a.scanned.join(', ')}, not of ${targets[0]!.digest}; attaching it anyway`,
    );
  }
}

function registryOf(image: ImageInput): string {
  return image.kind === 'reference' ? image.ref.registry : parseReference(image.contract.ref).registry;
}
