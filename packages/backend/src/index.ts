export {
  type BackendInfo,
  type BackendRequest,
  ensureGradients,
  INSTALL_HINTS,
  type InitBackendOptions,
  initBackend,
} from "./backend-selection.js";
