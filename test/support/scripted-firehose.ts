/**
 * An in-memory stand-in for FirehoseClient.send and S3Client.send that follows a script, for unit
 * tests of the sink's retry and splitting logic that need exact, repeatable failure sequences.
 * The wire protocol itself is exercised against the local Firehose in the integration tests.
 */
import type { PutRecordBatchCommandOutput } from '@aws-sdk/client-firehose';

export type CallScript = (entries: Buffer[], callNumber: number) => { fail?: boolean[]; throw?: Error } | undefined;

export class ScriptedFirehose {
  readonly calls: Buffer[][] = [];
  readonly accepted: Buffer[] = [];

  constructor(private readonly script: CallScript = () => undefined) {}

  async send(command: { input: { Records?: { Data?: Uint8Array }[] } }): Promise<PutRecordBatchCommandOutput> {
    const entries = (command.input.Records ?? []).map((r) => Buffer.from(r.Data ?? new Uint8Array()));
    this.calls.push(entries);
    const outcome = this.script(entries, this.calls.length) ?? {};
    if (outcome.throw) throw outcome.throw;
    const fail = outcome.fail ?? [];
    const responses = entries.map((entry, i) => {
      if (fail[i]) return { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' };
      this.accepted.push(entry);
      return { RecordId: `rec-${this.accepted.length}` };
    });
    return { FailedPutCount: fail.filter(Boolean).length, Encrypted: false, RequestResponses: responses, $metadata: {} };
  }

  /** Every change record accepted, parsed from the NDJSON entries. */
  acceptedRecords(): any[] {
    return this.accepted.flatMap((b) => b.toString('utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)));
  }
}

export class RecordingS3 {
  readonly objects = new Map<string, string>();
  constructor(private readonly failing = false) {}
  async send(command: { input: { Bucket?: string; Key?: string; Body?: unknown } }): Promise<object> {
    if (this.failing) throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
    this.objects.set(`${command.input.Bucket}/${command.input.Key}`, String(command.input.Body));
    return {};
  }
}
