// Node-only entry: saved models as files (`GqnModel.load(layersModelFiles(dir))`). It imports
// nothing of the root entry, so the layer class is bundled, and registered, once.
export { layersModelFiles } from "./layers-model-files.js";
