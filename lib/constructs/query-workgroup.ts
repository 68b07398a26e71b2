/**
 * The Athena workgroup the security team queries in, and one saved (named) query per
 * athena-queries/*.sql file present at synth time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { GLUE_DATABASE_NAME } from '../../schemas/partitioning';

export const WORKGROUP_NAME = 'ddb-audit';
export const DEFAULT_QUERIES_DIR = path.join(__dirname, '..', '..', 'athena-queries');

export interface QueryWorkgroupProps {
  readonly resultsBucket: s3.IBucket;
  readonly key: kms.IKey;
  /** Queries scanning more than this are cancelled. */
  readonly bytesScannedCutoffPerQueryMiB: number;
  /** @default the repository's athena-queries/ */
  readonly queriesDir?: string;
}

export interface SavedQueryFile {
  /** File name without .sql, e.g. who-changed-item. */
  readonly name: string;
  readonly description: string;
  readonly sql: string;
}

// Athena limits: a named query's description is 1-1024 characters, its name 1-128.
const MAX_DESCRIPTION = 1024;
const MAX_NAME = 128;

/** The .sql files of a folder in name order, each with a description taken from its header. A missing folder is no queries. */
export function readSavedQueries(dir: string): SavedQueryFile[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return files.map((file) => {
    const sql = readFileSync(path.join(dir, file), 'utf8');
    const name = file.slice(0, -'.sql'.length);
    return { name: name.slice(0, MAX_NAME), sql, description: describeQuery(sql, name) };
  });
}

/** The header's Purpose (with its indented continuation lines), else its first comment line, else the file name. */
export function describeQuery(sql: string, fallback: string): string {
  const comments = sql
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('--'))
    .map((line) => line.slice(2).replace(/^ /, ''));
  let text = '';
  const start = comments.findIndex((line) => /^purpose\s*:/i.test(line));
  if (start >= 0) {
    const parts = [comments[start]!.replace(/^purpose\s*:\s*/i, '')];
    for (const line of comments.slice(start + 1)) {
      if (!/^\s/.test(line) || line.trim() === '') break;
      parts.push(line.trim());
    }
    text = parts.join(' ').trim();
  }
  text ||= comments.map((line) => line.trim()).find((line) => line !== '') ?? fallback;
  return text.length <= MAX_DESCRIPTION ? text : `${text.slice(0, MAX_DESCRIPTION - 3)}...`;
}

export class QueryWorkgroup extends Construct {
  public readonly workgroup: athena.CfnWorkGroup;
  public readonly namedQueries: athena.CfnNamedQuery[];

  constructor(scope: Construct, id: string, props: QueryWorkgroupProps) {
    super(scope, id);
    this.workgroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: WORKGROUP_NAME,
      description: 'ddb-audit: queries over the DynamoDB change log',
      state: 'ENABLED',
      workGroupConfiguration: {
        // Users cannot point results elsewhere or turn encryption off from their client.
        enforceWorkGroupConfiguration: true,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQueryMiB * 1024 * 1024,
        resultConfiguration: {
          outputLocation: `s3://${props.resultsBucket.bucketName}/results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.key.keyArn },
        },
      },
    });

    this.namedQueries = readSavedQueries(props.queriesDir ?? DEFAULT_QUERIES_DIR).map((query) => {
      const named = new athena.CfnNamedQuery(this, `Query-${query.name}`, {
        name: query.name,
        description: query.description,
        database: GLUE_DATABASE_NAME,
        queryString: query.sql,
        workGroup: this.workgroup.name,
      });
      named.node.addDependency(this.workgroup);
      return named;
    });
  }
}
