/** summary.md: what an evidence package holds and how to check it, for a reader without the tool. */
import { HASH_FORMAT } from '../../lambda/core/record-hash';
import { opensslVerifyCommand } from '../../lambda/digest/signing';
import { EvidenceManifest, MANIFEST_FILE, PUBLIC_KEY_FILE, REPORT_FILE, SIGNATURE_FILE, SUMMARY_FILE } from './manifest';

const PARTITIONS_LISTED = 50;
/** Accounts/regions without CloudTrail input named in the summary; the manifest lists every one. */
const UNAVAILABLE_LISTED = 50;

/** `manifest` without files (the summary is itself one of them). */
export function renderSummary(manifest: Omit<EvidenceManifest, 'files'>, dataFiles: EvidenceManifest['files']): string {
  const m = manifest;
  const lines: string[] = [];
  const params = Object.entries(m.query.params);
  lines.push(`# Evidence package: ${m.query.name}`, '');
  lines.push(`Created ${m.created_at} by ddb-audit ${m.tool.version} (git commit ${m.tool.git_commit}).`, '');
  lines.push(`**Reason:** ${m.reason ?? '(none stated)'}`, '');

  lines.push('## What was asked', '');
  lines.push(`- Query \`${m.query.name}\` (${m.query.source_file}). The exact SQL text executed is \`query.sql\` in ${MANIFEST_FILE}.`);
  lines.push(`- Parameters: ${params.length === 0 ? '(none)' : params.map(([k, v]) => `\`${k}=${v}\``).join(', ')}`);
  const engine = m.execution.engine === 'athena' ? 'Amazon Athena' : 'DuckDB (local data folder)';
  lines.push(`- Engine: ${engine}, data source \`${m.execution.data_source}\`, execution id \`${m.execution.execution_id}\``);
  lines.push(`- Ran from ${m.execution.started_at} to ${m.execution.ended_at}`, '');

  lines.push('## What it returned', '');
  if (m.result.empty) {
    lines.push('**No rows matched.** This package is complete and valid: it is signed evidence that the query returned nothing for these parameters.');
  } else {
    lines.push(`- ${m.result.row_count} row(s), in ${dataFiles.map((f) => f.path).filter((p) => p.startsWith('rows.')).join(' and ')} (the same rows in both).`);
    lines.push(
      "- rows.jsonl holds the exact values. In rows.csv, a text cell that a spreadsheet would run as a formula (one starting with =, +, -, @, tab, carriage return or NUL), or that starts with a single quote, has one extra leading single quote (OWASP's advice against CSV injection); remove exactly one leading quote from such a cell to get the value back.",
    );
  }
  const parts = m.result.partitions_covered;
  const source = m.result.partitions_source === 'engine' ? 'selected by the query parameters' : 'that the rows come from';
  lines.push(`- Partitions (account / table / date) ${source}: ${parts.length}`);
  for (const p of parts.slice(0, PARTITIONS_LISTED)) lines.push(`  - ${p.account_id} / ${p.table_name} / ${p.dt}`);
  if (parts.length > PARTITIONS_LISTED) lines.push(`  - … and ${parts.length - PARTITIONS_LISTED} more, listed in ${MANIFEST_FILE}`);
  if (m.record_hashes !== null) {
    lines.push(`- The rows are change records: their record_hash values are listed in ${MANIFEST_FILE} (\`record_hashes\`), so each row can be matched to the change log.`);
  }
  if (m.cloudtrail_input) {
    const files = m.cloudtrail_input.files;
    lines.push(
      files === null
        ? `- The attribution rests on CloudTrail log records of \`${m.cloudtrail_input.table}\`; Athena does not report which objects a query read, so no file list is recorded.`
        : `- The attribution rests on ${files.length} CloudTrail log file(s) of the data folder, each listed with its SHA-256 in ${MANIFEST_FILE} (\`cloudtrail_input\`): compare them with the trail's objects in S3.`,
    );
    const unavailable = m.cloudtrail_input.attribution_unavailable ?? [];
    for (const u of unavailable.slice(0, UNAVAILABLE_LISTED)) {
      lines.push(
        `- **Attribution unavailable for account ${u.account_id} region ${u.region}: no CloudTrail input.** Its ${u.rows} row(s) say attribution_reason \`cloudtrail-unavailable\`: \`${m.cloudtrail_input.table}\` holds no DynamoDB write event for that account and region in the days read, so those rows name no caller because none could be looked up, not because the trail saw no call.`,
      );
    }
    if (unavailable.length > UNAVAILABLE_LISTED) lines.push(`- … and ${unavailable.length - UNAVAILABLE_LISTED} more accounts/regions without CloudTrail input, listed in ${MANIFEST_FILE} (\`cloudtrail_input.attribution_unavailable\`)`);
    for (const warning of m.cloudtrail_input.warnings ?? []) lines.push(`- **The query warned:** ${warning}`);
  }
  lines.push('');

  lines.push('## Files', '', '| File | Bytes | SHA-256 |', '|---|---:|---|');
  for (const f of dataFiles) lines.push(`| ${f.path} | ${f.bytes} | \`${f.sha256}\` |`);
  lines.push(`| ${SUMMARY_FILE} | (in ${MANIFEST_FILE}) | (in ${MANIFEST_FILE}) |`);
  lines.push(`| ${REPORT_FILE} | (in ${MANIFEST_FILE}) | (in ${MANIFEST_FILE}); the same package as a page with a change-volume chart |`);
  lines.push(`| ${MANIFEST_FILE} | | covered by ${SIGNATURE_FILE} |`);
  lines.push(`| ${SIGNATURE_FILE} | | ${m.signing.algorithm} signature of the exact bytes of ${MANIFEST_FILE} |`, '');

  lines.push('## How to verify', '');
  lines.push('With ddb-audit (checks every file hash, the signature and each row\'s record_hash; exit status 0 only if all hold):', '');
  lines.push('```', `ddb-audit evidence verify PACKAGE_DIR --public-key TRUSTED_PUBLIC_KEY.pem`, '```', '');
  lines.push(
    `**Why pin the key.** This package carries its own public key (${PUBLIC_KEY_FILE}). Checked against it, the signature proves the files are the ones the manifest lists and that the manifest was signed by whoever holds that key, but not who that was: someone who alters the package can re-sign it with a key of their own and replace ${PUBLIC_KEY_FILE}. Checking against a public key obtained independently (published by the exporting team${m.signing.kms_key_id ? `; for the KMS key \`${m.signing.kms_key_id}\`, \`aws kms get-public-key\`` : ''}) proves who signed it.`,
    '',
  );
  lines.push(`The signing key's fingerprint (SHA-256 of its DER public key) is \`${m.signing.public_key_sha256}\`; compute it with \`openssl pkey -pubin -in ${PUBLIC_KEY_FILE} -outform DER | sha256sum\`.`, '');
  lines.push('By hand, in the package folder:', '');
  lines.push('1. Every file matches the manifest (needs `jq`; or compare `sha256sum *` with `files` in manifest.json):', '');
  lines.push('   ```', `   jq -r '.files[] | "\\(.sha256)  \\(.path)"' ${MANIFEST_FILE} | sha256sum -c -`, '   ```', '');
  lines.push(`2. No other files: the folder holds exactly the files listed in ${MANIFEST_FILE}, plus ${MANIFEST_FILE} and ${SIGNATURE_FILE}.`, '');
  lines.push(`3. The manifest is signed (OpenSSL 3; prints "Signature Verified Successfully" or "Verified OK"):`, '');
  lines.push('   ```', `   ${opensslVerifyCommand(m.signing.algorithm, PUBLIC_KEY_FILE, MANIFEST_FILE, SIGNATURE_FILE)}`, '   ```', '');
  if (m.record_hashes !== null) {
    lines.push(
      `4. A row's record_hash is the SHA-256 (hex) of the UTF-8 bytes of \`JSON.stringify(["${HASH_FORMAT}", v1, v2, …])\`, where v1, v2, … are the row's hashed fields in schema order (every field except processed_at, overflow_uri and record_hash itself), timestamps as integer milliseconds since the epoch, lists as JSON arrays, absent values as null (lambda/core/record-hash.ts documents the form). A row with overflow_uri set was hashed with its full images, which are in the overflow object, so it cannot be recomputed from the row alone.`,
      '',
    );
  }
  return `${lines.join('\n')}\n`;
}
