/** FITS: headers, images, binary tables, tile compression, checksums (FITS Standard 4.0). */
export * from './errors.js';
export * from './header.js';
export * from './source.js';
export * from './hdu.js';
export * from './image.js';
export * from './reader.js';
export * from './writer.js';
export * from './checksum.js';
export * from './bintable.js';
export * from './compression/index.js';
