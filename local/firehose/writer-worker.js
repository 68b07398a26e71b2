// Worker-thread entry: registers tsx so the TypeScript writer loads in this thread (see writer-pool.ts).
require('tsx/cjs');
require('./writer-worker-main.ts');
