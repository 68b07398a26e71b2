/**
 * `ddb-audit doctor` without credentials and without a network, with the real SDK clients and the
 * real default credential chain (no mocks): it must end with one clear line and exit 1, never a
 * stack trace. The credential chain is pointed at nothing (no variables, no config files, instance
 * metadata disabled) and the endpoint at a closed local port, so nothing leaves the machine.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as doctor } from '../../bin/commands/doctor';
import { captureIo } from '../support/capture-io';

const CREDENTIAL_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_ROLE_ARN', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_ENDPOINT_URL'];

describe('ddb-audit doctor offline', () => {
  const saved = { ...process.env };
  let dir: string;
  let config: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ddb-audit-doctor-offline-'));
    config = join(dir, 'cdk.json');
    writeFileSync(config, JSON.stringify({ context: { audit: { auditAccountId: '111111111111', region: 'eu-west-1', retention: { mode: 'GOVERNANCE', days: 365 }, sources: [] } } }));
  });
  beforeEach(() => {
    for (const name of CREDENTIAL_VARIABLES) delete process.env[name];
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'no-credentials');
    process.env.AWS_CONFIG_FILE = join(dir, 'no-config');
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  });
  afterAll(() => {
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails with one line naming the missing credentials and what to set', async () => {
    // Act
    const io = captureIo({ cwd: dir, env: {} });
    const status = await doctor(['--config', config], io);
    // Assess
    expect(status).toBe(1);
    expect(io.out).toEqual([]);
    const err = io.err.join('');
    expect(err).toMatch(/^ddb-audit doctor: no AWS credentials found \(.+\); set AWS_PROFILE or pass --profile, or run aws sso login \/ aws configure\n$/);
    expect(err).not.toMatch(/\n\s+at /);
  });

  it('fails with one line when AWS cannot be reached', async () => {
    // Prepare: credentials present, every endpoint a closed port on this machine
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9';
    // Act
    const io = captureIo({ cwd: dir, env: {} });
    const status = await doctor(['--config', config], io);
    // Assess
    expect(status).toBe(1);
    expect(io.out).toEqual([]);
    expect(io.err.join('')).toMatch(/^ddb-audit doctor: cannot reach AWS \(ECONNREFUSED: .*\); check the network, a proxy, or --region\n$/);
  });
});
