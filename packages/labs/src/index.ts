export * from './model.ts';
export { LabFormatError, parseLab, type LabProblem } from './parse-lab.ts';
export { findLab, labsDirectory, loadLabs } from './load-labs.ts';
