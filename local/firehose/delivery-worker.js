// Worker-thread entry: registers tsx so the TypeScript delivery stream loads in this thread (see delivery-worker.ts).
require('tsx/cjs');
require('./delivery-worker-main.ts');
