/** INDI: the XML protocol client and the device wrappers over it. */
export { decodeBlob, encodeBlob, type IndiBlob } from './blob.js';
export { IndiCamera, IndiFilterWheel, type IndiCameraOptions } from './camera.js';
export { INDI_DEFAULT_PORT, IndiClient, type IndiClientOptions, type UpdateOptions } from './client.js';
export { connectDevice, disconnectDevice } from './device.js';
export { IndiMount, type IndiMountOptions } from './mount.js';
export {
  decodeMessage,
  elementsOf,
  encodeDelProperty,
  encodeEnableBlob,
  encodeGetProperties,
  encodeMessage,
  encodeVector,
  formatIndiValue,
  INDI_PROTOCOL_VERSION,
  parseIndiNumber,
  type BlobMode,
  type IndiElement,
  type IndiKind,
  type IndiMessage,
  type IndiPerm,
  type IndiRule,
  type IndiState,
  type IndiValue,
  type IndiVector,
} from './protocol.js';
export { escapeXml, XmlStream, type XmlElement, type XmlStreamOptions } from './xml.js';
