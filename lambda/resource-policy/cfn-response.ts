/**
 * Sends a custom resource's response to CloudFormation: an HTTP PUT of the JSON body to the
 * presigned S3 URL in the request's ResponseURL, with an empty Content-Type (the URL is signed
 * without one) (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html).
 * Until this PUT lands, CloudFormation waits: up to the resource's ServiceTimeout.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { CustomResourceResponse } from './custom-resource';

/** Tries of the PUT before giving up (S3 answers 5xx now and then). */
const ATTEMPTS = 3;

export async function sendResponse(responseUrl: string, response: CustomResourceResponse, options: { attempts?: number; sleep?: (ms: number) => Promise<void> } = {}): Promise<void> {
  const body = JSON.stringify(response);
  const attempts = options.attempts ?? ATTEMPTS;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let last: Error | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      await put(responseUrl, body);
      return;
    } catch (err) {
      last = err as Error;
      if (attempt < attempts) await sleep(500 * attempt);
    }
  }
  throw new Error(`could not send the response to CloudFormation after ${attempts} tries: ${last?.message}`);
}

function put(responseUrl: string, body: string): Promise<void> {
  const url = new URL(responseUrl);
  // CloudFormation always sends https; plain http is only for a local test server.
  const transport = url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const request = transport.request(
      url,
      { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) }, timeout: 10_000 },
      (res) => {
        res.resume();
        res.on('end', () => ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300 ? resolve() : reject(new Error(`response URL answered HTTP ${res.statusCode}`))));
      },
    );
    request.on('timeout', () => request.destroy(new Error('response URL did not answer within 10 s')));
    request.on('error', reject);
    request.end(body);
  });
}
