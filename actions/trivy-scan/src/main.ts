// The entry only turns on the compile cache: V8 compiles the entry file before any of its code runs,
// so the step itself (scan-step.ts) is a chunk loaded after, and its compiled code is cached too.
import { enableCompileCache } from '@kubeline/runtime/compile-cache';

enableCompileCache();
await import('./scan-step.js');
