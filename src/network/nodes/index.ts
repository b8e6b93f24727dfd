/** Sites and nodes: registration, tokens, lookup, derived optics. */
export { createSite, getSite, listSites, validateSiteInput, siteInfo, requireSiteExists, type SiteInput, type SiteInfo } from './sites.js';
export {
  registerNode,
  getNode,
  listNodes,
  validateNodeInput,
  nodeInfo,
  NODE_STATES,
  MIN_HEARTBEAT_INTERVAL_S,
  MAX_HEARTBEAT_INTERVAL_S,
  DEFAULT_HEARTBEAT_INTERVAL_S,
  type NodeInput,
  type NodeInfo,
  type ListNodesFilter,
  type RegisterNodeOptions,
} from './registry.js';
export { generateNodeToken, hashToken, nodeIdForToken } from './tokens.js';
export { nodePixelScaleArcsec, nodeFieldOfViewDeg, type NodeOptics, type FieldOfView } from './optics.js';
