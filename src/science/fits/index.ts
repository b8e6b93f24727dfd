export * from './errors.js';
export * from './header.js';
