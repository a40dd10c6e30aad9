export { run } from './run.js';
export { createProgram } from './program.js';
export { makeOutput, type Output } from './output.js';
export { EXIT, classifyError } from './exit-codes.js';
