export { annealed, type LinearAnneal, PAPER_LR_SCHEDULE, PAPER_SIGMA_SCHEDULE } from "./schedules.js";
