/**
 * Stands in for node:fs/promises in the browser bundle. src/science/fits reads files
 * through a lazy import of node:fs only when given a path; the dashboard always passes
 * bytes, so this is never called — if it were, it says why instead of failing obscurely.
 */
export function open(path: string): never {
  throw new Error(`cannot open ${path}: there is no file system in the browser (pass the FITS bytes instead)`);
}
