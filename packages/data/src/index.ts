export { DATASETS, type DatasetSpec, getDatasetSpec } from "./datasets.js";
