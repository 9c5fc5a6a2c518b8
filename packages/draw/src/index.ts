export { DEFAULT_DRAW_CONFIG, type DrawConfig } from "./config.js";
